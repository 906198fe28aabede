// SqliteStore: virtual keys.
#include "control/storage/sqlite_store.h"
#include "control/storage/store_codec.h"

namespace nexus::storage {
namespace {

using governance::Page;
using governance::UnixMillis;
using governance::VirtualKey;

// SELECT of the columns read_key expects, in order, then `where`: constant text only.
std::string select_keys(std::string_view where) {
  std::string sql =
      "SELECT id, hash, prefix, name, org_id, team_id, user_id, allowed_models, allowed_ips, "
      "metadata, controls, created_at, expires_at, revoked_at, previous_hash, "
      "previous_valid_until FROM keys ";
  sql += where;
  return sql;
}

Result<VirtualKey> read_key(const Statement& row) {
  auto allowed_models = strings_from_json(row.text(7));
  auto allowed_ips = strings_from_json(row.text(8));
  auto controls = controls_from_json(row.text(10));
  if (!allowed_models || !allowed_ips || !controls) {
    std::string message = "stored key ";
    message += row.text(0);
    message += " is damaged (allowed_models, allowed_ips or controls)";
    return fail(ErrorCode::kInternal, std::move(message));
  }
  return VirtualKey{.id = row.text(0),
                    .hash = row.text(1),
                    .prefix = row.text(2),
                    .name = row.text(3),
                    .org_id = row.text(4),
                    .team_id = row.text(5),
                    .user_id = row.text(6),
                    .allowed_models = std::move(*allowed_models),
                    .allowed_ips = std::move(*allowed_ips),
                    .metadata = row.text(9),
                    .controls = std::move(*controls),
                    .created_at = row.int64(11),
                    .expires_at = row.int64(12),
                    .revoked_at = row.int64(13),
                    .previous_hash = row.text(14),
                    .previous_valid_until = row.int64(15)};
}

Result<std::vector<VirtualKey>> read_keys(Result<Statement>& statement) {
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  std::vector<VirtualKey> keys;
  for (;;) {
    auto row = statement->step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return keys;
    }
    auto key = read_key(*statement);
    if (!key) {
      return std::unexpected(std::move(key.error()));
    }
    keys.push_back(std::move(*key));
  }
}

Result<std::optional<VirtualKey>> read_optional_key(Result<Statement>& statement) {
  auto keys = read_keys(statement);
  if (!keys) {
    return std::unexpected(std::move(keys.error()));
  }
  if (keys->empty()) {
    return std::nullopt;
  }
  return std::move(keys->front());
}

}  // namespace

Result<void> SqliteStore::put_key(const VirtualKey& key) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(
      "put_key",
      "INSERT INTO keys (id, hash, prefix, name, org_id, team_id, user_id, allowed_models, "
      "allowed_ips, metadata, controls, created_at, expires_at, revoked_at, previous_hash, "
      "previous_valid_until) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
      "ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, prefix = excluded.prefix, "
      "name = excluded.name, org_id = excluded.org_id, team_id = excluded.team_id, "
      "user_id = excluded.user_id, allowed_models = excluded.allowed_models, "
      "allowed_ips = excluded.allowed_ips, metadata = excluded.metadata, "
      "controls = excluded.controls, created_at = excluded.created_at, "
      "expires_at = excluded.expires_at, revoked_at = excluded.revoked_at, "
      "previous_hash = excluded.previous_hash, "
      "previous_valid_until = excluded.previous_valid_until");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, key.id);
  statement->bind(2, key.hash);
  statement->bind(3, key.prefix);
  statement->bind(4, key.name);
  statement->bind_id_or_null(5, key.org_id);
  statement->bind_id_or_null(6, key.team_id);
  statement->bind_id_or_null(7, key.user_id);
  statement->bind(8, strings_to_json(key.allowed_models));
  statement->bind(9, strings_to_json(key.allowed_ips));
  statement->bind(10, key.metadata.empty() ? std::string_view("{}") : key.metadata);
  statement->bind(11, controls_to_json(key.controls));
  statement->bind(12, key.created_at);
  statement->bind(13, key.expires_at);
  statement->bind(14, key.revoked_at);
  statement->bind_id_or_null(15, key.previous_hash);  // NULL: none (see migration 3)
  statement->bind(16, key.previous_valid_until);
  return write_entity("put_key", *statement);
}

Result<std::optional<VirtualKey>> SqliteStore::get_key(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_key", select_keys("WHERE id = ?1"));
  if (statement) {
    statement->bind(1, id);
  }
  return read_optional_key(statement);
}

Result<std::optional<VirtualKey>> SqliteStore::get_key_by_hash(std::string_view hash) {
  const std::lock_guard lock(mutex_);
  // Either column: a rotated key's previous secret finds it too (the caller checks the time).
  // SQLite answers the OR from the two unique indexes, hash's and previous_hash's.
  auto statement =
      db_.prepare("get_key_by_hash", select_keys("WHERE hash = ?1 OR previous_hash = ?1"));
  if (statement) {
    statement->bind(1, hash);
  }
  return read_optional_key(statement);
}

Result<std::vector<VirtualKey>> SqliteStore::list_keys(std::string_view org_id, const Page& page) {
  const std::lock_guard lock(mutex_);
  auto statement =
      org_id.empty()
          ? db_.prepare("list_keys", select_keys("WHERE id > ?1 ORDER BY id LIMIT ?2"))
          : db_.prepare("list_keys",
                        select_keys("WHERE org_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2"));
  if (statement) {
    statement->bind(1, page.after);
    statement->bind(2, static_cast<int64_t>(page.limit));
    if (!org_id.empty()) {
      statement->bind(3, org_id);
    }
  }
  return read_keys(statement);
}

Result<std::vector<VirtualKey>> SqliteStore::live_keys(UnixMillis now) {
  const std::lock_guard lock(mutex_);
  auto statement =
      db_.prepare("live_keys", select_keys("WHERE (revoked_at = 0 OR revoked_at > ?1) "
                                           "AND (expires_at = 0 OR expires_at > ?1) ORDER BY id"));
  if (statement) {
    statement->bind(1, now);
  }
  return read_keys(statement);
}

Result<void> SqliteStore::delete_key(std::string_view id) {
  return delete_by_id("delete_key", "DELETE FROM keys WHERE id = ?1", id);
}

}  // namespace nexus::storage

// PostgresStore: virtual keys.
#include "control/storage/postgres_store.h"
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

Result<VirtualKey> read_key(const PgRow& row) {
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
                    .previous_hash = row.text(14),  // NULL reads as ""
                    .previous_valid_until = row.int64(15)};
}

Result<std::vector<VirtualKey>> read_keys(PgConnection& conn, std::string_view operation,
                                          const std::string& sql, const PgParams& params) {
  auto rows = conn.exec(operation, sql, params);
  if (!rows) {
    return std::unexpected(std::move(rows.error()));
  }
  std::vector<VirtualKey> keys;
  keys.reserve(static_cast<size_t>(rows->size()));
  for (int index = 0; index < rows->size(); ++index) {
    auto key = read_key(PgRow{*rows, index});
    if (!key) {
      return std::unexpected(std::move(key.error()));
    }
    keys.push_back(std::move(*key));
  }
  return keys;
}

Result<std::optional<VirtualKey>> read_optional_key(PgConnection& conn, std::string_view operation,
                                                    const std::string& sql,
                                                    const PgParams& params) {
  auto keys = read_keys(conn, operation, sql, params);
  if (!keys) {
    return std::unexpected(std::move(keys.error()));
  }
  if (keys->empty()) {
    return std::nullopt;
  }
  return std::move(keys->front());
}

}  // namespace

Result<void> PostgresStore::put_key(const VirtualKey& key) {
  PgParams params;
  params.add(key.id)
      .add(key.hash)
      .add(key.prefix)
      .add(key.name)
      .add_id_or_null(key.org_id)
      .add_id_or_null(key.team_id)
      .add_id_or_null(key.user_id)
      .add(strings_to_json(key.allowed_models))
      .add(strings_to_json(key.allowed_ips))
      .add(key.metadata.empty() ? std::string_view("{}") : key.metadata)
      .add(controls_to_json(key.controls))
      .add(key.created_at)
      .add(key.expires_at)
      .add(key.revoked_at)
      .add_id_or_null(key.previous_hash)  // NULL: none (see migration 3)
      .add(key.previous_valid_until);
  return run([&](PgConnection& conn) {
    return write_entity(
        conn, "put_key",
        "INSERT INTO keys (id, hash, prefix, name, org_id, team_id, user_id, allowed_models, "
        "allowed_ips, metadata, controls, created_at, expires_at, revoked_at, previous_hash, "
        "previous_valid_until) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
        "ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, prefix = excluded.prefix, "
        "name = excluded.name, org_id = excluded.org_id, team_id = excluded.team_id, "
        "user_id = excluded.user_id, allowed_models = excluded.allowed_models, "
        "allowed_ips = excluded.allowed_ips, metadata = excluded.metadata, "
        "controls = excluded.controls, created_at = excluded.created_at, "
        "expires_at = excluded.expires_at, revoked_at = excluded.revoked_at, "
        "previous_hash = excluded.previous_hash, "
        "previous_valid_until = excluded.previous_valid_until",
        params);
  });
}

Result<std::optional<VirtualKey>> PostgresStore::get_key(std::string_view id) {
  return run([&](PgConnection& conn) {
    return read_optional_key(conn, "get_key", select_keys("WHERE id = $1"), PgParams().add(id));
  });
}

Result<std::optional<VirtualKey>> PostgresStore::get_key_by_hash(std::string_view hash) {
  return run([&](PgConnection& conn) {
    // Either column: a rotated key's previous secret finds it too (the caller checks the time).
    return read_optional_key(conn, "get_key_by_hash",
                             select_keys("WHERE hash = $1 OR previous_hash = $1"),
                             PgParams().add(hash));
  });
}

Result<std::vector<VirtualKey>> PostgresStore::list_keys(std::string_view org_id,
                                                         const Page& page) {
  PgParams params;
  params.add(page.after).add(static_cast<int64_t>(page.limit));
  if (!org_id.empty()) {
    params.add(org_id);
  }
  const std::string sql = org_id.empty()
                              ? select_keys("WHERE id > $1 ORDER BY id LIMIT $2")
                              : select_keys("WHERE org_id = $3 AND id > $1 ORDER BY id LIMIT $2");
  return run([&](PgConnection& conn) { return read_keys(conn, "list_keys", sql, params); });
}

Result<std::vector<VirtualKey>> PostgresStore::live_keys(UnixMillis now) {
  return run([&](PgConnection& conn) {
    return read_keys(conn, "live_keys",
                     select_keys("WHERE (revoked_at = 0 OR revoked_at > $1) "
                                 "AND (expires_at = 0 OR expires_at > $1) ORDER BY id"),
                     PgParams().add(now));
  });
}

Result<void> PostgresStore::delete_key(std::string_view id) {
  return delete_by_id("delete_key", "DELETE FROM keys WHERE id = $1", id);
}

}  // namespace nexus::storage

// SqliteStore: virtual keys.
#include "control/storage/entity_codec.h"
#include "control/storage/sqlite_store.h"

namespace nexus::storage {

using governance::Page;
using governance::UnixMillis;
using governance::VirtualKey;

Result<void> SqliteStore::put_key(const VirtualKey& key) {
  static const std::string kSql = upsert_sql("keys", kKeyColumns, '?');
  return put_entity("put_key", kSql, [&](ParamWriter& params) { write_key(params, key); });
}

Result<std::optional<VirtualKey>> SqliteStore::get_key(std::string_view id) {
  static const std::string kSql = select_sql(kKeyColumns, "keys WHERE id = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_key", kSql);
  if (statement) {
    statement->bind(1, id);
  }
  return read_one_prepared<VirtualKey>(statement, read_key);
}

Result<std::optional<VirtualKey>> SqliteStore::get_key_by_hash(std::string_view hash) {
  // Either column: a rotated key's previous secret finds it too (the caller checks the time).
  // SQLite answers the OR from the two unique indexes, hash's and previous_hash's.
  static const std::string kSql =
      select_sql(kKeyColumns, "keys WHERE hash = ?1 OR previous_hash = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_key_by_hash", kSql);
  if (statement) {
    statement->bind(1, hash);
  }
  return read_one_prepared<VirtualKey>(statement, read_key);
}

Result<std::vector<VirtualKey>> SqliteStore::list_keys(std::string_view org_id, const Page& page) {
  static const std::string kAll =
      select_sql(kKeyColumns, "keys WHERE id > ?1 ORDER BY id LIMIT ?2");
  static const std::string kOfOrg =
      select_sql(kKeyColumns, "keys WHERE org_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2");
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list("list_keys", kAll, kOfOrg, org_id, page);
  return read_all_prepared<VirtualKey>(statement, read_key);
}

Result<std::vector<VirtualKey>> SqliteStore::live_keys(UnixMillis now) {
  static const std::string kSql = select_sql(kKeyColumns,
                                             "keys WHERE (revoked_at = 0 OR revoked_at > ?1) "
                                             "AND (expires_at = 0 OR expires_at > ?1) ORDER BY id");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("live_keys", kSql);
  if (statement) {
    statement->bind(1, now);
  }
  return read_all_prepared<VirtualKey>(statement, read_key);
}

Result<void> SqliteStore::delete_key(std::string_view id) {
  return delete_by_id("delete_key", "DELETE FROM keys WHERE id = ?1", id);
}

}  // namespace nexus::storage

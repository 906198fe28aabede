// PostgresStore: virtual keys.
#include "control/storage/entity_codec.h"
#include "control/storage/postgres_store.h"

namespace nexus::storage {

using governance::Page;
using governance::UnixMillis;
using governance::VirtualKey;

Result<void> PostgresStore::put_key(const VirtualKey& key) {
  static const std::string kSql = upsert_sql("keys", kKeyColumns, '$');
  PgParams params;
  write_key(params, key);
  return run([&](PgConnection& conn) { return write_entity(conn, "put_key", kSql, params); });
}

Result<std::optional<VirtualKey>> PostgresStore::get_key(std::string_view id) {
  static const std::string kSql = select_sql(kKeyColumns, "keys WHERE id = $1");
  return run([&](PgConnection& conn) {
    return query_one<VirtualKey>(conn, "get_key", kSql, PgParams().add(id), read_key);
  });
}

Result<std::optional<VirtualKey>> PostgresStore::get_key_by_hash(std::string_view hash) {
  // Either column: a rotated key's previous secret finds it too (the caller checks the time).
  static const std::string kSql =
      select_sql(kKeyColumns, "keys WHERE hash = $1 OR previous_hash = $1");
  return run([&](PgConnection& conn) {
    return query_one<VirtualKey>(conn, "get_key_by_hash", kSql, PgParams().add(hash), read_key);
  });
}

Result<std::vector<VirtualKey>> PostgresStore::list_keys(std::string_view org_id,
                                                         const Page& page) {
  static const std::string kAll =
      select_sql(kKeyColumns, "keys WHERE id > $1 ORDER BY id LIMIT $2");
  static const std::string kOfOrg =
      select_sql(kKeyColumns, "keys WHERE org_id = $3 AND id > $1 ORDER BY id LIMIT $2");
  return run([&](PgConnection& conn) {
    return read_list<VirtualKey>(conn, "list_keys", kAll, kOfOrg, org_id, page, read_key);
  });
}

Result<std::vector<VirtualKey>> PostgresStore::live_keys(UnixMillis now) {
  static const std::string kSql = select_sql(kKeyColumns,
                                             "keys WHERE (revoked_at = 0 OR revoked_at > $1) "
                                             "AND (expires_at = 0 OR expires_at > $1) ORDER BY id");
  return run([&](PgConnection& conn) {
    return query_all<VirtualKey>(conn, "live_keys", kSql, PgParams().add(now), read_key);
  });
}

Result<void> PostgresStore::delete_key(std::string_view id) {
  return delete_by_id("delete_key", "DELETE FROM keys WHERE id = $1", id);
}

}  // namespace nexus::storage

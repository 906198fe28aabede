// PostgresStore: opening, the generation counter, organizations, teams and users. Keys are in
// postgres_keys.cc, the ledger and the audit log in postgres_ledger.cc.
#include "control/storage/postgres_store.h"

#include <chrono>

#include "control/storage/entity_codec.h"
#include "control/storage/postgres_migrations.h"

namespace nexus::storage {
namespace {

using governance::Org;
using governance::Page;
using governance::Team;
using governance::User;

int64_t unix_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url) {
  auto conn = PgConnection::connect(url);
  Result<void> prepared;
  if (conn) {
    prepared = apply_postgres_migrations(*conn, postgres_migrations(), unix_millis_now());
  } else {
    prepared = std::unexpected(std::move(conn.error()));
  }
  if (!prepared) {
    std::string message = "PostgreSQL store ";
    message += redacted_url(url);
    message += ": ";
    message += prepared.error().message();
    const ErrorCode code = prepared.error().code() == ErrorCode::kInvalidConfig
                               ? ErrorCode::kInvalidConfig
                               : ErrorCode::kInternal;
    return fail(code, std::move(message));
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(*conn)));
}

Result<void> PostgresStore::write_entity(PgConnection& conn, std::string_view operation,
                                         const std::string& sql, const PgParams& params) {
  auto transaction = PgTransaction::begin(conn, operation);
  if (!transaction) {
    return std::unexpected(std::move(transaction.error()));
  }
  auto changed = conn.exec(operation, sql, params);
  if (!changed) {
    return std::unexpected(std::move(changed.error()));
  }
  if (changed->affected() > 0) {
    auto bumped =
        conn.exec(operation, "UPDATE meta SET value = value + 1 WHERE name = 'generation'");
    if (!bumped) {
      return std::unexpected(std::move(bumped.error()));
    }
  }
  return transaction->commit();
}

Result<void> PostgresStore::delete_by_id(std::string_view operation, const std::string& sql,
                                         std::string_view id) {
  return run(
      [&](PgConnection& conn) { return write_entity(conn, operation, sql, PgParams().add(id)); });
}

Result<uint64_t> PostgresStore::generation() {
  return run([](PgConnection& conn) -> Result<uint64_t> {
    auto rows = conn.exec("generation", "SELECT value FROM meta WHERE name = 'generation'");
    if (!rows) {
      return std::unexpected(std::move(rows.error()));
    }
    return rows->empty() ? 0 : static_cast<uint64_t>(rows->int64(0, 0));
  });
}

Result<void> PostgresStore::put_org(const Org& org) {
  static const std::string kSql = upsert_sql("orgs", kOrgColumns, '$');
  PgParams params;
  write_org(params, org);
  return run([&](PgConnection& conn) { return write_entity(conn, "put_org", kSql, params); });
}

Result<std::optional<Org>> PostgresStore::get_org(std::string_view id) {
  static const std::string kSql = select_sql(kOrgColumns, "orgs WHERE id = $1");
  return run([&](PgConnection& conn) {
    return query_one<Org>(conn, "get_org", kSql, PgParams().add(id), read_org);
  });
}

Result<std::vector<Org>> PostgresStore::list_orgs(const Page& page) {
  static const std::string kSql =
      select_sql(kOrgColumns, "orgs WHERE id > $1 ORDER BY id LIMIT $2");
  return run([&](PgConnection& conn) {
    return read_list<Org>(conn, "list_orgs", kSql, kSql, "", page, read_org);
  });
}

Result<void> PostgresStore::delete_org(std::string_view id) {
  return delete_by_id("delete_org", "DELETE FROM orgs WHERE id = $1", id);
}

Result<void> PostgresStore::put_team(const Team& team) {
  static const std::string kSql = upsert_sql("teams", kTeamColumns, '$');
  PgParams params;
  write_team(params, team);
  return run([&](PgConnection& conn) { return write_entity(conn, "put_team", kSql, params); });
}

Result<std::optional<Team>> PostgresStore::get_team(std::string_view id) {
  static const std::string kSql = select_sql(kTeamColumns, "teams WHERE id = $1");
  return run([&](PgConnection& conn) {
    return query_one<Team>(conn, "get_team", kSql, PgParams().add(id), read_team);
  });
}

Result<std::vector<Team>> PostgresStore::list_teams(std::string_view org_id, const Page& page) {
  static const std::string kAll =
      select_sql(kTeamColumns, "teams WHERE id > $1 ORDER BY id LIMIT $2");
  static const std::string kOfOrg =
      select_sql(kTeamColumns, "teams WHERE org_id = $3 AND id > $1 ORDER BY id LIMIT $2");
  return run([&](PgConnection& conn) {
    return read_list<Team>(conn, "list_teams", kAll, kOfOrg, org_id, page, read_team);
  });
}

Result<void> PostgresStore::delete_team(std::string_view id) {
  return delete_by_id("delete_team", "DELETE FROM teams WHERE id = $1", id);
}

Result<void> PostgresStore::put_user(const User& user) {
  static const std::string kSql = upsert_sql("users", kUserColumns, '$');
  PgParams params;
  write_user(params, user);
  return run([&](PgConnection& conn) { return write_entity(conn, "put_user", kSql, params); });
}

Result<std::optional<User>> PostgresStore::get_user(std::string_view id) {
  static const std::string kSql = select_sql(kUserColumns, "users WHERE id = $1");
  return run([&](PgConnection& conn) {
    return query_one<User>(conn, "get_user", kSql, PgParams().add(id), read_user);
  });
}

Result<std::optional<User>> PostgresStore::get_user_by_name(std::string_view name) {
  static const std::string kSql = select_sql(kUserColumns, "users WHERE name = $1");
  return run([&](PgConnection& conn) {
    return query_one<User>(conn, "get_user_by_name", kSql, PgParams().add(name), read_user);
  });
}

Result<std::vector<User>> PostgresStore::list_users(std::string_view org_id, const Page& page) {
  static const std::string kAll =
      select_sql(kUserColumns, "users WHERE id > $1 ORDER BY id LIMIT $2");
  static const std::string kOfOrg =
      select_sql(kUserColumns, "users WHERE org_id = $3 AND id > $1 ORDER BY id LIMIT $2");
  return run([&](PgConnection& conn) {
    return read_list<User>(conn, "list_users", kAll, kOfOrg, org_id, page, read_user);
  });
}

Result<void> PostgresStore::delete_user(std::string_view id) {
  return delete_by_id("delete_user", "DELETE FROM users WHERE id = $1", id);
}

}  // namespace nexus::storage

namespace nexus::governance {

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url) {
  auto store = storage::PostgresStore::open(url);
  if (!store) {
    return std::unexpected(std::move(store.error()));
  }
  return std::unique_ptr<Store>(std::move(*store));
}

std::string store_for_logs(const std::string& store) {
  if (store.starts_with("postgres://") || store.starts_with("postgresql://")) {
    return storage::redacted_url(store);
  }
  return store;
}

}  // namespace nexus::governance

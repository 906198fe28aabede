// SqliteStore: opening, the generation counter, organizations, teams and users. Keys are in
// sqlite_keys.cc, the ledger and the audit log in sqlite_ledger.cc.
#include "control/storage/sqlite_store.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <system_error>

#include "control/storage/entity_codec.h"
#include "control/storage/migrations.h"

namespace nexus::storage {
namespace {

using governance::Org;
using governance::Page;
using governance::Team;
using governance::User;

// busy_timeout: another process holding the write lock (a backup, the sqlite3 shell) is waited
// for, up to this long, before a write fails (the ledger writer then retries the batch).
constexpr const char* kPragmas =
    "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;";

int64_t unix_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> set_wal_mode(SqliteDb& db) {
  // journal_mode answers with the mode in force: a file system without shared memory (some
  // network mounts) keeps the old one, and the durability promises would not hold.
  auto statement = db.prepare("set journal_mode=WAL", "PRAGMA journal_mode = WAL");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  auto row = statement->step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row || statement->text(0) != "wal") {
    std::string message = "set journal_mode=WAL: SQLite kept journal mode '";
    message += *row ? statement->text(0) : std::string();
    message += "' (WAL needs a local file system)";
    return fail(ErrorCode::kInvalidConfig, std::move(message));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  const std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error) {
      std::string message = "create the directory of ";
      message += path;
      message += ": ";
      message += error.message();
      return fail(ErrorCode::kInvalidConfig, std::move(message));
    }
  }
  auto db = SqliteDb::open(path);
  if (!db) {
    return std::unexpected(std::move(db.error()));
  }
  auto prepared = set_wal_mode(*db);
  if (prepared) {
    prepared = db->exec("set PRAGMAs", kPragmas);
  }
  if (prepared) {
    prepared = apply_migrations(*db, sqlite_migrations(), unix_millis_now());
  }
  if (!prepared) {
    std::string message = "SQLite store ";
    message += path;
    message += ": ";
    message += prepared.error().message();
    return fail(prepared.error().code(), std::move(message));
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db)));
}

Result<void> SqliteStore::write_entity(std::string_view operation, Statement& change) {
  auto transaction = Transaction::begin(db_, operation);
  if (!transaction) {
    return std::unexpected(std::move(transaction.error()));
  }
  if (auto changed = change.run(); !changed) {
    return changed;
  }
  if (db_.changes() > 0) {
    auto bump =
        db_.prepare(operation, "UPDATE meta SET value = value + 1 WHERE name = 'generation'");
    if (!bump) {
      return std::unexpected(std::move(bump.error()));
    }
    if (auto bumped = bump->run(); !bumped) {
      return bumped;
    }
  }
  return transaction->commit();
}

Result<void> SqliteStore::put_entity(std::string_view operation, const std::string& sql,
                                     const std::function<void(ParamWriter&)>& write) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(operation, sql);
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  StatementParams params(*statement);
  write(params);
  return write_entity(operation, *statement);
}

Result<Statement> SqliteStore::prepare_list(std::string_view operation, const std::string& all,
                                            const std::string& of_org, std::string_view org_id,
                                            const Page& page) {
  auto statement = db_.prepare(operation, org_id.empty() ? all : of_org);
  if (statement) {
    statement->bind(1, page.after);
    statement->bind(2, static_cast<int64_t>(page.limit));
    if (!org_id.empty()) {
      statement->bind(3, org_id);
    }
  }
  return statement;
}

Result<void> SqliteStore::delete_by_id(std::string_view operation, const std::string& sql,
                                       std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(operation, sql);
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, id);
  return write_entity(operation, *statement);
}

Result<uint64_t> SqliteStore::generation() {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("generation", "SELECT value FROM meta WHERE name = 'generation'");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  auto row = statement->step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  return *row ? static_cast<uint64_t>(statement->int64(0)) : 0;
}

Result<void> SqliteStore::put_org(const Org& org) {
  static const std::string kSql = upsert_sql("orgs", kOrgColumns, '?');
  return put_entity("put_org", kSql, [&](ParamWriter& params) { write_org(params, org); });
}

Result<std::optional<Org>> SqliteStore::get_org(std::string_view id) {
  static const std::string kSql = select_sql(kOrgColumns, "orgs WHERE id = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_org", kSql);
  if (statement) {
    statement->bind(1, id);
  }
  return read_one_prepared<Org>(statement, read_org);
}

Result<std::vector<Org>> SqliteStore::list_orgs(const Page& page) {
  static const std::string kSql =
      select_sql(kOrgColumns, "orgs WHERE id > ?1 ORDER BY id LIMIT ?2");
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list("list_orgs", kSql, "", "", page);
  return read_all_prepared<Org>(statement, read_org);
}

Result<void> SqliteStore::delete_org(std::string_view id) {
  return delete_by_id("delete_org", "DELETE FROM orgs WHERE id = ?1", id);
}

Result<void> SqliteStore::put_team(const Team& team) {
  static const std::string kSql = upsert_sql("teams", kTeamColumns, '?');
  return put_entity("put_team", kSql, [&](ParamWriter& params) { write_team(params, team); });
}

Result<std::optional<Team>> SqliteStore::get_team(std::string_view id) {
  static const std::string kSql = select_sql(kTeamColumns, "teams WHERE id = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_team", kSql);
  if (statement) {
    statement->bind(1, id);
  }
  return read_one_prepared<Team>(statement, read_team);
}

Result<std::vector<Team>> SqliteStore::list_teams(std::string_view org_id, const Page& page) {
  static const std::string kAll =
      select_sql(kTeamColumns, "teams WHERE id > ?1 ORDER BY id LIMIT ?2");
  static const std::string kOfOrg =
      select_sql(kTeamColumns, "teams WHERE org_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2");
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list("list_teams", kAll, kOfOrg, org_id, page);
  return read_all_prepared<Team>(statement, read_team);
}

Result<void> SqliteStore::delete_team(std::string_view id) {
  return delete_by_id("delete_team", "DELETE FROM teams WHERE id = ?1", id);
}

Result<void> SqliteStore::put_user(const User& user) {
  static const std::string kSql = upsert_sql("users", kUserColumns, '?');
  return put_entity("put_user", kSql, [&](ParamWriter& params) { write_user(params, user); });
}

Result<std::optional<User>> SqliteStore::get_user(std::string_view id) {
  static const std::string kSql = select_sql(kUserColumns, "users WHERE id = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_user", kSql);
  if (statement) {
    statement->bind(1, id);
  }
  return read_one_prepared<User>(statement, read_user);
}

Result<std::optional<User>> SqliteStore::get_user_by_name(std::string_view name) {
  static const std::string kSql = select_sql(kUserColumns, "users WHERE name = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_user_by_name", kSql);
  if (statement) {
    statement->bind(1, name);
  }
  return read_one_prepared<User>(statement, read_user);
}

Result<std::vector<User>> SqliteStore::list_users(std::string_view org_id, const Page& page) {
  static const std::string kAll =
      select_sql(kUserColumns, "users WHERE id > ?1 ORDER BY id LIMIT ?2");
  static const std::string kOfOrg =
      select_sql(kUserColumns, "users WHERE org_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2");
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list("list_users", kAll, kOfOrg, org_id, page);
  return read_all_prepared<User>(statement, read_user);
}

Result<void> SqliteStore::delete_user(std::string_view id) {
  return delete_by_id("delete_user", "DELETE FROM users WHERE id = ?1", id);
}

}  // namespace nexus::storage

namespace nexus::governance {

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  auto store = storage::SqliteStore::open(path);
  if (!store) {
    return std::unexpected(std::move(store.error()));
  }
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace nexus::governance

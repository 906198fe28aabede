// SqliteStore: opening, the generation counter, organizations, teams and users. Keys are in
// sqlite_keys.cc, the ledger and the audit log in sqlite_ledger.cc.
#include "control/storage/sqlite_store.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "control/storage/migrations.h"
#include "control/storage/store_codec.h"

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

Result<Org> read_org(const Statement& row) {
  auto controls = controls_from_json(row.text(2));
  if (!controls) {
    return std::unexpected(std::move(controls.error()));
  }
  return Org{.id = row.text(0),
             .name = row.text(1),
             .controls = std::move(*controls),
             .created_at = row.int64(3)};
}

Result<Team> read_team(const Statement& row) {
  auto controls = controls_from_json(row.text(3));
  if (!controls) {
    return std::unexpected(std::move(controls.error()));
  }
  return Team{.id = row.text(0),
              .org_id = row.text(1),
              .name = row.text(2),
              .controls = std::move(*controls),
              .created_at = row.int64(4)};
}

Result<User> read_user(const Statement& row) {
  auto controls = controls_from_json(row.text(5));
  const auto role = parse_role(row.text(4));
  if (!controls || !role) {
    std::string message = "stored user ";
    message += row.text(0);
    message += controls ? " has an unknown role" : " has damaged controls";
    return fail(ErrorCode::kInternal, std::move(message));
  }
  return User{.id = row.text(0),
              .org_id = row.text(1),
              .team_id = row.text(2),
              .name = row.text(3),
              .role = *role,
              .controls = std::move(*controls),
              .created_at = row.int64(6)};
}

// Runs a bound SELECT and reads every row with `read`.
template <typename T, typename Read>
Result<std::vector<T>> read_all(Result<Statement>& statement, Read read) {
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  std::vector<T> items;
  for (;;) {
    auto row = statement->step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return items;
    }
    auto item = read(*statement);
    if (!item) {
      return std::unexpected(std::move(item.error()));
    }
    items.push_back(std::move(*item));
  }
}

template <typename T, typename Read>
Result<std::optional<T>> read_one(Result<Statement>& statement, Read read) {
  auto items = read_all<T>(statement, read);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  if (items->empty()) {
    return std::nullopt;
  }
  return std::move(items->front());
}

// A list by id after page.after, optionally of one organization: the two statements differ only
// in the filter (a separate statement each, so that each uses its index).
Result<Statement> prepare_list(SqliteDb& db, std::string_view operation, const std::string& all,
                               const std::string& of_org, std::string_view org_id,
                               const Page& page) {
  auto statement = db.prepare(operation, org_id.empty() ? all : of_org);
  if (statement) {
    statement->bind(1, page.after);
    statement->bind(2, static_cast<int64_t>(page.limit));
    if (!org_id.empty()) {
      statement->bind(3, org_id);
    }
  }
  return statement;
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
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(
      "put_org",
      "INSERT INTO orgs (id, name, controls, created_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, controls = excluded.controls, "
      "created_at = excluded.created_at");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, org.id);
  statement->bind(2, org.name);
  statement->bind(3, controls_to_json(org.controls));
  statement->bind(4, org.created_at);
  return write_entity("put_org", *statement);
}

Result<std::optional<Org>> SqliteStore::get_org(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto statement =
      db_.prepare("get_org", "SELECT id, name, controls, created_at FROM orgs WHERE id = ?1");
  if (statement) {
    statement->bind(1, id);
  }
  return read_one<Org>(statement, read_org);
}

Result<std::vector<Org>> SqliteStore::list_orgs(const Page& page) {
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list(
      db_, "list_orgs",
      "SELECT id, name, controls, created_at FROM orgs WHERE id > ?1 ORDER BY id LIMIT ?2", "", "",
      page);
  return read_all<Org>(statement, read_org);
}

Result<void> SqliteStore::delete_org(std::string_view id) {
  return delete_by_id("delete_org", "DELETE FROM orgs WHERE id = ?1", id);
}

Result<void> SqliteStore::put_team(const Team& team) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(
      "put_team",
      "INSERT INTO teams (id, org_id, name, controls, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, name = excluded.name, "
      "controls = excluded.controls, created_at = excluded.created_at");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, team.id);
  statement->bind_id_or_null(2, team.org_id);
  statement->bind(3, team.name);
  statement->bind(4, controls_to_json(team.controls));
  statement->bind(5, team.created_at);
  return write_entity("put_team", *statement);
}

Result<std::optional<Team>> SqliteStore::get_team(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(
      "get_team", "SELECT id, org_id, name, controls, created_at FROM teams WHERE id = ?1");
  if (statement) {
    statement->bind(1, id);
  }
  return read_one<Team>(statement, read_team);
}

Result<std::vector<Team>> SqliteStore::list_teams(std::string_view org_id, const Page& page) {
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list(
      db_, "list_teams",
      "SELECT id, org_id, name, controls, created_at FROM teams WHERE id > ?1 "
      "ORDER BY id LIMIT ?2",
      "SELECT id, org_id, name, controls, created_at FROM teams WHERE org_id = ?3 AND id > ?1 "
      "ORDER BY id LIMIT ?2",
      org_id, page);
  return read_all<Team>(statement, read_team);
}

Result<void> SqliteStore::delete_team(std::string_view id) {
  return delete_by_id("delete_team", "DELETE FROM teams WHERE id = ?1", id);
}

Result<void> SqliteStore::put_user(const User& user) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(
      "put_user",
      "INSERT INTO users (id, org_id, team_id, name, role, controls, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, team_id = excluded.team_id, "
      "name = excluded.name, role = excluded.role, controls = excluded.controls, "
      "created_at = excluded.created_at");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, user.id);
  statement->bind_id_or_null(2, user.org_id);
  statement->bind_id_or_null(3, user.team_id);
  statement->bind(4, user.name);
  statement->bind(5, role_name(user.role));
  statement->bind(6, controls_to_json(user.controls));
  statement->bind(7, user.created_at);
  return write_entity("put_user", *statement);
}

Result<std::optional<User>> SqliteStore::get_user(std::string_view id) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_user",
                               "SELECT id, org_id, team_id, name, role, controls, created_at "
                               "FROM users WHERE id = ?1");
  if (statement) {
    statement->bind(1, id);
  }
  return read_one<User>(statement, read_user);
}

Result<std::optional<User>> SqliteStore::get_user_by_name(std::string_view name) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_user_by_name",
                               "SELECT id, org_id, team_id, name, role, controls, created_at "
                               "FROM users WHERE name = ?1");
  if (statement) {
    statement->bind(1, name);
  }
  return read_one<User>(statement, read_user);
}

Result<std::vector<User>> SqliteStore::list_users(std::string_view org_id, const Page& page) {
  const std::lock_guard lock(mutex_);
  auto statement = prepare_list(
      db_, "list_users",
      "SELECT id, org_id, team_id, name, role, controls, created_at FROM users WHERE id > ?1 "
      "ORDER BY id LIMIT ?2",
      "SELECT id, org_id, team_id, name, role, controls, created_at FROM users "
      "WHERE org_id = ?3 AND id > ?1 ORDER BY id LIMIT ?2",
      org_id, page);
  return read_all<User>(statement, read_user);
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

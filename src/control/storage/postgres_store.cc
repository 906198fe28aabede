// PostgresStore: opening, the generation counter, organizations, teams and users. Keys are in
// postgres_keys.cc, the ledger and the audit log in postgres_ledger.cc.
#include "control/storage/postgres_store.h"

#include <chrono>

#include "control/storage/postgres_migrations.h"
#include "control/storage/store_codec.h"

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

Result<Org> read_org(const PgRow& row) {
  auto controls = controls_from_json(row.text(2));
  if (!controls) {
    return std::unexpected(std::move(controls.error()));
  }
  return Org{.id = row.text(0),
             .name = row.text(1),
             .controls = std::move(*controls),
             .created_at = row.int64(3)};
}

Result<Team> read_team(const PgRow& row) {
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

Result<User> read_user(const PgRow& row) {
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

// Runs a SELECT and reads every row with `read`.
template <typename T, typename Read>
Result<std::vector<T>> read_all(PgConnection& conn, std::string_view operation,
                                const std::string& sql, const PgParams& params, Read read) {
  auto rows = conn.exec(operation, sql, params);
  if (!rows) {
    return std::unexpected(std::move(rows.error()));
  }
  std::vector<T> items;
  items.reserve(static_cast<size_t>(rows->size()));
  for (int index = 0; index < rows->size(); ++index) {
    auto item = read(PgRow{*rows, index});
    if (!item) {
      return std::unexpected(std::move(item.error()));
    }
    items.push_back(std::move(*item));
  }
  return items;
}

template <typename T, typename Read>
Result<std::optional<T>> read_one(PgConnection& conn, std::string_view operation,
                                  const std::string& sql, const PgParams& params, Read read) {
  auto items = read_all<T>(conn, operation, sql, params, read);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  if (items->empty()) {
    return std::nullopt;
  }
  return std::move(items->front());
}

// A list by id after page.after ($1), at most page.limit ($2), of one organization ($3) when
// org_id is set: a separate statement each, so that each uses its index.
template <typename T, typename Read>
Result<std::vector<T>> read_list(PgConnection& conn, std::string_view operation,
                                 const std::string& all, const std::string& of_org,
                                 std::string_view org_id, const Page& page, Read read) {
  PgParams params;
  params.add(page.after).add(static_cast<int64_t>(page.limit));
  if (!org_id.empty()) {
    params.add(org_id);
  }
  return read_all<T>(conn, operation, org_id.empty() ? all : of_org, params, read);
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
  PgParams params;
  params.add(org.id).add(org.name).add(controls_to_json(org.controls)).add(org.created_at);
  return run([&](PgConnection& conn) {
    return write_entity(
        conn, "put_org",
        "INSERT INTO orgs (id, name, controls, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, controls = excluded.controls, "
        "created_at = excluded.created_at",
        params);
  });
}

Result<std::optional<Org>> PostgresStore::get_org(std::string_view id) {
  return run([&](PgConnection& conn) {
    return read_one<Org>(conn, "get_org",
                         "SELECT id, name, controls, created_at FROM orgs WHERE id = $1",
                         PgParams().add(id), read_org);
  });
}

Result<std::vector<Org>> PostgresStore::list_orgs(const Page& page) {
  return run([&](PgConnection& conn) {
    const std::string sql =
        "SELECT id, name, controls, created_at FROM orgs WHERE id > $1 ORDER BY id LIMIT $2";
    return read_list<Org>(conn, "list_orgs", sql, sql, "", page, read_org);
  });
}

Result<void> PostgresStore::delete_org(std::string_view id) {
  return delete_by_id("delete_org", "DELETE FROM orgs WHERE id = $1", id);
}

Result<void> PostgresStore::put_team(const Team& team) {
  PgParams params;
  params.add(team.id)
      .add_id_or_null(team.org_id)
      .add(team.name)
      .add(controls_to_json(team.controls))
      .add(team.created_at);
  return run([&](PgConnection& conn) {
    return write_entity(
        conn, "put_team",
        "INSERT INTO teams (id, org_id, name, controls, created_at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, name = excluded.name, "
        "controls = excluded.controls, created_at = excluded.created_at",
        params);
  });
}

Result<std::optional<Team>> PostgresStore::get_team(std::string_view id) {
  return run([&](PgConnection& conn) {
    return read_one<Team>(conn, "get_team",
                          "SELECT id, org_id, name, controls, created_at FROM teams WHERE id = $1",
                          PgParams().add(id), read_team);
  });
}

Result<std::vector<Team>> PostgresStore::list_teams(std::string_view org_id, const Page& page) {
  return run([&](PgConnection& conn) {
    return read_list<Team>(
        conn, "list_teams",
        "SELECT id, org_id, name, controls, created_at FROM teams WHERE id > $1 "
        "ORDER BY id LIMIT $2",
        "SELECT id, org_id, name, controls, created_at FROM teams WHERE org_id = $3 AND id > $1 "
        "ORDER BY id LIMIT $2",
        org_id, page, read_team);
  });
}

Result<void> PostgresStore::delete_team(std::string_view id) {
  return delete_by_id("delete_team", "DELETE FROM teams WHERE id = $1", id);
}

Result<void> PostgresStore::put_user(const User& user) {
  PgParams params;
  params.add(user.id)
      .add_id_or_null(user.org_id)
      .add_id_or_null(user.team_id)
      .add(user.name)
      .add(role_name(user.role))
      .add(controls_to_json(user.controls))
      .add(user.created_at);
  return run([&](PgConnection& conn) {
    return write_entity(
        conn, "put_user",
        "INSERT INTO users (id, org_id, team_id, name, role, controls, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, team_id = excluded.team_id, "
        "name = excluded.name, role = excluded.role, controls = excluded.controls, "
        "created_at = excluded.created_at",
        params);
  });
}

Result<std::optional<User>> PostgresStore::get_user(std::string_view id) {
  return run([&](PgConnection& conn) {
    return read_one<User>(conn, "get_user",
                          "SELECT id, org_id, team_id, name, role, controls, created_at "
                          "FROM users WHERE id = $1",
                          PgParams().add(id), read_user);
  });
}

Result<std::optional<User>> PostgresStore::get_user_by_name(std::string_view name) {
  return run([&](PgConnection& conn) {
    return read_one<User>(conn, "get_user_by_name",
                          "SELECT id, org_id, team_id, name, role, controls, created_at "
                          "FROM users WHERE name = $1",
                          PgParams().add(name), read_user);
  });
}

Result<std::vector<User>> PostgresStore::list_users(std::string_view org_id, const Page& page) {
  return run([&](PgConnection& conn) {
    return read_list<User>(
        conn, "list_users",
        "SELECT id, org_id, team_id, name, role, controls, created_at FROM users WHERE id > $1 "
        "ORDER BY id LIMIT $2",
        "SELECT id, org_id, team_id, name, role, controls, created_at FROM users "
        "WHERE org_id = $3 AND id > $1 ORDER BY id LIMIT $2",
        org_id, page, read_user);
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

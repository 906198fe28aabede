#include "control/storage/postgres_migrations.h"

#include <algorithm>
#include <string>

namespace nexus::storage {
namespace {

// The same tables, columns and constraints as the SQLite store's migration 1 (migrations.cc),
// in PostgreSQL's types: BIGINT for times (Unix milliseconds) and money (nano-dollars), TEXT for
// JSON. JSON stays text (not jsonb) so that the text callers give (a key's metadata) reads back
// byte for byte; nexus_json_valid() is SQLite's json_valid(), so that invalid JSON breaks a
// CHECK constraint (kBadRequest) as it does there. Ids and every column grouped or ordered on are
// COLLATE "C": bytewise order, as in SQLite, whatever the database's locale, so keyset
// pagination and group order are the same in both stores.
constexpr const char* kGovernanceEntities = R"sql(
CREATE FUNCTION nexus_json_valid(document TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  PERFORM document::json;
  RETURN TRUE;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN FALSE;
END
$$;

CREATE TABLE meta (
  name TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  value BIGINT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('generation', 0);

CREATE TABLE orgs (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  controls TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE teams (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  org_id TEXT COLLATE "C" REFERENCES orgs (id),
  name TEXT NOT NULL,
  controls TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX teams_by_org ON teams (org_id, id);

CREATE TABLE users (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  org_id TEXT COLLATE "C" REFERENCES orgs (id),
  team_id TEXT COLLATE "C" REFERENCES teams (id),
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  role TEXT NOT NULL,
  controls TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX users_by_org ON users (org_id, id);
CREATE INDEX users_by_team ON users (team_id);

CREATE TABLE keys (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  hash TEXT COLLATE "C" NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT NOT NULL,
  org_id TEXT COLLATE "C" REFERENCES orgs (id),
  team_id TEXT COLLATE "C" REFERENCES teams (id),
  user_id TEXT COLLATE "C" REFERENCES users (id),
  allowed_models TEXT NOT NULL,
  allowed_ips TEXT NOT NULL,
  metadata TEXT NOT NULL CONSTRAINT keys_metadata_is_json CHECK (nexus_json_valid(metadata)),
  controls TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT NOT NULL
);
CREATE INDEX keys_by_org ON keys (org_id, id);
CREATE INDEX keys_by_team ON keys (team_id);
CREATE INDEX keys_by_user ON keys (user_id);
)sql";

// As the SQLite store's migration 2: plain ids, no foreign keys (what was billed stays), scope
// indexes ending with `cost` so that spend() reads the index alone.
constexpr const char* kUsageLedgerAndAudit = R"sql(
CREATE TABLE usage (
  request_id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  time BIGINT NOT NULL,
  key_id TEXT COLLATE "C" NOT NULL,
  user_id TEXT COLLATE "C" NOT NULL,
  team_id TEXT COLLATE "C" NOT NULL,
  org_id TEXT COLLATE "C" NOT NULL,
  model TEXT COLLATE "C" NOT NULL,
  provider TEXT NOT NULL,
  deployment_model TEXT NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cache_read_tokens BIGINT NOT NULL,
  cache_write_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  usage_estimated BOOLEAN NOT NULL,
  cost BIGINT NOT NULL,
  latency_ms BIGINT NOT NULL,
  status INTEGER NOT NULL
);
CREATE INDEX usage_by_time ON usage (time);
CREATE INDEX usage_by_key ON usage (key_id, time, cost);
CREATE INDEX usage_by_user ON usage (user_id, time, cost);
CREATE INDEX usage_by_team ON usage (team_id, time, cost);
CREATE INDEX usage_by_org ON usage (org_id, time, cost);
CREATE INDEX usage_by_model ON usage (model, time);

CREATE TABLE audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL CONSTRAINT audit_detail_is_json CHECK (nexus_json_valid(detail))
);
CREATE INDEX audit_by_time ON audit (time, seq);
)sql";

// Rotation keeps a key's id: the secret it replaced stays valid until previous_valid_until.
// previous_hash is NULL when there is none (the unique index holds many keys without one).
constexpr const char* kKeyRotation = R"sql(
ALTER TABLE keys ADD COLUMN previous_hash TEXT COLLATE "C";
ALTER TABLE keys ADD COLUMN previous_valid_until BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX keys_by_previous_hash ON keys (previous_hash);
)sql";

constexpr Migration kMigrations[] = {
    {1, "organizations, teams, users, virtual keys", kGovernanceEntities},
    {2, "the usage ledger and the audit log", kUsageLedgerAndAudit},
    {3, "a rotated key's previous secret", kKeyRotation},
};

// Under the advisory lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in the
// catalog.
constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)";

Result<int64_t> read_version(PgConnection& conn) {
  auto rows =
      conn.exec("read schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!rows) {
    return std::unexpected(std::move(rows.error()));
  }
  return rows->int64(0, 0);
}

// One transaction: takes the lock, reads the version under it and applies the next migration, if
// any. Sets `done` when the database is at the last version.
Result<void> apply_next(PgConnection& conn, std::span<const Migration> migrations, int64_t now_ms,
                        bool& done) {
  auto transaction = PgTransaction::begin(conn, "begin schema migration");
  if (!transaction) {
    return std::unexpected(std::move(transaction.error()));
  }
  // Held until this transaction ends: another instance's migration waits here.
  auto locked = conn.exec("lock schema migrations", "SELECT pg_advisory_xact_lock($1)",
                          PgParams().add(kMigrationLockKey));
  if (!locked) {
    return std::unexpected(std::move(locked.error()));
  }
  if (auto created = conn.exec_script("create schema_migrations", kCreateMigrationsTable);
      !created) {
    return created;
  }
  auto version = read_version(conn);
  if (!version) {
    return std::unexpected(std::move(version.error()));
  }
  const int64_t known = migrations.empty() ? 0 : migrations.back().version;
  if (*version > known) {
    return newer_than_binary(*version, known);
  }
  const auto next = std::ranges::find_if(
      migrations, [&](const Migration& migration) { return migration.version > *version; });
  if (next == migrations.end()) {
    done = true;
    return transaction->commit();
  }
  const std::string operation = migration_operation(*next);
  if (auto applied = conn.exec_script(operation, next->sql); !applied) {
    return applied;
  }
  auto recorded = conn.exec("record schema migration",
                            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                            PgParams().add(next->version).add(now_ms));
  if (!recorded) {
    return std::unexpected(std::move(recorded.error()));
  }
  return transaction->commit();
}

}  // namespace

std::span<const Migration> postgres_migrations() { return kMigrations; }

Result<int64_t> postgres_schema_version(PgConnection& conn) {
  auto exists =
      conn.exec("find schema_migrations", "SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists) {
    return std::unexpected(std::move(exists.error()));
  }
  if (!exists->boolean(0, 0)) {
    return 0;
  }
  return read_version(conn);
}

Result<void> apply_postgres_migrations(PgConnection& conn, std::span<const Migration> migrations,
                                       int64_t now_ms) {
  bool done = false;
  while (!done) {
    if (auto applied = apply_next(conn, migrations, now_ms, done); !applied) {
      return applied;
    }
  }
  return {};
}

}  // namespace nexus::storage

#include "control/storage/migrations.h"

#include <string>

namespace nexus::storage {
namespace {

// Ids are TEXT; an optional reference is NULL when absent (never ""), so that its foreign key
// holds. Controls, lists and metadata are JSON text (see store_codec.h); the text callers give
// (a key's metadata, an audit entry's detail) is checked to be JSON. Times are Unix
// milliseconds, money integer nano-dollars. Every referencing column has an index: deleting a
// parent looks for children through it.
constexpr const char* kGovernanceEntities = R"sql(
CREATE TABLE meta (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (name, value) VALUES ('generation', 0);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  controls TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE teams (
  id TEXT PRIMARY KEY NOT NULL,
  org_id TEXT REFERENCES orgs (id),
  name TEXT NOT NULL,
  controls TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX teams_by_org ON teams (org_id, id);

CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  org_id TEXT REFERENCES orgs (id),
  team_id TEXT REFERENCES teams (id),
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  controls TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX users_by_org ON users (org_id, id);
CREATE INDEX users_by_team ON users (team_id);

CREATE TABLE keys (
  id TEXT PRIMARY KEY NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT NOT NULL,
  org_id TEXT REFERENCES orgs (id),
  team_id TEXT REFERENCES teams (id),
  user_id TEXT REFERENCES users (id),
  allowed_models TEXT NOT NULL,
  allowed_ips TEXT NOT NULL,
  metadata TEXT NOT NULL CHECK (json_valid(metadata)),
  controls TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL
) STRICT;
CREATE INDEX keys_by_org ON keys (org_id, id);
CREATE INDEX keys_by_team ON keys (team_id);
CREATE INDEX keys_by_user ON keys (user_id);
)sql";

// The ledger keeps plain ids, no foreign keys: what was billed stays when a key, user or team is
// deleted. The scope indexes end with `cost`, so that spend() reads the index alone.
constexpr const char* kUsageLedgerAndAudit = R"sql(
CREATE TABLE usage (
  request_id TEXT PRIMARY KEY NOT NULL,
  time INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT NOT NULL,
  deployment_model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  usage_estimated INTEGER NOT NULL,
  cost INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  status INTEGER NOT NULL
) STRICT;
CREATE INDEX usage_by_time ON usage (time);
CREATE INDEX usage_by_key ON usage (key_id, time, cost);
CREATE INDEX usage_by_user ON usage (user_id, time, cost);
CREATE INDEX usage_by_team ON usage (team_id, time, cost);
CREATE INDEX usage_by_org ON usage (org_id, time, cost);
CREATE INDEX usage_by_model ON usage (model, time);

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL CHECK (json_valid(detail))
) STRICT;
CREATE INDEX audit_by_time ON audit (time, seq);
)sql";

// Rotation keeps a key's id: the secret it replaced stays valid until previous_valid_until.
// previous_hash is NULL when there is none (so the unique index holds many keys without one),
// and `previous_hash = ?` implies NOT NULL, so a lookup by it uses the index.
constexpr const char* kKeyRotation = R"sql(
ALTER TABLE keys ADD COLUMN previous_hash TEXT;
ALTER TABLE keys ADD COLUMN previous_valid_until INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX keys_by_previous_hash ON keys (previous_hash);
)sql";

constexpr Migration kMigrations[] = {
    {1, "organizations, teams, users, virtual keys", kGovernanceEntities},
    {2, "the usage ledger and the audit log", kUsageLedgerAndAudit},
    {3, "a rotated key's previous secret", kKeyRotation},
};

Result<void> create_migrations_table(SqliteDb& db) {
  return db.exec("create schema_migrations",
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 "version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL) STRICT");
}

Result<void> apply_one(SqliteDb& db, const Migration& migration, int64_t now_ms) {
  const std::string operation = migration_operation(migration);
  auto transaction = Transaction::begin(db, "begin schema migration");
  if (!transaction) {
    return std::unexpected(std::move(transaction.error()));
  }
  if (auto applied = db.exec(operation, migration.sql); !applied) {
    return applied;
  }
  auto record = db.prepare("record schema migration",
                           "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
  if (!record) {
    return std::unexpected(std::move(record.error()));
  }
  record->bind(1, migration.version);
  record->bind(2, now_ms);
  if (auto recorded = record->run(); !recorded) {
    return recorded;
  }
  return transaction->commit();
}

}  // namespace

std::span<const Migration> sqlite_migrations() { return kMigrations; }

Result<int64_t> schema_version(SqliteDb& db) {
  if (auto created = create_migrations_table(db); !created) {
    return std::unexpected(std::move(created.error()));
  }
  auto statement =
      db.prepare("read schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  auto row = statement->step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  return statement->int64(0);
}

Result<void> apply_migrations(SqliteDb& db, std::span<const Migration> migrations, int64_t now_ms) {
  auto version = schema_version(db);
  if (!version) {
    return std::unexpected(std::move(version.error()));
  }
  const int64_t known = migrations.empty() ? 0 : migrations.back().version;
  if (*version > known) {
    return newer_than_binary(*version, known);
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= *version) {
      continue;
    }
    if (auto applied = apply_one(db, migration, now_ms); !applied) {
      return applied;
    }
  }
  return {};
}

}  // namespace nexus::storage

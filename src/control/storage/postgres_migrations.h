// Versioned schema migrations of the PostgreSQL store: the same scheme as the SQLite store's
// (migrations.h): `schema_migrations` records the versions applied, every migration newer than
// the database's is applied once in its own transaction, and a database newer than the binary is
// refused.
//
// Several instances may start together against one database: each migration's transaction first
// takes a transaction-scoped advisory lock (pg_advisory_xact_lock) and reads the version under
// it, so one instance migrates and the others, waiting on the lock, find the work done.
//
// Rule for whoever adds a migration: append to the list (the same version as the SQLite store's
// for the same tables), never edit an applied one.
#pragma once

#include <cstdint>
#include <span>

#include "control/storage/migration.h"
#include "control/storage/pg_connection.h"

namespace nexus::storage {

// The advisory lock key the migrations hold (ASCII "nexus.sm"): one number per database, chosen
// not to collide with an application's own small keys.
inline constexpr int64_t kMigrationLockKey = 0x6e657875732e736d;

// The store's migrations, oldest first.
std::span<const Migration> postgres_migrations();

// Brings the database to the last version of `migrations` (the store's, or a prefix of them in
// tests). `now_ms` is recorded as applied_at.
Result<void> apply_postgres_migrations(PgConnection& conn, std::span<const Migration> migrations,
                                       int64_t now_ms);

// The version recorded in the database; 0 for an empty one.
Result<int64_t> postgres_schema_version(PgConnection& conn);

}  // namespace nexus::storage

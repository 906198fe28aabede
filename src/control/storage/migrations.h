// Versioned schema migrations of the SQLite store.
//
// The schema is the result of an ordered list of SQL migrations. `schema_migrations` records
// the versions applied (and when); at open, every migration newer than the database's version is
// applied once, each in its own transaction, so a failed migration leaves the database at the
// previous version and the next start tries again. A database newer than the binary (written by
// a later version of Nexus) is refused: this binary would not know its tables.
//
// Rule for whoever adds a migration: append to the list, never edit an applied one.
#pragma once

#include <cstdint>
#include <span>

#include "control/storage/migration.h"
#include "control/storage/sqlite_db.h"

namespace nexus::storage {

// The store's migrations, oldest first.
std::span<const Migration> sqlite_migrations();

// Brings the database to the last version of `migrations` (the store's, or a prefix of them in
// tests). `now_ms` is recorded as applied_at.
Result<void> apply_migrations(SqliteDb& db, std::span<const Migration> migrations, int64_t now_ms);

// The version recorded in the database; 0 for an empty one.
Result<int64_t> schema_version(SqliteDb& db);

}  // namespace nexus::storage

// One step of a store's versioned schema, shared by the SQLite (migrations.h) and PostgreSQL
// (postgres_migrations.h) stores: each has its own list, with the same versions meaning the same
// tables.
#pragma once

#include <cstdint>
#include <string>

#include "nexus/core/result.h"

namespace nexus::storage {

struct Migration {
  int64_t version;   // 1, 2, 3, ... in order, no gaps
  const char* what;  // for error messages and the docs
  const char* sql;   // one or several statements
};

// "schema migration <version> (<what>)": the operation its errors name.
std::string migration_operation(const Migration& migration);

// kInvalidConfig: the database is at `version`, later than the last this binary knows (`known`):
// a later Nexus wrote it, and this one would not know its tables.
std::unexpected<Error> newer_than_binary(int64_t version, int64_t known);

}  // namespace nexus::storage

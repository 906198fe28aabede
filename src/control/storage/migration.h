// One step of a store's versioned schema, shared by the SQLite (migrations.h) and PostgreSQL
// (postgres_migrations.h) stores: each has its own list, with the same versions meaning the same
// tables.
#pragma once

#include <cstdint>

namespace nexus::storage {

struct Migration {
  int64_t version;   // 1, 2, 3, ... in order, no gaps
  const char* what;  // for error messages and the docs
  const char* sql;   // one or several statements
};

}  // namespace nexus::storage

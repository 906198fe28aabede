// The stores the behaviour tests run against: each test body runs once per factory (a typed test
// suite), so the SQLite and PostgreSQL stores are held to the same expectations.
//   SqliteStoreFactory:   a database file in a fresh temporary directory.
//   PostgresStoreFactory: a fresh database on the process's real PostgreSQL server
//                         (postgres_server.h).
// open() may be called again: the same store, reopened (data survives).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "governance/store.h"
#include "postgres_server.h"
#include "store_test_support.h"

namespace nexus::storage::testing {

class SqliteStoreFactory {
 public:
  static constexpr const char* kName = "Sqlite";
  // "": ready. Otherwise why the store cannot be opened at all (ASSERTed by the fixtures).
  [[nodiscard]] std::string unavailable() const { return {}; }
  Result<std::unique_ptr<governance::Store>> open() {
    return governance::open_sqlite_store(dir_.file("data/nexus.db"));
  }

 private:
  TempDir dir_;
};

class PostgresStoreFactory {
 public:
  static constexpr const char* kName = "Postgres";
  [[nodiscard]] std::string unavailable() const { return PostgresServer::shared().error(); }
  Result<std::unique_ptr<governance::Store>> open() {
    if (url_.empty() && PostgresServer::shared().ok()) {
      url_ = PostgresServer::shared().create_database();
    }
    return governance::open_postgres_store(url_);
  }

 private:
  std::string url_;
};

using StoreFactories = ::testing::Types<SqliteStoreFactory, PostgresStoreFactory>;

// "Sqlite" and "Postgres" in the test names: StoreTest/Postgres.OrgRoundTrips...
struct FactoryName {
  template <typename Factory>
  static std::string GetName(int /*index*/) {  // NOLINT(readability-identifier-naming): gtest's
    return Factory::kName;
  }
};

}  // namespace nexus::storage::testing

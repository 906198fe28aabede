// Shared by the storage and ledger writer tests: a temporary directory for real SQLite files, a
// plain connection to look at them from the outside, and record builders.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "control/storage/sqlite_db.h"
#include "governance/store.h"

namespace nexus::storage::testing {

// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nexus-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A second connection to a store's file: what another process would see.
inline SqliteDb open_raw(const std::string& path) {
  auto db = SqliteDb::open(path);
  EXPECT_TRUE(db) << db.error().message();
  auto waited = db->exec("busy_timeout", "PRAGMA busy_timeout = 5000");
  EXPECT_TRUE(waited) << waited.error().message();
  return std::move(*db);
}

// The first column of the first row of `sql` (fixed text, no parameters) as an integer.
inline int64_t query_int(SqliteDb& db, const std::string& sql) {
  auto statement = db.prepare("test query", sql);
  EXPECT_TRUE(statement) << statement.error().message();
  if (!statement) {
    return -1;
  }
  auto row = statement->step();
  EXPECT_TRUE(row && *row) << sql;
  return row && *row ? statement->int64(0) : -1;
}

inline std::string query_text(SqliteDb& db, const std::string& sql) {
  auto statement = db.prepare("test query", sql);
  EXPECT_TRUE(statement) << statement.error().message();
  if (!statement) {
    return {};
  }
  auto row = statement->step();
  EXPECT_TRUE(row && *row) << sql;
  return row && *row ? statement->text(0) : std::string();
}

// What a lookup that must find something found; a default T, and a test failure, otherwise.
template <typename T>
T must_find(Result<std::optional<T>> lookup) {
  if (!lookup) {
    ADD_FAILURE() << lookup.error().message();
    return T{};
  }
  std::optional<T>& value = *lookup;
  if (!value) {
    ADD_FAILURE() << "not found";
    return T{};
  }
  return std::move(*value);
}

inline governance::UsageRecord usage_record(std::string request_id, governance::UnixMillis time,
                                            governance::NanoUsd cost) {
  return governance::UsageRecord{.request_id = std::move(request_id),
                                 .time = time,
                                 .key_id = "key_a",
                                 .user_id = "user_a",
                                 .team_id = "team_a",
                                 .org_id = "org_a",
                                 .model = "gpt-4o",
                                 .provider = "openai",
                                 .deployment_model = "gpt-4o-2024-08-06",
                                 .usage = {.input = 100, .output = 20},
                                 .cost = cost,
                                 .latency_ms = 250,
                                 .status = 200};
}

}  // namespace nexus::storage::testing

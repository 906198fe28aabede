// Schema migrations: an empty database is brought to the latest version, an older one is
// migrated keeping its data, reopening applies nothing twice, a failed migration leaves the
// previous version, and a database newer than the binary is refused.
#include "control/storage/migrations.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "governance/store.h"
#include "store_test_support.h"

namespace nexus::storage {
namespace {

using testing::open_raw;
using testing::query_int;
using testing::query_text;
using testing::TempDir;

int64_t latest_version() { return sqlite_migrations().back().version; }

TEST(SqliteMigrationsTest, TheMigrationsAreNumberedInOrderFromOne) {
  int64_t expected = 1;
  for (const Migration& migration : sqlite_migrations()) {
    EXPECT_EQ(migration.version, expected++) << migration.what;
  }
  EXPECT_GE(latest_version(), 2) << "the tests below migrate from version 1";
}

TEST(SqliteMigrationsTest, AnEmptyDatabaseIsBroughtToTheLatestVersion) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  {
    auto store = governance::open_sqlite_store(path);
    ASSERT_TRUE(store) << store.error().message();
  }
  SqliteDb db = open_raw(path);
  EXPECT_EQ(query_int(db, "SELECT MAX(version) FROM schema_migrations"), latest_version());
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM schema_migrations"), latest_version());
  EXPECT_GT(query_int(db, "SELECT MIN(applied_at) FROM schema_migrations"), 1'700'000'000'000)
      << "applied_at is a Unix time in milliseconds";
  EXPECT_EQ(query_text(db, "PRAGMA journal_mode"), "wal");
  const auto permissions = std::filesystem::status(path).permissions();
  EXPECT_EQ(permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none)
      << "key hashes and usage are for the owner only";
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                      "('orgs', 'teams', 'users', 'keys', 'usage', 'audit', 'meta')"),
            7);
}

TEST(SqliteMigrationsTest, AnOlderDatabaseIsMigratedAndKeepsItsData) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  {
    SqliteDb db = open_raw(path);
    ASSERT_TRUE(apply_migrations(db, sqlite_migrations().first(1), 1));
    auto version = schema_version(db);
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, 1);
    ASSERT_TRUE(db.exec("seed", "INSERT INTO orgs VALUES ('org_old', 'Old', '{}', 5)"));
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'usage'"), 0);
  }
  auto store = governance::open_sqlite_store(path);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(testing::must_find((*store)->get_org("org_old")).name, "Old");
  const std::vector<governance::UsageRecord> usage{testing::usage_record("req-1", 1, 1)};
  EXPECT_TRUE((*store)->append_usage(usage)) << "the ledger's migration ran";

  SqliteDb db = open_raw(path);
  EXPECT_EQ(query_int(db, "SELECT MAX(version) FROM schema_migrations"), latest_version());
  EXPECT_EQ(query_int(db, "SELECT applied_at FROM schema_migrations WHERE version = 1"), 1)
      << "version 1 was not applied again";
}

TEST(SqliteMigrationsTest, Version3KeepsTheKeysOfAVersion2DatabaseAndAddsRotation) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  {
    SqliteDb db = open_raw(path);
    ASSERT_TRUE(apply_migrations(db, sqlite_migrations().first(2), 1));
    ASSERT_TRUE(db.exec("seed", "INSERT INTO orgs VALUES ('org_old', 'Old', '{}', 5)"));
    ASSERT_TRUE(db.exec("seed",
                        "INSERT INTO keys VALUES ('key_old', 'hash-old', 'nx-old', 'k', "
                        "'org_old', NULL, NULL, '[]', '[]', '{}', '{}', 5, 0, 0)"));
  }
  auto store = governance::open_sqlite_store(path);
  ASSERT_TRUE(store) << store.error().message();
  governance::VirtualKey key = testing::must_find((*store)->get_key("key_old"));
  EXPECT_EQ(key.hash, "hash-old");
  EXPECT_EQ(key.previous_hash, "") << "a key of version 2 has no previous secret";
  EXPECT_EQ(key.previous_valid_until, 0);

  key.previous_hash = key.hash;
  key.previous_valid_until = 10;
  key.hash = "hash-new";
  ASSERT_TRUE((*store)->put_key(key));
  EXPECT_EQ(testing::must_find((*store)->get_key_by_hash("hash-old")).id, "key_old");
  EXPECT_EQ(testing::must_find((*store)->get_key_by_hash("hash-new")).id, "key_old");

  SqliteDb db = open_raw(path);
  EXPECT_EQ(query_int(db, "SELECT MAX(version) FROM schema_migrations"), latest_version());
  EXPECT_EQ(query_int(db,
                      "SELECT COUNT(*) FROM sqlite_master WHERE name = "
                      "'keys_by_previous_hash'"),
            1);
  // The lookup by either hash reads the two unique indexes, never the whole table.
  auto explain = db.prepare("plan",
                            "EXPLAIN QUERY PLAN SELECT id FROM keys WHERE hash = ?1 OR "
                            "previous_hash = ?1");
  ASSERT_TRUE(explain) << explain.error().message();
  explain->bind(1, std::string_view("x"));
  std::string plan;
  for (auto row = explain->step(); row && *row; row = explain->step()) {
    plan += explain->text(3);  // the plan's `detail` column
    plan += " | ";
  }
  EXPECT_NE(plan.find("keys_by_previous_hash"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("SCAN keys"), std::string::npos) << plan;
}

TEST(SqliteMigrationsTest, ReopeningAppliesNothingTwice) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  for (int i = 0; i < 3; ++i) {
    auto store = governance::open_sqlite_store(path);
    ASSERT_TRUE(store) << "opening #" << i << ": " << store.error().message();
    ASSERT_TRUE((*store)->put_org({.id = "org_" + std::to_string(i), .name = "O"}));
  }
  SqliteDb db = open_raw(path);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM schema_migrations"), latest_version());
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM orgs"), 3);
  EXPECT_EQ(query_int(db, "SELECT value FROM meta WHERE name = 'generation'"), 3);
}

TEST(SqliteMigrationsTest, AFailedMigrationLeavesThePreviousVersion) {
  TempDir dir;
  SqliteDb db = open_raw(dir.file("nexus.db"));
  const Migration broken[] = {
      sqlite_migrations()[0],
      {2, "a broken one", "CREATE TABLE half_done (a INTEGER); SELECT * FROM no_such_table;"},
  };
  auto applied = apply_migrations(db, broken, 1);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message().find("schema migration 2 (a broken one)"), std::string::npos)
      << applied.error().message();
  EXPECT_NE(applied.error().message().find("no_such_table"), std::string::npos);
  auto version = schema_version(db);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 1);
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'"), 0)
      << "the failed migration's statements were rolled back with it";
}

TEST(SqliteMigrationsTest, ADatabaseNewerThanTheBinaryIsRefused) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  {
    SqliteDb db = open_raw(path);
    ASSERT_TRUE(apply_migrations(db, sqlite_migrations(), 1));
    ASSERT_TRUE(db.exec("from the future", "INSERT INTO schema_migrations VALUES (" +
                                               std::to_string(latest_version() + 1) + ", 1)"));
  }
  auto store = governance::open_sqlite_store(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("newer than this binary"), std::string::npos)
      << store.error().message();
  EXPECT_NE(store.error().message().find(path), std::string::npos) << "names the file";
}

TEST(SqliteMigrationsTest, AFileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("this is not a SQLite database, just some text that is long enough to matter", file);
    std::fclose(file);
  }
  auto store = governance::open_sqlite_store(path);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("not a database"), std::string::npos)
      << store.error().message();
}

}  // namespace
}  // namespace nexus::storage

// What only the PostgreSQL store does, on a real server (postgres_server.h): two instances sharing
// one database (one generation, duplicate request ids inserted once, migrations applied once when
// they start together), a connection the server dropped reopened, a newer schema refused, and
// error messages that never carry the URL's password. The behaviour both stores share is in
// store_test.cc and store_ledger_test.cc.
#include <gtest/gtest.h>

#include <thread>

#include "control/storage/pg_connection.h"
#include "control/storage/postgres_migrations.h"
#include "governance/store.h"
#include "postgres_server.h"
#include "store_test_support.h"

namespace nexus::storage {
namespace {

using governance::Store;
using governance::UsageRecord;
using testing::must_find;
using testing::PostgresServer;
using testing::usage_record;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server().ok()) << server().error();
    url_ = server().create_database();
    ASSERT_FALSE(url_.empty());
  }

  static PostgresServer& server() { return PostgresServer::shared(); }

  std::unique_ptr<Store> open() {
    auto store = governance::open_postgres_store(url_);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  // A plain connection to the test's database: what another process would see.
  PgConnection raw() {
    auto conn = PgConnection::connect(url_);
    EXPECT_TRUE(conn) << conn.error().message();
    return std::move(*conn);
  }

  int64_t query_int(const std::string& sql) {
    PgConnection conn = raw();
    auto rows = conn.exec("test query", sql);
    EXPECT_TRUE(rows && !rows->empty()) << sql;
    return rows && !rows->empty() ? rows->int64(0, 0) : -1;
  }

  // Ends the server side of every store connection to this test's database (application_name
  // "nexus", which the store sets unless the URL names another): a server restart or a proxy
  // cutting idle connections, as the store sees it.
  void drop_store_connections() {
    const std::string database = url_.substr(url_.rfind('/') + 1);
    const std::string of_the_store =
        " FROM pg_stat_activity WHERE datname = '" + database + "' AND application_name = 'nexus'";
    ASSERT_TRUE(server().admin("SELECT pg_terminate_backend(pid)" + of_the_store));
    // The backend exits a moment after the signal: wait (bounded) until it has, so that the
    // store's next use certainly finds its connection closed.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (server().count("SELECT COUNT(*)" + of_the_store) != 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the backend did not exit";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::string url_;
};

TEST_F(PostgresStoreTest, TheSchemaIsAtTheLatestVersion) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const int64_t latest = postgres_migrations().back().version;
  EXPECT_EQ(query_int("SELECT MAX(version) FROM schema_migrations"), latest);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM schema_migrations"), latest);
  EXPECT_GT(query_int("SELECT MIN(applied_at) FROM schema_migrations"), 1'700'000'000'000)
      << "applied_at is a Unix time in milliseconds";
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                      "tablename IN ('orgs', 'teams', 'users', 'keys', 'usage', 'audit', 'meta')"),
            7);
  int64_t expected = 1;
  for (const Migration& migration : postgres_migrations()) {
    EXPECT_EQ(migration.version, expected++) << migration.what;
  }
}

TEST_F(PostgresStoreTest, InstancesStartingTogetherMigrateOnce) {
  constexpr int kInstances = 4;
  std::vector<std::unique_ptr<Store>> stores(kInstances);
  std::vector<std::string> errors(kInstances);
  std::vector<std::thread> threads;
  threads.reserve(kInstances);
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      auto store = governance::open_postgres_store(url_);
      if (store) {
        stores[i] = std::move(*store);
      } else {
        errors[i] = store.error().message();
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(errors[i], "") << "instance " << i;
  }
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM schema_migrations"),
            postgres_migrations().back().version)
      << "each migration applied once";
}

TEST_F(PostgresStoreTest, AnOlderDatabaseIsMigratedAndKeepsItsData) {
  {
    PgConnection conn = raw();
    ASSERT_TRUE(apply_postgres_migrations(conn, postgres_migrations().first(1), 1));
    auto version = postgres_schema_version(conn);
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, 1);
    ASSERT_TRUE(conn.exec_script("seed", "INSERT INTO orgs VALUES ('org_old', 'Old', '{}', 5)"));
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(must_find(store->get_org("org_old")).name, "Old");
  EXPECT_EQ(query_int("SELECT MAX(version) FROM schema_migrations"),
            postgres_migrations().back().version);
}

TEST_F(PostgresStoreTest, ADatabaseNewerThanTheBinaryIsRefused) {
  ASSERT_NE(open(), nullptr);
  {
    PgConnection conn = raw();
    ASSERT_TRUE(
        conn.exec_script("from the future", "INSERT INTO schema_migrations VALUES (99, 1)"));
  }
  auto refused = governance::open_postgres_store(url_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(refused.error().message().find("version 99"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("postgres://nexus@127.0.0.1:"), std::string::npos)
      << "names the store: " << refused.error().message();
}

TEST_F(PostgresStoreTest, ErrorsNeverShowThePassword) {
  const std::string url =
      "postgresql://nexus:s3cret-pw@127.0.0.1:" + std::to_string(server().port()) +
      "/no_such_database";
  auto refused = governance::open_postgres_store(url);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(refused.error().message().find("s3cret-pw"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("no_such_database"), std::string::npos)
      << refused.error().message();
}

TEST(StoreForLogs, APostgresUrlLosesItsPasswordASqlitePathStays) {
  EXPECT_EQ(
      governance::store_for_logs("postgres://nexus:s3cret@db.internal:5433/gov?sslmode=require"),
      "postgres://nexus@db.internal:5433/gov");
  EXPECT_EQ(governance::store_for_logs("postgresql://db/gov?password=s3cret"), "postgres://db/gov");
  EXPECT_EQ(governance::store_for_logs("sqlite:/var/lib/nexus/nexus.db"),
            "sqlite:/var/lib/nexus/nexus.db");
}

TEST_F(PostgresStoreTest, TwoInstancesShareOneGeneration) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->put_org({.id = "org_a", .name = "A"}));
  auto seen_by_first = first->generation();
  auto seen_by_second = second->generation();
  ASSERT_TRUE(seen_by_first && seen_by_second);
  EXPECT_EQ(*seen_by_first, *seen_by_second);

  ASSERT_TRUE(second->put_team({.id = "team_a", .org_id = "org_a", .name = "T"}));
  auto after = first->generation();
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, *seen_by_first + 1) << "the first instance sees the second's change";
  EXPECT_EQ(must_find(first->get_team("team_a")).name, "T");
}

TEST_F(PostgresStoreTest, DuplicateRequestIdsFromTwoInstancesAreInsertedOnce) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  // Both instances write overlapping batches at the same time (a batch retried by one after the
  // other replayed it, say): every request id is counted once.
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 50;
  auto write = [&](Store& store, std::string* error) {
    for (int batch = 0; batch < kBatches; ++batch) {
      std::vector<UsageRecord> records;
      records.reserve(kPerBatch);
      for (int i = 0; i < kPerBatch; ++i) {
        records.push_back(usage_record("req-" + std::to_string(batch * kPerBatch + i), 1000, 1));
      }
      if (auto appended = store.append_usage(records); !appended) {
        *error = appended.error().message();
        return;
      }
    }
  };
  std::string first_error;
  std::string second_error;
  std::thread other([&] { write(*second, &second_error); });
  write(*first, &first_error);
  other.join();
  EXPECT_EQ(first_error, "");
  EXPECT_EQ(second_error, "");
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM usage"), kBatches * kPerBatch);
  auto spent = second->spend(governance::ScopeKind::kKey, "key_a", 0);
  ASSERT_TRUE(spent);
  EXPECT_EQ(*spent, kBatches * kPerBatch);
}

TEST_F(PostgresStoreTest, AConnectionTheServerDroppedIsReopened) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_org({.id = "org_a", .name = "A"}));
  drop_store_connections();
  EXPECT_EQ(must_find(store->get_org("org_a")).name, "A") << "a read after the drop";
  drop_store_connections();
  const std::vector<UsageRecord> records{usage_record("req-1", 1000, 7)};
  auto appended = store->append_usage(records);
  ASSERT_TRUE(appended) << appended.error().message();
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM usage"), 1);
}

TEST_F(PostgresStoreTest, AStoreWhoseServerIsGoneFailsWithAnInternalError) {
  // A port nothing listens on: the first connection fails at once.
  const std::string url = "postgresql://nexus@127.0.0.1:1/nexus?connect_timeout=2";
  auto refused = governance::open_postgres_store(url);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kInternal);
  EXPECT_NE(refused.error().message().find("PostgreSQL store postgres://nexus@127.0.0.1:1/nexus"),
            std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace nexus::storage

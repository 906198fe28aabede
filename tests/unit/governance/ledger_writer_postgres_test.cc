// The ledger writer on the PostgreSQL store, against a real server: records from many threads
// written and acknowledged once, a failing batch retried without a second acknowledgement (a
// trigger switched on from another connection makes the server refuse the inserts), and the
// store's connection dropped again and again while records flow: none lost, none counted twice.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "../control/storage/postgres_server.h"
#include "../control/storage/store_test_support.h"
#include "control/storage/pg_connection.h"
#include "governance/ledger_writer.h"

namespace nexus::governance {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using storage::PgConnection;
using storage::testing::PostgresServer;
using storage::testing::usage_record;

constexpr LedgerBackoff kFastBackoff{.initial = milliseconds(1), .max = milliseconds(20)};

template <typename Predicate>
bool wait_until(Predicate done, std::chrono::seconds bound = std::chrono::seconds(20)) {
  const auto deadline = steady_clock::now() + bound;
  while (!done()) {
    if (steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// Each record's acknowledgements: how many, and how many were errors.
struct Acks {
  explicit Acks(size_t count) : calls(count), errors(count) {}
  LedgerWriter::Done done_for(size_t index) {
    return [this, index](const Result<void>& result) {
      calls[index].fetch_add(1);
      if (!result) {
        errors[index].fetch_add(1);
      }
      total.fetch_add(1);
    };
  }
  std::vector<std::atomic<int>> calls;
  std::vector<std::atomic<int>> errors;
  std::atomic<size_t> total{0};
};

class PostgresLedgerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PostgresServer::shared().ok()) << PostgresServer::shared().error();
    url_ = PostgresServer::shared().create_database();
    auto opened = open_postgres_store(url_);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
  }

  void exec(const std::string& sql) {
    auto conn = PgConnection::connect(url_);
    ASSERT_TRUE(conn) << conn.error().message();
    auto done = conn->exec_script("test", sql);
    ASSERT_TRUE(done) << done.error().message();
  }

  int64_t query_int(const std::string& sql) {
    auto conn = PgConnection::connect(url_);
    EXPECT_TRUE(conn) << conn.error().message();
    if (!conn) {
      return -1;
    }
    auto rows = conn->exec("test query", sql);
    EXPECT_TRUE(rows && !rows->empty()) << sql;
    return rows && !rows->empty() ? rows->int64(0, 0) : -1;
  }

  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresLedgerWriterTest, ManyThreadsSubmitAndEachRecordIsWrittenOnce) {
  constexpr size_t kThreads = 4;
  constexpr size_t kPerThread = 250;
  constexpr size_t kRecords = kThreads * kPerThread;
  Acks acks(kRecords);
  {
    LedgerWriter writer(*store_, 64, kFastBackoff);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = 0; i < kPerThread; ++i) {
          const size_t index = t * kPerThread + i;
          writer.submit(usage_record("req-" + std::to_string(index), 1000, 3),
                        acks.done_for(index));
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(writer.stop(steady_clock::now() + std::chrono::seconds(30)), 0U);
    EXPECT_EQ(writer.stats().records_written, kRecords);
  }
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM usage"), static_cast<int64_t>(kRecords));
  EXPECT_EQ(query_int("SELECT SUM(cost) FROM usage"), static_cast<int64_t>(3 * kRecords));
  for (size_t i = 0; i < kRecords; ++i) {
    ASSERT_EQ(acks.calls[i].load(), 1) << i;
    ASSERT_EQ(acks.errors[i].load(), 0) << i;
  }
}

TEST_F(PostgresLedgerWriterTest, AFailedBatchIsRetriedAndAcknowledgedOnlyAtItsFirstFailure) {
  exec(
      "CREATE TABLE test_fail (active BOOLEAN NOT NULL); INSERT INTO test_fail VALUES (TRUE);"
      "CREATE FUNCTION test_usage_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF (SELECT active FROM test_fail) THEN RAISE EXCEPTION 'injected failure'; END IF; "
      "RETURN NEW; END $$;"
      "CREATE TRIGGER test_usage_fails BEFORE INSERT ON usage FOR EACH ROW "
      "EXECUTE FUNCTION test_usage_fails()");
  constexpr size_t kRecords = 10;
  Acks acks(kRecords);
  LedgerWriter writer(*store_, 100, kFastBackoff);
  for (size_t i = 0; i < kRecords; ++i) {
    writer.submit(usage_record("req-" + std::to_string(i), 1000, 1), acks.done_for(i));
  }
  ASSERT_TRUE(wait_until([&] { return writer.stats().commit_failures >= 3; }));
  EXPECT_EQ(writer.pending(), kRecords) << "failed records stay queued";
  for (size_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(acks.errors[i].load(), 1) << i;
  }
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM usage"), 0) << "a failed batch leaves nothing";

  exec("UPDATE test_fail SET active = FALSE");
  ASSERT_TRUE(wait_until([&] { return writer.pending() == 0; }));
  EXPECT_EQ(writer.stop(steady_clock::now() + std::chrono::seconds(20)), 0U);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM usage"), static_cast<int64_t>(kRecords));
  for (size_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(acks.calls[i].load(), 1) << "no second acknowledgement for record " << i;
  }
}

TEST_F(PostgresLedgerWriterTest, DroppedConnectionsLoseNothingAndCountNothingTwice) {
  constexpr size_t kRecords = 2000;
  Acks acks(kRecords);
  LedgerWriter writer(*store_, 50, kFastBackoff);
  const std::string database = url_.substr(url_.rfind('/') + 1);
  std::atomic<bool> submitting{true};
  // Cuts the store's connection over and over while the records flow in.
  std::thread cutter([&] {
    while (submitting.load()) {
      PostgresServer::shared().admin(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database +
          "' AND application_name = 'nexus'");
      std::this_thread::sleep_for(milliseconds(15));
    }
  });
  for (size_t i = 0; i < kRecords; ++i) {
    writer.submit(usage_record("req-" + std::to_string(i), 1000, 1), acks.done_for(i));
    if (i % 100 == 0) {
      std::this_thread::sleep_for(milliseconds(5));  // spread the records over many batches
    }
  }
  ASSERT_TRUE(wait_until([&] { return acks.total.load() >= kRecords; }, std::chrono::seconds(60)));
  submitting = false;
  cutter.join();
  EXPECT_EQ(writer.stop(steady_clock::now() + std::chrono::seconds(30)), 0U);
  EXPECT_EQ(writer.pending(), 0U);
  EXPECT_EQ(query_int("SELECT COUNT(*) FROM usage"), static_cast<int64_t>(kRecords))
      << "every record once";
  EXPECT_EQ(query_int("SELECT SUM(cost) FROM usage"), static_cast<int64_t>(kRecords));
  for (size_t i = 0; i < kRecords; ++i) {
    ASSERT_EQ(acks.calls[i].load(), 1) << i;
  }
}

}  // namespace
}  // namespace nexus::governance

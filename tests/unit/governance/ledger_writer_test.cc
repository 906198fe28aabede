// The ledger writer against a real SQLite store: every record written once and acknowledged
// once, batches bounded, failures retried without a second acknowledgement, a stop deadline
// honoured, and many submitting threads at once. Failures are real: a trigger another connection
// switches on makes SQLite abort the inserts.
#include "governance/ledger_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "../control/storage/store_test_support.h"

namespace nexus::governance {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using storage::testing::open_raw;
using storage::testing::query_int;
using storage::testing::TempDir;
using storage::testing::usage_record;

constexpr LedgerBackoff kFastBackoff{.initial = milliseconds(1), .max = milliseconds(20)};

// Polls `done` (bounded): for what another thread does.
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

// Counts each record's acknowledgements: how many, and how many were errors.
struct Acks {
  explicit Acks(size_t count) : calls(count), errors(count) {}
  LedgerWriter::Done done_for(size_t index) {
    return [this, index](const Result<void>& result) {
      calls[index].fetch_add(1);
      if (!result) {
        errors[index].fetch_add(1);
      }
    };
  }
  std::vector<std::atomic<int>> calls;
  std::vector<std::atomic<int>> errors;
};

class LedgerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("nexus.db");
    auto opened = open_sqlite_store(path_);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
  }

  // From now on, inserts into the ledger fail while the switch is on.
  void install_failure_switch() {
    storage::SqliteDb db = open_raw(path_);
    ASSERT_TRUE(db.exec("failure switch",
                        "CREATE TABLE test_fail (active INTEGER NOT NULL);"
                        "INSERT INTO test_fail VALUES (0);"
                        "CREATE TRIGGER test_usage_fails BEFORE INSERT ON usage "
                        "WHEN (SELECT active FROM test_fail) = 1 "
                        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"));
  }
  void set_failing(bool failing) {
    storage::SqliteDb db = open_raw(path_);
    ASSERT_TRUE(db.exec("failure switch", failing ? "UPDATE test_fail SET active = 1"
                                                  : "UPDATE test_fail SET active = 0"));
  }
  int64_t rows() {
    storage::SqliteDb db = open_raw(path_);
    return query_int(db, "SELECT COUNT(*) FROM usage");
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(LedgerWriterTest, EveryRecordIsWrittenAndAcknowledgedOnce) {
  constexpr size_t kRecords = 100;
  Acks acks(kRecords);
  LedgerWriter writer(*store_, 7, kFastBackoff);
  for (size_t i = 0; i < kRecords; ++i) {
    writer.submit(usage_record("req-" + std::to_string(i), 1000, 1), acks.done_for(i));
  }
  EXPECT_EQ(writer.stop(steady_clock::now() + std::chrono::seconds(20)), 0U);

  EXPECT_EQ(rows(), static_cast<int64_t>(kRecords));
  for (size_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(acks.calls[i].load(), 1) << i;
    EXPECT_EQ(acks.errors[i].load(), 0) << i;
  }
  const LedgerWriter::Stats stats = writer.stats();
  EXPECT_EQ(stats.records_written, kRecords);
  EXPECT_GE(stats.batches, (kRecords + 6) / 7) << "no batch holds more than batch_max";
  EXPECT_LE(stats.batches, kRecords);
  EXPECT_EQ(stats.pending, 0U);
  EXPECT_EQ(writer.pending(), 0U);
  EXPECT_GE(stats.pending_high_water, 1U);
  EXPECT_LE(stats.pending_high_water, kRecords);
  EXPECT_EQ(stats.commit_failures, 0U);
  EXPECT_EQ(stats.abandoned, 0U);
}

TEST_F(LedgerWriterTest, AFailedBatchIsRetriedAndAcknowledgedOnlyAtItsFirstFailure) {
  install_failure_switch();
  set_failing(true);
  constexpr size_t kRecords = 10;
  Acks acks(kRecords);
  LedgerWriter writer(*store_, 100, kFastBackoff);
  for (size_t i = 0; i < kRecords; ++i) {
    writer.submit(usage_record("req-" + std::to_string(i), 1000, 1), acks.done_for(i));
  }
  ASSERT_TRUE(wait_until([&] { return writer.stats().commit_failures >= 3; }));
  EXPECT_EQ(writer.pending(), kRecords) << "failed records stay queued";
  for (size_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(acks.calls[i].load(), 1) << i;
    EXPECT_EQ(acks.errors[i].load(), 1) << i;
  }
  EXPECT_EQ(rows(), 0);

  set_failing(false);
  ASSERT_TRUE(wait_until([&] { return writer.pending() == 0; }));
  EXPECT_EQ(rows(), static_cast<int64_t>(kRecords));
  EXPECT_EQ(writer.stop(steady_clock::now() + std::chrono::seconds(20)), 0U);
  for (size_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(acks.calls[i].load(), 1) << "no second acknowledgement for record " << i;
  }
  const LedgerWriter::Stats stats = writer.stats();
  EXPECT_GE(stats.retries, 3U);
  EXPECT_EQ(stats.records_written, kRecords);
}

TEST_F(LedgerWriterTest, StopGivesUpAtItsDeadlineAndReportsWhatWasNotWritten) {
  install_failure_switch();
  set_failing(true);
  constexpr size_t kRecords = 5;
  Acks acks(kRecords);
  LedgerWriter writer(*store_, 100, kFastBackoff);
  for (size_t i = 0; i < kRecords; ++i) {
    writer.submit(usage_record("req-" + std::to_string(i), 1000, 1), acks.done_for(i));
  }
  ASSERT_TRUE(wait_until([&] { return writer.stats().commit_failures >= 1; }));
  const auto started = steady_clock::now();
  EXPECT_EQ(writer.stop(steady_clock::now() + milliseconds(50)), kRecords);
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(5)) << "bounded by the deadline";
  for (size_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(acks.calls[i].load(), 1) << "already told at the first failure: " << i;
  }
  EXPECT_EQ(writer.stats().abandoned, kRecords);
  EXPECT_EQ(writer.pending(), 0U);
}

TEST_F(LedgerWriterTest, StopWritesWhatIsQueuedAndRefusesLaterRecords) {
  Acks acks(2);
  LedgerWriter writer(*store_, 500, kFastBackoff);
  writer.submit(usage_record("req-0", 1000, 1), acks.done_for(0));
  EXPECT_EQ(writer.stop(steady_clock::now() + std::chrono::seconds(20)), 0U);
  EXPECT_EQ(acks.calls[0].load(), 1);
  EXPECT_EQ(rows(), 1);

  writer.submit(usage_record("req-1", 1000, 1), acks.done_for(1));
  EXPECT_EQ(acks.calls[1].load(), 1) << "refused at once, on the calling thread";
  EXPECT_EQ(acks.errors[1].load(), 1);
  EXPECT_EQ(writer.stats().abandoned, 1U);
  EXPECT_EQ(rows(), 1);
}

TEST_F(LedgerWriterTest, ManyThreadsSubmitAndEachRecordIsWrittenOnce) {
  constexpr size_t kThreads = 4;
  constexpr size_t kPerThread = 500;
  Acks acks(kThreads * kPerThread);
  std::atomic<size_t> acknowledged{0};
  {
    LedgerWriter writer(*store_, 64, kFastBackoff);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = 0; i < kPerThread; ++i) {
          const size_t index = t * kPerThread + i;
          auto done = acks.done_for(index);
          writer.submit(usage_record("req-" + std::to_string(index), 1000, 1),
                        [&acknowledged, done](const Result<void>& result) {
                          done(result);
                          acknowledged.fetch_add(1);
                        });
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    ASSERT_TRUE(wait_until([&] { return acknowledged.load() == kThreads * kPerThread; }));
    EXPECT_EQ(writer.pending(), 0U);
    EXPECT_EQ(writer.stats().records_written, kThreads * kPerThread);
  }  // the destructor stops the writer
  EXPECT_EQ(rows(), static_cast<int64_t>(kThreads * kPerThread));
  for (size_t i = 0; i < kThreads * kPerThread; ++i) {
    ASSERT_EQ(acks.calls[i].load(), 1) << i;
    ASSERT_EQ(acks.errors[i].load(), 0) << i;
  }
}

}  // namespace
}  // namespace nexus::governance

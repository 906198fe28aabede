// Crash durability of the usage ledger: a child process writes records under load through a
// LedgerWriter and reports each acknowledged request id on a pipe; the parent kills it with
// SIGKILL mid-load, reopens the database and finds every acknowledged record there exactly once,
// in a database that passes SQLite's integrity check. Replaying the acknowledged records then
// changes nothing (a retried batch is never counted twice).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "../control/storage/store_test_support.h"
#include "governance/ledger_writer.h"

namespace nexus::governance {
namespace {

using std::chrono::steady_clock;
using storage::testing::open_raw;
using storage::testing::query_int;
using storage::testing::query_text;
using storage::testing::TempDir;
using storage::testing::usage_record;

constexpr size_t kIdLength = 12;  // "req-" and 8 digits

std::string request_id(size_t n) {
  char id[kIdLength + 1];
  std::snprintf(id, sizeof id, "req-%08zu", n);
  return id;
}

UsageRecord record_for(size_t n) {
  return usage_record(request_id(n), static_cast<UnixMillis>(1'000 + n),
                      static_cast<NanoUsd>(n + 1));
}

// The child: submits records as fast as the writer takes them (at most ~2 batches queued) and
// writes "<id>\n" to `ack_fd` for each acknowledged one. Never returns: it is killed.
[[noreturn]] void run_child(const std::string& path, int ack_fd) {
  auto store = open_sqlite_store(path);
  if (!store) {
    const std::string message = "child: " + store.error().message() + "\n";
    const bool told = ::write(STDERR_FILENO, message.data(), message.size()) > 0;
    ::_exit(told ? 2 : 4);
  }
  LedgerWriter writer(**store, 64);
  for (size_t n = 0;; ++n) {
    while (writer.pending() > 128) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));  // pacing, not a race
    }
    const std::string id = request_id(n);
    writer.submit(record_for(n), [ack_fd, id](const Result<void>& result) {
      if (result) {
        const std::string line = id + "\n";  // under PIPE_BUF: one atomic write
        if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          ::_exit(3);
        }
      }
    });
  }
}

// Reads what is available within `timeout_ms`; false at end of file.
bool read_some(int fd, std::string& into, int timeout_ms) {
  pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
  if (::poll(&ready, 1, timeout_ms) <= 0) {
    return true;
  }
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) {
    return false;
  }
  into.append(buffer, static_cast<size_t>(n));
  return true;
}

TEST(LedgerCrashTest, AcknowledgedRecordsSurviveKill9ExactlyOnce) {
  TempDir dir;
  const std::string path = dir.file("nexus.db");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    run_child(path, fds[1]);
  }
  ::close(fds[1]);

  // Let acknowledgements flow for a while (bounded), then kill the child in the middle of it.
  constexpr size_t kWanted = 10000;
  std::string acks;
  const auto deadline = steady_clock::now() + std::chrono::seconds(30);
  bool open = true;
  while (open && acks.size() < kWanted * (kIdLength + 1) && steady_clock::now() < deadline) {
    open = read_some(fds[0], acks, 100);
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself, status " << status;
  while (read_some(fds[0], acks, 1000)) {  // what the child wrote before dying
  }
  ::close(fds[0]);

  ASSERT_EQ(acks.size() % (kIdLength + 1), 0U) << "whole lines only";
  std::vector<size_t> acknowledged;
  for (size_t at = 0; at < acks.size(); at += kIdLength + 1) {
    acknowledged.push_back(std::stoul(acks.substr(at + 4, 8)));
  }
  ASSERT_GE(acknowledged.size(), 100U) << "the child acknowledged too little to test anything";

  {
    storage::SqliteDb db = open_raw(path);
    EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
  }
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store) << store.error().message();
  for (const size_t n : acknowledged) {
    auto record = (*store)->get_usage(request_id(n));
    ASSERT_TRUE(record) << record.error().message();
    const std::optional<UsageRecord>& found = *record;
    if (!found) {
      FAIL() << "acknowledged but lost: " << request_id(n);
    }
    EXPECT_EQ(found->cost, static_cast<NanoUsd>(n + 1));
  }
  storage::SqliteDb db = open_raw(path);
  const int64_t rows = query_int(db, "SELECT COUNT(*) FROM usage");
  EXPECT_GE(rows, static_cast<int64_t>(acknowledged.size()));
  EXPECT_EQ(query_int(db, "SELECT COUNT(DISTINCT request_id) FROM usage"), rows);

  // The data plane may replay what it was unsure of: nothing is counted twice.
  std::vector<UsageRecord> replay;
  replay.reserve(acknowledged.size());
  for (const size_t n : acknowledged) {
    replay.push_back(record_for(n));
  }
  auto spent_before = (*store)->spend(ScopeKind::kKey, "key_a", 0);
  ASSERT_TRUE(spent_before);
  ASSERT_TRUE((*store)->append_usage(replay));
  EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM usage"), rows);
  auto spent_after = (*store)->spend(ScopeKind::kKey, "key_a", 0);
  ASSERT_TRUE(spent_after);
  EXPECT_EQ(*spent_after, *spent_before);
}

}  // namespace
}  // namespace nexus::governance

// The usage ledger's writer: a thread that writes usage records to the store in batches, off the
// workers' event loops.
//
// Group commit: the thread takes everything queued (up to batch_max records) into one
// transaction, so a record waits for at most the commit in progress and its own, and throughput
// grows with load (one fsync per batch, not per request).
//
// Nothing is dropped: a batch whose commit fails stays at the head of the queue and is retried
// with exponential backoff (10 ms doubling to 1 s by default); the store skips records already
// present, so a retried batch that had in fact been written counts nothing twice. The queue's
// bound is the caller's: the data plane reads pending() and refuses new budgeted requests beyond
// governance.ledger_queue (back-pressure instead of unbounded memory).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "governance/store.h"
#include "nexus/core/result.h"

namespace nexus::governance {

// The wait before retrying a failed batch: `initial`, doubling up to `max`. (Outside the class:
// g++ 12 refuses a nested struct with member initializers as a default argument.)
struct LedgerBackoff {
  std::chrono::milliseconds initial{10};
  std::chrono::milliseconds max{1000};
};

class LedgerWriter {
 public:
  // Called once per record, ON THE WRITER THREAD, outside any lock: ok once the batch holding
  // the record committed, or the error of the first failed attempt to write it (the record stays
  // queued and is retried; there is no second call when a retry succeeds). The caller posts back
  // to its own executor; a Done must not block.
  using Done = std::function<void(const Result<void>&)>;

  using Backoff = LedgerBackoff;

  // A snapshot for metrics; every field is read without a lock.
  struct Stats {
    uint64_t records_written = 0;  // records in committed batches (already-present ones too)
    uint64_t batches = 0;          // committed transactions
    uint64_t commit_failures = 0;  // failed transactions
    uint64_t retries = 0;          // attempts that followed a failure
    uint64_t abandoned = 0;        // records never written: left at stop()'s deadline, or late
    std::chrono::microseconds last_commit{0};  // the last attempt's duration, failed or not
    bool last_commit_failed = false;           // the store refused the last attempt (readiness)
    size_t pending = 0;
    size_t pending_high_water = 0;
  };

  // Starts the thread. `store` must outlive the writer.
  LedgerWriter(Store& store, uint32_t batch_max, Backoff backoff = {});
  // stop() with kStopWait, unless stop() has run.
  ~LedgerWriter();
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  // Queues `record`; never waits for I/O (a short critical section: a push and, when the writer
  // sleeps, a wake-up). Any thread. After stop() the record is refused: `done` is called at once,
  // on the calling thread, with an error.
  void submit(UsageRecord record, Done done);

  // Records queued or being written, not yet committed.
  [[nodiscard]] size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  [[nodiscard]] Stats stats() const;

  // Writes what is queued (retrying failures) until all of it is committed or `deadline` passes,
  // then calls the Done of what is left with an error, counts it abandoned, and joins the thread.
  // Returns the number of records abandoned (0: everything was written). Call from one thread;
  // later calls return at once.
  size_t stop(std::chrono::steady_clock::time_point deadline);

  static constexpr std::chrono::seconds kStopWait{10};

 private:
  struct Entry {
    UsageRecord record;
    Done done;
  };
  // The batch being written: records apart, since append_usage takes them contiguous.
  struct Batch {
    std::vector<UsageRecord> records;
    std::vector<Done> done;
  };

  void run();
  // Waits for work (or stop) and moves what arrived to `backlog` (through `arrived`, whose
  // capacity is reused); false when stopped and everything is written.
  bool gather(const Batch& batch, std::vector<Entry>& backlog, size_t& backlog_head,
              std::vector<Entry>& arrived);
  // Moves records from the backlog into the batch, up to batch_max.
  void fill(Batch& batch, std::vector<Entry>& backlog, size_t& backlog_head) const;
  // One attempt to commit the batch; calls the Done of its records (see Done) and, on success,
  // empties it.
  Result<void> commit(Batch& batch);
  // Sleeps for the backoff, or until stop() is called.
  void back_off(std::chrono::milliseconds delay);
  void abandon(Batch& batch, std::vector<Entry>& backlog, size_t backlog_head);
  // Whether stop()'s deadline has passed (then nothing more is attempted).
  bool past_deadline();

  Store& store_;
  const uint32_t batch_max_;
  const Backoff backoff_;

  // Shared with submitters and stop(): a short lock around a vector, taken once per request.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> incoming_;  // guarded by mutex_
  bool idle_ = false;            // guarded: the writer waits for work (a submit must wake it)
  bool stopping_ = false;        // guarded
  std::chrono::steady_clock::time_point deadline_;  // guarded; set by stop()
  bool joined_ = false;                             // stop() has run (its caller's thread only)

  // Read by stats() and pending() from any thread.
  std::atomic<size_t> pending_{0};
  std::atomic<size_t> pending_high_water_{0};
  std::atomic<uint64_t> records_written_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> commit_failures_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> abandoned_{0};
  std::atomic<int64_t> last_commit_us_{0};
  std::atomic<bool> last_commit_failed_{false};

  std::thread thread_;  // last: started once everything else is set up
};

}  // namespace nexus::governance

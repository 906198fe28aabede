#include "governance/ledger_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <ranges>
#include <utility>

namespace nexus::governance {

using std::chrono::steady_clock;

namespace {

Result<void> stopped_error() {
  return fail(ErrorCode::kInternal,
              "the usage ledger writer stopped before this record was written");
}

}  // namespace

LedgerWriter::LedgerWriter(Store& store, uint32_t batch_max, Backoff backoff)
    : store_(store),
      batch_max_(std::max<uint32_t>(batch_max, 1)),
      backoff_(backoff),
      thread_([this] { run(); }) {}

LedgerWriter::~LedgerWriter() {
  if (!joined_) {
    stop(steady_clock::now() + kStopWait);
  }
}

void LedgerWriter::submit(UsageRecord record, Done done) {
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (!stopping_) {
      incoming_.push_back(Entry{std::move(record), std::move(done)});
      // Submitters update the high-water mark under the lock, so it never goes backwards; the
      // writer only lowers pending_.
      const size_t now_pending = pending_.fetch_add(1, std::memory_order_relaxed) + 1;
      if (now_pending > pending_high_water_.load(std::memory_order_relaxed)) {
        pending_high_water_.store(now_pending, std::memory_order_relaxed);
      }
      // One wake-up per idle period: a busy writer finds the record when it takes its next batch.
      wake = idle_;
      idle_ = false;
      done = nullptr;  // moved into the queue; a refused record keeps its own below
    }
  }
  if (wake) {
    wake_.notify_one();
  }
  if (done) {  // refused: stop() has run
    abandoned_.fetch_add(1, std::memory_order_relaxed);
    done(stopped_error());
  }
}

LedgerWriter::Stats LedgerWriter::stats() const {
  return Stats{
      .records_written = records_written_.load(std::memory_order_relaxed),
      .batches = batches_.load(std::memory_order_relaxed),
      .commit_failures = commit_failures_.load(std::memory_order_relaxed),
      .retries = retries_.load(std::memory_order_relaxed),
      .abandoned = abandoned_.load(std::memory_order_relaxed),
      .last_commit = std::chrono::microseconds(last_commit_us_.load(std::memory_order_relaxed)),
      .last_commit_failed = last_commit_failed_.load(std::memory_order_relaxed),
      .pending = pending_.load(std::memory_order_relaxed),
      .pending_high_water = pending_high_water_.load(std::memory_order_relaxed),
  };
}

size_t LedgerWriter::stop(steady_clock::time_point deadline) {
  if (!joined_) {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      deadline_ = deadline;
    }
    wake_.notify_all();
    thread_.join();
    joined_ = true;
  }
  return abandoned_.load(std::memory_order_relaxed);
}

void LedgerWriter::run() {
  Batch batch;
  std::vector<Entry> backlog;  // arrived, not yet in a batch: from backlog_head on
  size_t backlog_head = 0;
  std::vector<Entry> arrived;
  std::chrono::milliseconds delay = backoff_.initial;
  bool failing = false;
  while (gather(batch, backlog, backlog_head, arrived)) {
    fill(batch, backlog, backlog_head);
    if (past_deadline()) {
      abandon(batch, backlog, backlog_head);
      return;
    }
    if (failing) {
      retries_.fetch_add(1, std::memory_order_relaxed);
    }
    const size_t size = batch.records.size();
    const Result<void> written = commit(batch);
    if (written) {
      if (failing) {
        spdlog::info("usage ledger: writing again ({} records in the retried batch)", size);
      }
      failing = false;
      delay = backoff_.initial;
      continue;
    }
    if (!failing) {  // once per failing streak: the stats count every failure
      spdlog::warn("usage ledger: writing {} records failed, retrying with backoff: {}", size,
                   written.error().message());
    }
    failing = true;
    back_off(delay);
    delay = std::min(delay * 2, backoff_.max);
  }
}

bool LedgerWriter::gather(const Batch& batch, std::vector<Entry>& backlog, size_t& backlog_head,
                          std::vector<Entry>& arrived) {
  {
    std::unique_lock lock(mutex_);
    if (batch.records.empty() && backlog_head == backlog.size()) {
      idle_ = true;
      wake_.wait(lock, [this] { return stopping_ || !incoming_.empty(); });
      idle_ = false;
      if (incoming_.empty()) {
        return false;  // stopping, and everything is written
      }
    }
    // O(1) under the lock: the writer's emptied vector (and its capacity) goes back.
    arrived.swap(incoming_);
  }
  if (backlog_head == backlog.size()) {
    backlog.clear();
    backlog_head = 0;
    backlog.swap(arrived);
  } else {
    std::ranges::move(arrived, std::back_inserter(backlog));
    arrived.clear();
  }
  return true;
}

void LedgerWriter::fill(Batch& batch, std::vector<Entry>& backlog, size_t& backlog_head) const {
  while (batch.records.size() < batch_max_ && backlog_head < backlog.size()) {
    Entry& entry = backlog[backlog_head++];
    batch.records.push_back(std::move(entry.record));
    batch.done.push_back(std::move(entry.done));
  }
  if (backlog_head == backlog.size()) {
    backlog.clear();
    backlog_head = 0;
  }
}

Result<void> LedgerWriter::commit(Batch& batch) {
  const auto started = steady_clock::now();
  const Result<void> written = store_.append_usage(batch.records);
  const auto took =
      std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - started);
  last_commit_us_.store(took.count(), std::memory_order_relaxed);
  last_commit_failed_.store(!written, std::memory_order_relaxed);
  if (!written) {
    commit_failures_.fetch_add(1, std::memory_order_relaxed);
    // The first failure is reported; the records stay in the batch for the retry.
    for (Done& done : batch.done) {
      if (done) {
        done(written);
        done = nullptr;
      }
    }
    return written;
  }
  const size_t size = batch.records.size();
  records_written_.fetch_add(size, std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
  pending_.fetch_sub(size, std::memory_order_relaxed);
  for (Done& done : batch.done) {
    if (done) {
      done(written);
    }
  }
  batch.records.clear();
  batch.done.clear();
  return written;
}

void LedgerWriter::back_off(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  const bool was_stopping = stopping_;
  auto until = steady_clock::now() + delay;
  if (stopping_) {
    until = std::min(until, deadline_);
  }
  // stop() cuts the wait short: its deadline may come before the backoff's end.
  wake_.wait_until(lock, until, [&] { return stopping_ != was_stopping; });
}

bool LedgerWriter::past_deadline() {
  const std::lock_guard lock(mutex_);
  return stopping_ && steady_clock::now() >= deadline_;
}

void LedgerWriter::abandon(Batch& batch, std::vector<Entry>& backlog, size_t backlog_head) {
  std::vector<Entry> late;
  {
    const std::lock_guard lock(mutex_);
    late.swap(incoming_);  // stopping_ is set: nothing arrives after this
  }
  const Result<void> error = stopped_error();
  size_t count = batch.records.size();
  for (Done& done : batch.done) {
    if (done) {
      done(error);
    }
  }
  auto report = [&](Entry& entry) {
    ++count;
    if (entry.done) {
      entry.done(error);
    }
  };
  std::ranges::for_each(backlog | std::views::drop(backlog_head), report);
  std::ranges::for_each(late, report);
  abandoned_.fetch_add(count, std::memory_order_relaxed);
  pending_.fetch_sub(count, std::memory_order_relaxed);
  if (count > 0) {
    spdlog::error("usage ledger: {} records were not written before the stop deadline", count);
  }
}

}  // namespace nexus::governance

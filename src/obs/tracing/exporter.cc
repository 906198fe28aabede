#include "obs/tracing/exporter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace nexus::obs::tracing {
using Clock = std::chrono::steady_clock;

SpanExporter::SpanExporter(ExporterOptions options, Transport transport)
    : options_(std::move(options)), transport_(std::move(transport)), thread_([this] { run(); }) {}

SpanExporter::~SpanExporter() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SpanExporter::submit(std::vector<Span>& spans) {
  const size_t count = spans.size();
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() + sending_ + count > options_.max_queue_spans) {
      dropped_.fetch_add(count, std::memory_order_relaxed);
      spans.clear();
      return;
    }
    // Only the request that completes a batch wakes the thread (a wake-up per request would be
    // a context switch per request).
    const bool had_batch = queue_.size() >= options_.batch_size;
    std::ranges::move(spans, std::back_inserter(queue_));
    wake = !had_batch && queue_.size() >= options_.batch_size;
  }
  spans.clear();
  if (wake) {
    wake_.notify_one();
  }
}

void SpanExporter::run() {
  std::vector<Span> batch;
  std::unique_lock lock(mutex_);
  Clock::time_point give_up_at = Clock::time_point::max();
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval,
                   [this] { return stopping_ || queue_.size() >= options_.batch_size; });
    warn_if_dropping();
    if (stopping_ && give_up_at == Clock::time_point::max()) {
      give_up_at = Clock::now() + options_.shutdown_timeout;
    }
    while (!queue_.empty()) {
      const size_t take = std::min(queue_.size(), options_.batch_size);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
      sending_ = take;
      lock.unlock();
      send_batch(batch, give_up_at);
      batch.clear();
      warn_if_dropping();
      lock.lock();
      sending_ = 0;
      if (!stopping_ && queue_.size() < options_.batch_size) {
        break;  // a partial batch waits for the next interval
      }
    }
    if (stopping_) {
      return;
    }
  }
}

void SpanExporter::send_batch(std::vector<Span>& batch, Clock::time_point give_up_at) {
  body_.clear();
  encode_export_request(batch, options_.resource, body_);
  std::chrono::milliseconds backoff = options_.retry_backoff;
  for (uint32_t sent = 0;; ++sent) {
    const auto now = Clock::now();
    if (now >= give_up_at) {
      break;  // shutting down and out of time
    }
    auto timeout = options_.send_timeout;
    if (give_up_at != Clock::time_point::max()) {
      timeout = std::min(timeout,
                         std::chrono::duration_cast<std::chrono::milliseconds>(give_up_at - now));
    }
    const SendResult result = transport_(body_, timeout);
    if (result == SendResult::kSent) {
      exported_.fetch_add(batch.size(), std::memory_order_relaxed);
      return;
    }
    if (result == SendResult::kRejected || sent >= options_.max_retries) {
      break;
    }
    if (!pause_unless_stopping(backoff) && give_up_at == Clock::time_point::max()) {
      give_up_at = Clock::now() + options_.shutdown_timeout;  // stopping: bound the retries
    }
    backoff *= 2;
  }
  dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
}

// Once, from this thread (a worker that drops spans must not write a log line): the count is
// there for metrics.
void SpanExporter::warn_if_dropping() {
  if (!warned_ && dropped_.load(std::memory_order_relaxed) > 0) {
    warned_ = true;
    spdlog::warn("tracing: spans dropped (the queue was full or the collector did not take them)");
  }
}

bool SpanExporter::pause_unless_stopping(std::chrono::milliseconds pause) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, pause, [this] { return stopping_; });
}

}  // namespace nexus::obs::tracing

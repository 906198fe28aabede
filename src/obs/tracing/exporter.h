// The span exporter: workers hand finished spans to a bounded queue; a background thread sends
// them in batches (batch_size, or whatever is queued every flush_interval) as OTLP/HTTP JSON.
// A worker never waits on the network: the queue's lock is held only to move spans in or out,
// and spans that do not fit in the queue are dropped and counted. A batch the collector could
// not take (no connection, 429, 502, 503, 504) is sent again a bounded number of times with a
// growing pause; at shutdown what is queued is sent within a bound, the rest dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "nexus/core/result.h"
#include "obs/tracing/otlp_json.h"
#include "obs/tracing/span.h"

namespace nexus::obs::tracing {

// How one POST went.
enum class SendResult : uint8_t {
  kSent,      // 2xx
  kRetry,     // worth sending again: no connection, timeout, 429, 502, 503, 504
  kRejected,  // the collector refused the batch for good (other statuses)
};

// Sends one export request body; called on the exporter's thread only. `timeout` bounds it.
using Transport =
    std::function<SendResult(std::string_view body, std::chrono::milliseconds timeout)>;

struct ExporterOptions {
  ResourceInfo resource;
  size_t max_queue_spans = 2048;
  size_t batch_size = 512;
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::milliseconds send_timeout{5000};  // one POST
  uint32_t max_retries = 3;                      // sends of a batch after the first
  std::chrono::milliseconds retry_backoff{200};  // doubled after each retry
  std::chrono::milliseconds shutdown_timeout{5000};
};

class SpanExporter {
 public:
  SpanExporter(ExporterOptions options, Transport transport);
  ~SpanExporter();  // sends what is queued, within options.shutdown_timeout
  SpanExporter(const SpanExporter&) = delete;
  SpanExporter& operator=(const SpanExporter&) = delete;

  // Thread-safe. Takes `spans` (one request's: kept together or dropped together, so a trace
  // never arrives without its root). `spans` is left empty.
  void submit(std::vector<Span>& spans);

  // Spans dropped: the queue was full, the collector refused them, or retries ran out.
  [[nodiscard]] uint64_t dropped_spans() const { return dropped_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t exported_spans() const {
    return exported_.load(std::memory_order_relaxed);
  }

 private:
  void run();
  // Sends `batch`, again while the result says to retry and retries (and time) remain.
  void send_batch(std::vector<Span>& batch, std::chrono::steady_clock::time_point give_up_at);
  // Pauses for `pause` unless the exporter stops meanwhile; false if it stopped.
  bool pause_unless_stopping(std::chrono::milliseconds pause);
  void warn_if_dropping();

  ExporterOptions options_;
  Transport transport_;
  std::mutex mutex_;  // guards queue_, sending_ and stopping_: workers and the thread meet here
  std::condition_variable wake_;
  std::vector<Span> queue_;
  size_t sending_ = 0;  // spans taken by the thread and not done with: they count in the bound
  bool stopping_ = false;
  // Read by the metrics scrape on another thread: atomics.
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> exported_{0};
  bool warned_ = false;  // the thread's
  std::string body_;     // the thread's encoding buffer, reused
  std::thread thread_;   // last: started once everything else is set up
};

}  // namespace nexus::obs::tracing

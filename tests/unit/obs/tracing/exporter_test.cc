// The span exporter with a fake transport: batches by size and by interval, a full queue drops
// (counted) without blocking, a failing collector is retried a bounded number of times, a
// refused batch is not retried, and shutdown sends what is queued within its bound.
#include "obs/tracing/exporter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace nexus::obs::tracing {
namespace {

using std::chrono::milliseconds;

// Waits (bounded) until `done` holds; true if it did.
template <typename Predicate>
bool wait_until(Predicate done, milliseconds bound = milliseconds(5000)) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

// Records the bodies it is sent, answering with `next` (or kSent).
struct FakeCollector {
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::atomic<int> calls{0};
  std::atomic<SendResult> answer{SendResult::kSent};

  Transport transport() {
    return [this](std::string_view body, milliseconds) {
      ++calls;
      const std::lock_guard lock(mutex);
      bodies.emplace_back(body);
      return answer.load();
    };
  }
  size_t count() {
    const std::lock_guard lock(mutex);
    return bodies.size();
  }
};

std::vector<Span> spans(size_t n) {
  std::vector<Span> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].trace_id = {.high = 1, .low = 1};
    out[i].span_id = i + 1;
    out[i].name = "span";
  }
  return out;
}

ExporterOptions options(size_t queue, size_t batch, milliseconds interval) {
  return {.resource = {.service_name = "test"},
          .max_queue_spans = queue,
          .batch_size = batch,
          .flush_interval = interval,
          .retry_backoff = milliseconds(1),
          .shutdown_timeout = milliseconds(2000)};
}

TEST(SpanExporterTest, AFullBatchIsSentWithoutWaitingForTheInterval) {
  FakeCollector collector;
  SpanExporter exporter(options(100, 4, std::chrono::hours(1)), collector.transport());
  auto batch = spans(4);
  exporter.submit(batch);
  EXPECT_TRUE(batch.empty());
  ASSERT_TRUE(wait_until([&] { return exporter.exported_spans() == 4; }));
  EXPECT_EQ(collector.count(), 1U);
  EXPECT_NE(collector.bodies[0].find(R"("spanId":"0000000000000004")"), std::string::npos);
}

TEST(SpanExporterTest, APartialBatchIsSentAfterTheInterval) {
  FakeCollector collector;
  SpanExporter exporter(options(100, 50, milliseconds(20)), collector.transport());
  auto batch = spans(3);
  exporter.submit(batch);
  ASSERT_TRUE(wait_until([&] { return exporter.exported_spans() == 3; }));
  EXPECT_EQ(exporter.dropped_spans(), 0U);
}

TEST(SpanExporterTest, AFullQueueDropsWholeRequestsAndCountsThem) {
  FakeCollector collector;
  SpanExporter exporter(options(5, 5, std::chrono::hours(1)), collector.transport());
  collector.answer = SendResult::kRejected;
  auto first = spans(3);
  exporter.submit(first);
  auto second = spans(3);  // 6 > 5: dropped whole, never half a trace
  exporter.submit(second);
  EXPECT_EQ(exporter.dropped_spans(), 3U);
  EXPECT_TRUE(second.empty());
}

TEST(SpanExporterTest, RetriesAFailingCollectorABoundedNumberOfTimes) {
  FakeCollector collector;
  ExporterOptions settings = options(100, 2, std::chrono::hours(1));
  settings.max_retries = 2;
  collector.answer = SendResult::kRetry;
  SpanExporter exporter(settings, collector.transport());
  auto batch = spans(2);
  exporter.submit(batch);
  ASSERT_TRUE(wait_until([&] { return exporter.dropped_spans() == 2; }));
  EXPECT_EQ(collector.calls.load(), 3);  // the first send and two retries
  EXPECT_EQ(exporter.exported_spans(), 0U);
}

TEST(SpanExporterTest, ARefusedBatchIsNotRetried) {
  FakeCollector collector;
  collector.answer = SendResult::kRejected;
  SpanExporter exporter(options(100, 2, std::chrono::hours(1)), collector.transport());
  auto batch = spans(2);
  exporter.submit(batch);
  ASSERT_TRUE(wait_until([&] { return exporter.dropped_spans() == 2; }));
  EXPECT_EQ(collector.calls.load(), 1);
}

TEST(SpanExporterTest, ShutdownSendsWhatIsQueued) {
  FakeCollector collector;
  {
    SpanExporter exporter(options(100, 50, std::chrono::hours(1)), collector.transport());
    auto batch = spans(7);
    exporter.submit(batch);
  }
  ASSERT_EQ(collector.count(), 1U);
  EXPECT_NE(collector.bodies[0].find(R"("spanId":"0000000000000007")"), std::string::npos);
}

// A collector that never answers within the bound: shutdown gives up, it does not hang.
TEST(SpanExporterTest, ShutdownIsBoundedWhenTheCollectorIsDown) {
  std::atomic<int> calls{0};
  ExporterOptions settings = options(100, 50, std::chrono::hours(1));
  settings.shutdown_timeout = milliseconds(200);
  settings.max_retries = 10;
  settings.retry_backoff = milliseconds(50);
  const auto started = std::chrono::steady_clock::now();
  {
    SpanExporter exporter(settings, [&](std::string_view, milliseconds timeout) {
      ++calls;
      std::this_thread::sleep_for(std::min(timeout, milliseconds(20)));
      return SendResult::kRetry;
    });
    auto batch = spans(3);
    exporter.submit(batch);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_GE(calls.load(), 1);
}

}  // namespace
}  // namespace nexus::obs::tracing

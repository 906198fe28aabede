// Per-connection state of nexus_test_upstream.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http_request.h"
#include "responses.h"

namespace nexus_bench {

constexpr size_t kInitialInput = size_t{16} * 1024;
constexpr size_t kMaxInput = size_t{128} * 1024;  // a head must fit
constexpr size_t kOutputHighWater = size_t{256} * 1024;
constexpr size_t kFillerSize = size_t{64} * 1024;
constexpr uint64_t kListenerTag = ~0ULL;
constexpr uint64_t kTimerTag = ~0ULL - 1;

inline const char* filler() {
  static const std::string filler_bytes(kFillerSize, 'x');
  return filler_bytes.data();
}

inline int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

enum class BodyState : uint8_t { kNone, kLength, kChunked };

struct Conn {
  int fd = -1;
  uint64_t gen = 0;
  std::unique_ptr<char[]> in;
  size_t in_cap = 0, in_start = 0, in_end = 0;
  std::string out;
  size_t out_sent = 0;
  uint64_t large_left = 0;
  uint32_t sse_left = 0, sse_index = 0, sse_interval_ms = 0;
  int64_t sse_next_ns = 0;
  BodyState body = BodyState::kNone;
  uint64_t body_left = 0;
  ChunkedSkipper chunked;
  Pending pending;
  bool readable = true, peer_eof = false, close_after_flush = false, want_out = false;
};

struct TimerEntry {
  int64_t deadline_ns;
  int fd;
  uint64_t gen;
  bool operator>(const TimerEntry& o) const { return deadline_ns > o.deadline_ns; }
};

}  // namespace nexus_bench

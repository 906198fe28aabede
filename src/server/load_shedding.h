// Load shedding: a request that arrives while the process carries more than it should
// (server.limits.max_in_flight requests in progress, or a resident size over max_memory) is
// refused with 503 and Retry-After before any work is done for it, so that the requests already
// in progress finish instead of all slowing down together. Nothing to undo: the next request
// that finds the load back under the limits goes through.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::server {

// Shared by all workers. The request count is touched per request only when max_in_flight is
// set, and sits on a cache line of its own so that it does not slow the connection count.
struct LoadCounters {
  alignas(64) std::atomic<uint32_t> in_flight{0};       // requests in progress, all workers
  alignas(64) std::atomic<uint64_t> resident_bytes{0};  // sampled by worker 0's tick
};

// Counts one request in while it lives (when the limit is set) and says whether it is refused.
class LoadGate {
 public:
  LoadGate(LoadCounters& counters, const config::Limits& limits);
  ~LoadGate();
  LoadGate(const LoadGate&) = delete;
  LoadGate& operator=(const LoadGate&) = delete;

  // Why the request is refused (ErrorCode::kOverloaded), or nullopt.
  [[nodiscard]] const std::optional<Error>& refusal() const { return refusal_; }

 private:
  LoadCounters& counters_;
  bool counted_ = false;
  std::optional<Error> refusal_;
};

// The process's resident set size in bytes (/proc/self/statm), 0 if it cannot be read.
uint64_t resident_bytes();

}  // namespace nexus::server

// Trace and span ids from a fast PRNG (xoshiro256**), one per thread: a worker thread draws its
// ids without a lock or a system call. Each thread's generator is seeded from the OS
// (std::random_device: getrandom) the first time it is used, so processes and threads never
// share a sequence. Ids need to be unique, not unpredictable (W3C Trace Context §security).
#pragma once

#include <array>
#include <cstdint>

#include "obs/tracing/trace_context.h"

namespace nexus::obs::tracing {

class Xoshiro256 {
 public:
  explicit Xoshiro256(std::array<uint64_t, 4> seed) : state_(seed) {
    if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) {
      state_[0] = 1;  // the all-zero state would only ever yield zeros
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> state_;
};

// A non-zero random id from this thread's generator.
uint64_t random_id();
inline TraceId new_trace_id() { return {.high = random_id(), .low = random_id()}; }
inline SpanId new_span_id() { return random_id(); }

}  // namespace nexus::obs::tracing

// UUIDv7 (RFC 9562, section 5.7): 48 bits of Unix time in milliseconds, version 7, variant 10,
// then 74 bits that are partly a counter and partly random, so that ids sort by creation time.
//
// Monotonic per generator (RFC 9562 section 6.2, method 1): the 12 bits of rand_a and the top
// 30 bits of rand_b form a 42-bit counter that starts at a random value with its top bit clear
// each new millisecond and counts up within one; the low 32 bits are fresh random bits every
// time. When the clock steps back a little (under kMaxBackwardStepMs) the generator keeps its
// last millisecond and counts on; after a larger step it follows the clock. A generator is not
// thread-safe: the filter keeps one per thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace nexus::filters {

// xoshiro256** (Blackman and Vigna): fast, small state, good enough for the random bits of an
// id (they make collisions unlikely, they are not secrets). Seeded from OpenSSL's RAND_bytes.
class FastRandom {
 public:
  FastRandom();  // seeded from RAND_bytes (std::random_device if that fails)
  explicit FastRandom(const std::array<uint64_t, 4>& seed) : state_(seed) {}
  uint64_t next();

 private:
  std::array<uint64_t, 4> state_;
};

// A UUID's text, without a terminator: no heap allocation per id.
using UuidText = std::array<char, 36>;

class UuidV7Generator {
 public:
  static constexpr uint64_t kMaxBackwardStepMs = 10'000;

  UuidV7Generator() = default;
  explicit UuidV7Generator(FastRandom random) : random_(random) {}

  // The 16 bytes of a new id, for the time `now`.
  std::array<uint8_t, 16> next_bytes(std::chrono::system_clock::time_point now);
  // The same as 36 characters, lower-case hex: xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx.
  UuidText next(std::chrono::system_clock::time_point now);

 private:
  static constexpr int kCounterBits = 42;
  static constexpr uint64_t kCounterMax = (uint64_t{1} << kCounterBits) - 1;

  void reseed_counter();

  FastRandom random_;
  uint64_t last_ms_ = 0;
  uint64_t counter_ = 0;
};

// Formats 16 bytes as a UUID (8-4-4-4-12, lower case).
UuidText format_uuid(const std::array<uint8_t, 16>& bytes);

}  // namespace nexus::filters

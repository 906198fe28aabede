#include "filters/request_id/uuid_v7.h"

#include <openssl/rand.h>

#include <bit>
#include <cstring>
#include <random>

namespace nexus::filters {
namespace {

std::array<uint64_t, 4> random_seed() {
  std::array<uint64_t, 4> seed{};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), sizeof(seed)) != 1) {
    std::random_device device;
    for (uint64_t& word : seed) {
      word = (uint64_t{device()} << 32) ^ device();
    }
  }
  if (seed == std::array<uint64_t, 4>{}) {
    seed[0] = 0x9e3779b97f4a7c15ULL;  // xoshiro's state must not be all zero
  }
  return seed;
}

}  // namespace

FastRandom::FastRandom() : state_(random_seed()) {}

uint64_t FastRandom::next() {
  const uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = std::rotl(state_[3], 45);
  return result;
}

void UuidV7Generator::reseed_counter() {
  // Top bit clear: at least 2^41 ids fit in the millisecond before the counter overflows.
  counter_ = random_.next() & (kCounterMax >> 1);
}

std::array<uint8_t, 16> UuidV7Generator::next_bytes(std::chrono::system_clock::time_point now) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const uint64_t ms = since_epoch > 0 ? static_cast<uint64_t>(since_epoch) : 0;
  if (ms > last_ms_ || ms + kMaxBackwardStepMs < last_ms_) {
    last_ms_ = ms;
    reseed_counter();
  } else if (++counter_ > kCounterMax) {
    ++last_ms_;  // the counter ran out within one millisecond: borrow the next one
    reseed_counter();
  }
  const uint64_t timestamp = last_ms_ & ((uint64_t{1} << 48) - 1);
  const uint64_t rand_a = counter_ >> 30;                    // 12 bits
  const uint64_t counter_low = counter_ & ((1U << 30) - 1);  // 30 bits
  const uint64_t random_low = random_.next() & 0xffffffffU;  // 32 bits
  const uint64_t high = (timestamp << 16) | (uint64_t{7} << 12) | rand_a;
  const uint64_t low = (uint64_t{0b10} << 62) | (counter_low << 32) | random_low;
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return bytes;
}

UuidText UuidV7Generator::next(std::chrono::system_clock::time_point now) {
  return format_uuid(next_bytes(now));
}

UuidText format_uuid(const std::array<uint8_t, 16>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  UuidText out{};
  size_t at = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out[at++] = '-';
    }
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace nexus::filters

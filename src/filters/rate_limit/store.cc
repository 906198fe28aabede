#include "filters/rate_limit/store.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace nexus::filters::rate_limit {
namespace {

// Idle entries dropped per decision: more than the at most one entry a decision adds, so that
// idle keys go away as fast as new ones come, without ever scanning a whole shard.
constexpr size_t kSweepPerCall = 2;
// Fewer shards for a small max_keys, so that an uneven spread of keys over the shards does not
// make a shard full long before max_keys keys are held.
constexpr size_t kMinKeysPerShard = 16;

}  // namespace

// Aligned so that two shards' mutexes never share a cache line.
struct alignas(64) LimitStore::Shard {
  std::mutex mutex;
  Lru lru;
  Index index;
};

LimitStore::LimitStore(const LimitSpec& spec, size_t max_keys, WhenFull when_full, size_t shards)
    : spec_(spec), idle_ttl_ns_(spec.idle_ttl_ns()), when_full_(when_full) {
  max_keys = std::max<size_t>(1, max_keys);
  const size_t count = std::bit_floor(
      std::clamp<size_t>(std::min(shards, max_keys / kMinKeysPerShard), 1, kMaxShards));
  shard_mask_ = count - 1;
  shard_capacity_ = max_keys / count;
  shards_ = std::make_unique<Shard[]>(count);  // NOLINT(modernize-avoid-c-arrays)
}

LimitStore::~LimitStore() = default;

LimitStore::Shard& LimitStore::shard_of(size_t hash) const {
  // The map buckets by the hash modulo a prime; the shard takes other bits (the high ones).
  return shards_[((hash >> 32) ^ (hash >> 48)) & shard_mask_];
}

void LimitStore::erase(Shard& shard, Lru::iterator node) {
  shard.index.erase(HashedKey{node->key, node->hash});
  shard.lru.erase(node);
}

void LimitStore::sweep(Shard& shard, int64_t now, size_t budget) const {
  while (budget-- > 0 && !shard.lru.empty() && now - shard.lru.back().touched >= idle_ttl_ns_) {
    erase(shard, std::prev(shard.lru.end()));
  }
}

bool LimitStore::make_room(Shard& shard, int64_t now, Decision& refused) const {
  if (shard.index.size() < shard_capacity_) {
    return true;
  }
  const Node& oldest = shard.lru.back();
  if (when_full_ == WhenFull::kEvict || now - oldest.touched >= idle_ttl_ns_) {
    erase(shard, std::prev(shard.lru.end()));
    return true;
  }
  const int64_t limit = spec_.header_limit();
  if (when_full_ == WhenFull::kAllow) {
    refused = Decision{.allowed = true, .limit = limit, .remaining = limit};
  } else {
    const int64_t wait = std::max<int64_t>(1, oldest.touched + idle_ttl_ns_ - now);
    refused = Decision{.limit = limit, .reset_ns = wait, .retry_after_ns = wait};
  }
  return false;
}

Decision LimitStore::acquire(std::string_view key, int64_t now) {
  const size_t hash = std::hash<std::string_view>{}(key);
  Shard& shard = shard_of(hash);
  const std::lock_guard lock(shard.mutex);
  sweep(shard, now, kSweepPerCall);
  if (auto found = shard.index.find(HashedKey{key, hash}); found != shard.index.end()) {
    const Lru::iterator node = found->second;
    shard.lru.splice(shard.lru.begin(), shard.lru, node);
    node->touched = std::max(node->touched, now);
    return decide(spec_, node->state, now);
  }
  Decision refused;
  if (!make_room(shard, now, refused)) {
    return refused;
  }
  Node& node = shard.lru.emplace_front(Node{.key = std::string(key), .hash = hash, .touched = now});
  shard.index.emplace(HashedKey{node.key, hash}, shard.lru.begin());
  return decide(spec_, node.state, now);
}

void LimitStore::refund(std::string_view key, const Decision& decision) {
  if (!decision.allowed) {
    return;
  }
  const size_t hash = std::hash<std::string_view>{}(key);
  Shard& shard = shard_of(hash);
  const std::lock_guard lock(shard.mutex);
  if (auto found = shard.index.find(HashedKey{key, hash}); found != shard.index.end()) {
    rate_limit::refund(spec_, found->second->state, decision);
  }
}

size_t LimitStore::size() const {
  size_t total = 0;
  for (size_t i = 0; i <= shard_mask_; ++i) {
    const std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].index.size();
  }
  return total;
}

}  // namespace nexus::filters::rate_limit

// The process-wide state of one limit: every key's State, shared by all worker threads.
//
// Keys are spread over shards, each a hash map under its own mutex, so that threads deciding for
// different keys rarely meet and no lock covers the whole store. Each shard also keeps its
// entries in least-recently-touched order (a list the map points into), which gives O(1)
// sweeping of idle entries (they are at the tail) and O(1) eviction when the shard is full.
// Looking up an existing key allocates nothing; a new key allocates its entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "filters/rate_limit/algorithms.h"

namespace nexus::filters::rate_limit {

// What a full store does with a new key.
enum class WhenFull {
  kEvict,  // drop the shard's least recently used key (default)
  kAllow,  // fail open: allow the request without tracking its key
  kDeny,   // fail closed: reject it
};

class LimitStore {
 public:
  static constexpr size_t kMaxShards = 64;

  // `max_keys` bounds the number of keys: it is split evenly over the shards (so a shard may be
  // full, and evict, while others are not). `shards` is rounded down to a power of two, and
  // lowered so that each shard holds at least 16 keys.
  LimitStore(const LimitSpec& spec, size_t max_keys, WhenFull when_full,
             size_t shards = kMaxShards);
  LimitStore(const LimitStore&) = delete;
  LimitStore& operator=(const LimitStore&) = delete;
  ~LimitStore();

  // Decides one request for `key` at `now` (steady nanoseconds).
  Decision acquire(std::string_view key, int64_t now);
  // Gives back what an allowed acquire() took, if the key is still there.
  void refund(std::string_view key, const Decision& decision);

  [[nodiscard]] const LimitSpec& spec() const { return spec_; }
  // The number of keys held (locks each shard in turn: for tests and metrics).
  [[nodiscard]] size_t size() const;

 private:
  struct Shard;
  struct Node {
    std::string key;
    size_t hash = 0;
    State state;
    int64_t touched = 0;  // the latest `now` it was decided at
  };
  struct HashedKey {
    std::string_view text;  // into the Node's key, or the caller's while looking up
    size_t hash;
  };
  struct KeyHash {
    size_t operator()(const HashedKey& key) const { return key.hash; }
  };
  struct KeyEqual {
    bool operator()(const HashedKey& a, const HashedKey& b) const { return a.text == b.text; }
  };
  using Lru = std::list<Node>;  // most recently touched first
  using Index = std::unordered_map<HashedKey, Lru::iterator, KeyHash, KeyEqual>;

  Shard& shard_of(size_t hash) const;
  // Drops up to `budget` idle entries from the tail of `shard` (its lock held).
  void sweep(Shard& shard, int64_t now, size_t budget) const;
  // Makes room for one new entry, or says the policy forbids it (lock held).
  bool make_room(Shard& shard, int64_t now, Decision& refused) const;
  static void erase(Shard& shard, Lru::iterator node);

  LimitSpec spec_;
  int64_t idle_ttl_ns_;
  WhenFull when_full_;
  size_t shard_mask_;
  size_t shard_capacity_;
  std::unique_ptr<Shard[]> shards_;  // NOLINT(modernize-avoid-c-arrays): mutexes cannot move
};

}  // namespace nexus::filters::rate_limit

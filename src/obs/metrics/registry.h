// The metrics registry: families declared up front, one shard of plain counters per worker,
// aggregated only when scraped.
//
// Lifecycle (single thread, before the workers start): add() every family, add_callback() the
// values read at scrape (process figures, shared counters), then freeze(workers). From then on:
//   - a worker records into its own Shard (shard(i)): a relaxed load and store of one slot, no
//     read-modify-write, no lock, no allocation. Handles (SeriesId, HistogramId) are resolved
//     once, outside the hot path (at start-up or the first time a value is seen), so recording
//     is an index, never a map lookup;
//   - collect() (any thread, e.g. the ops listener's) sums the shards with relaxed loads.
//
// Adding a family: see docs/observability.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nexus/core/result.h"
#include "obs/metrics/family.h"

namespace nexus::obs::metrics {

// One series of a counter or gauge family: the slot it is counted in, in every shard.
struct SeriesId {
  uint32_t slot = 0;
};

// One series of a histogram: its first bucket slot (then one per bound, +Inf, and the sum), and
// its family's bounds in observation units.
struct HistogramId {
  uint32_t slot = 0;
  std::span<const uint64_t> bounds;
};

// A worker's own counters. Single writer (the worker's thread); any thread may read.
class Shard {
 public:
  explicit Shard(size_t slots);

  void add(SeriesId series, uint64_t amount = 1) { bump(series.slot, amount); }
  // Gauges: the shards' values are summed as two's complement, so a worker may go below zero
  // (a stream opened on one worker is never closed on another, but the sum is what counts).
  void add_signed(SeriesId series, int64_t delta) {
    bump(series.slot, static_cast<uint64_t>(delta));
  }
  // `value` in observation units (1/scale of the family's unit).
  void observe(const HistogramId& histogram, uint64_t value);

  [[nodiscard]] uint64_t load(size_t slot) const {
    return slots_[slot].load(std::memory_order_relaxed);
  }

 private:
  // Only this shard's worker writes: load + store is exact without a read-modify-write (which
  // would lock the bus), and readers see each slot's value whole.
  void bump(size_t slot, uint64_t amount) {
    auto& cell = slots_[slot];
    cell.store(cell.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }

  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
};

// A family as declared, with its slots' place in every shard.
class Family {
 public:
  Family(FamilySpec spec, uint32_t first_slot);

  [[nodiscard]] const FamilySpec& spec() const { return spec_; }
  // Series count (every combination of label values, "other" included) and slots per series.
  [[nodiscard]] size_t series_count() const { return series_count_; }
  [[nodiscard]] size_t slots_per_series() const { return slots_per_series_; }
  [[nodiscard]] uint32_t first_slot() const { return first_slot_; }
  [[nodiscard]] size_t slot_count() const { return series_count_ * slots_per_series_; }
  [[nodiscard]] std::span<const uint64_t> bounds() const { return bounds_; }

  // The series of these label values (one per label, in order). Learns new values of capped
  // labels under a mutex: call it once per value and keep the handle, not per request.
  SeriesId series(std::span<const std::string_view> values);
  HistogramId histogram(std::span<const std::string_view> values);
  // The same by value index (values[i] is spec().labels[i].values[index]); no lookup at all.
  [[nodiscard]] SeriesId series_at(std::span<const uint32_t> indices) const;
  [[nodiscard]] HistogramId histogram_at(std::span<const uint32_t> indices) const;

  // The label values of series `index` (for the exposition), and values folded into "other".
  [[nodiscard]] std::vector<std::string> label_values(size_t index) const;
  [[nodiscard]] uint64_t folded() const { return folded_.load(std::memory_order_relaxed); }

 private:
  struct Label {
    std::vector<std::string> values;  // index = value index; "other" is index `radix - 1`
    std::unordered_map<std::string, uint32_t> index;
    uint32_t radix = 0;  // values it may have, "other" included
    bool learns = false;
  };
  uint32_t index_of(size_t label, std::string_view value);

  FamilySpec spec_;
  uint32_t first_slot_;
  std::vector<Label> labels_;
  std::vector<uint64_t> bounds_;  // histograms: in observation units
  size_t series_count_ = 1;
  size_t slots_per_series_ = 1;
  mutable std::mutex learn_mutex_;  // guards the values of labels that learn (not the hot path)
  std::atomic<uint64_t> folded_{0};
};

// One sample set read at scrape (a callback family has one series without labels).
using ReadValue = std::function<double()>;
// A labelled callback family's series, read at scrape: one label value per label of its spec.
struct Sample {
  std::vector<std::string> values;
  double value = 0;
};
using ReadSamples = std::function<std::vector<Sample>()>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Before freeze(): declares a family; errors name it (a bad name, unit suffix, buckets, or a
  // name already taken). The family lives as long as the registry.
  Result<Family*> add(FamilySpec spec);
  // Before freeze(): a family without labels whose value is read at each scrape (a counter or a
  // gauge; `read` runs on the scraping thread and must be thread-safe).
  Result<void> add_callback(FamilySpec spec, ReadValue read);
  // Before freeze(): a gauge family with labels whose series are read at each scrape (values
  // that live in shared state already, like the health checks' flags). `read` runs on the
  // scraping thread and must be thread-safe; it bounds its own series (config names only).
  Result<void> add_callback(FamilySpec spec, ReadSamples read);
  // Ends declaration: one shard per worker.
  void freeze(size_t shards);
  [[nodiscard]] bool frozen() const { return !shards_.empty(); }

  Shard& shard(size_t index) { return *shards_[index]; }
  [[nodiscard]] size_t shard_count() const { return shards_.size(); }

  // Read by the exposition (exposition.h): families in declaration order.
  struct Callback {
    FamilySpec spec;
    ReadValue read;            // a family without labels
    ReadSamples read_samples;  // or one with labels
  };
  [[nodiscard]] const std::vector<std::unique_ptr<Family>>& families() const { return families_; }
  [[nodiscard]] const std::vector<Callback>& callbacks() const { return callbacks_; }
  // A slot summed over every shard.
  [[nodiscard]] uint64_t total(size_t slot) const;

 private:
  Result<void> check_new(const FamilySpec& spec) const;

  std::vector<std::unique_ptr<Family>> families_;
  std::vector<Callback> callbacks_;
  std::vector<std::unique_ptr<Shard>> shards_;
  uint32_t slots_ = 0;
};

}  // namespace nexus::obs::metrics

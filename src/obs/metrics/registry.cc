#include "obs/metrics/registry.h"

#include <algorithm>
#include <cmath>

namespace nexus::obs::metrics {

std::vector<double> duration_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

// Slots past the end, so that two workers' shards never share a cache line (a worker's writes
// would otherwise invalidate the line its neighbour writes to).
constexpr size_t kPaddingSlots = 8;

Shard::Shard(size_t slots)
    : slots_(std::make_unique<std::atomic<uint64_t>[]>(slots + kPaddingSlots)) {
  for (size_t i = 0; i < slots + kPaddingSlots; ++i) {
    slots_[i].store(0, std::memory_order_relaxed);
  }
}

void Shard::observe(const HistogramId& histogram, uint64_t value) {
  // Buckets hold counts of their own range here; the exposition makes them cumulative. The
  // bounds are few (about 16), so a binary search costs a handful of compares.
  const auto bucket = std::ranges::lower_bound(histogram.bounds, value) - histogram.bounds.begin();
  bump(histogram.slot + static_cast<size_t>(bucket), 1);
  bump(histogram.slot + histogram.bounds.size() + 1, value);  // the sum
}

Family::Family(FamilySpec spec, uint32_t first_slot)
    : spec_(std::move(spec)), first_slot_(first_slot) {
  for (const LabelSpec& label : spec_.labels) {
    Label& out = labels_.emplace_back();
    out.learns = label.cap > 0;
    const size_t known =
        out.learns ? std::min<size_t>(label.values.size(), label.cap) : label.values.size();
    for (size_t i = 0; i < known; ++i) {
      if (out.index.emplace(label.values[i], static_cast<uint32_t>(out.values.size())).second) {
        out.values.push_back(label.values[i]);
      }
    }
    out.radix = (out.learns ? label.cap : static_cast<uint32_t>(out.values.size())) + 1;
    series_count_ *= out.radix;
  }
  if (spec_.type == Type::kHistogram) {
    for (double bound : spec_.buckets) {
      bounds_.push_back(static_cast<uint64_t>(std::llround(bound * spec_.scale)));
    }
    slots_per_series_ = bounds_.size() + 2;  // the buckets, +Inf and the sum
  }
}

uint32_t Family::index_of(size_t label, std::string_view value) {
  Label& entry = labels_[label];
  const uint32_t other = entry.radix - 1;
  if (!entry.learns) {  // immutable since construction: no lock
    const auto found = entry.index.find(std::string(value));
    if (found != entry.index.end()) {
      return found->second;
    }
    folded_.fetch_add(1, std::memory_order_relaxed);
    return other;
  }
  const std::lock_guard lock(learn_mutex_);
  const auto found = entry.index.find(std::string(value));
  if (found != entry.index.end()) {
    return found->second;
  }
  if (entry.values.size() >= other) {
    folded_.fetch_add(1, std::memory_order_relaxed);
    return other;
  }
  const auto index = static_cast<uint32_t>(entry.values.size());
  entry.values.emplace_back(value);
  entry.index.emplace(std::string(value), index);
  return index;
}

SeriesId Family::series(std::span<const std::string_view> values) {
  std::vector<uint32_t> indices;
  indices.reserve(labels_.size());
  for (size_t i = 0; i < labels_.size(); ++i) {
    indices.push_back(i < values.size() ? index_of(i, values[i]) : labels_[i].radix - 1);
  }
  return series_at(indices);
}

HistogramId Family::histogram(std::span<const std::string_view> values) {
  return {.slot = series(values).slot, .bounds = bounds_};
}

SeriesId Family::series_at(std::span<const uint32_t> indices) const {
  size_t index = 0;
  for (size_t i = 0; i < labels_.size(); ++i) {
    const uint32_t value = i < indices.size() ? indices[i] : labels_[i].radix - 1;
    index = index * labels_[i].radix + std::min(value, labels_[i].radix - 1);
  }
  return {.slot = static_cast<uint32_t>(first_slot_ + index * slots_per_series_)};
}

HistogramId Family::histogram_at(std::span<const uint32_t> indices) const {
  return {.slot = series_at(indices).slot, .bounds = bounds_};
}

std::vector<std::string> Family::label_values(size_t index) const {
  std::vector<std::string> out(labels_.size());
  const std::lock_guard lock(learn_mutex_);
  for (size_t i = labels_.size(); i-- > 0;) {
    const Label& label = labels_[i];
    const size_t value = index % label.radix;
    index /= label.radix;
    out[i] = value < label.values.size() ? label.values[value] : std::string(kOtherValue);
  }
  return out;
}

namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<void> Registry::check_new(const FamilySpec& spec) const {
  const std::string what = "metric family '" + spec.name + "': ";
  if (frozen()) {
    return fail(ErrorCode::kInternal, what + "declared after the registry was frozen");
  }
  if (!valid_name(spec.name)) {
    return fail(ErrorCode::kInternal, what + "not a valid metric name");
  }
  if (spec.type == Type::kCounter && spec.name.ends_with("_total")) {
    return fail(ErrorCode::kInternal, what + "a counter is named without _total");
  }
  if (!spec.unit.empty() && !spec.name.ends_with("_" + spec.unit)) {
    return fail(ErrorCode::kInternal, what + "the name must end with _" + spec.unit);
  }
  const bool taken =
      std::ranges::any_of(families_, [&](const auto& f) { return f->spec().name == spec.name; }) ||
      std::ranges::any_of(callbacks_, [&](const auto& c) { return c.spec.name == spec.name; });
  if (taken) {
    return fail(ErrorCode::kInternal, what + "declared twice");
  }
  for (const LabelSpec& label : spec.labels) {
    if (!valid_name(label.name) || label.name == "le" || label.name.starts_with("__")) {
      return fail(ErrorCode::kInternal, what + "bad label name '" + label.name + "'");
    }
  }
  if (spec.type == Type::kHistogram) {
    if (spec.buckets.empty() || !std::ranges::is_sorted(spec.buckets) ||
        std::ranges::adjacent_find(spec.buckets) != spec.buckets.end() || spec.scale <= 0) {
      return fail(ErrorCode::kInternal, what + "buckets must be increasing, scale positive");
    }
  }
  return {};
}

Result<Family*> Registry::add(FamilySpec spec) {
  if (auto checked = check_new(spec); !checked) {
    return std::unexpected(std::move(checked.error()));
  }
  auto family = std::make_unique<Family>(std::move(spec), slots_);
  slots_ += static_cast<uint32_t>(family->slot_count());
  families_.push_back(std::move(family));
  return families_.back().get();
}

Result<void> Registry::add_callback(FamilySpec spec, ReadValue read) {
  if (auto checked = check_new(spec); !checked) {
    return std::unexpected(std::move(checked.error()));
  }
  if (spec.type == Type::kHistogram || !spec.labels.empty()) {
    return fail(ErrorCode::kInternal,
                "metric family '" + spec.name + "': a callback is a counter or gauge, no labels");
  }
  callbacks_.push_back({std::move(spec), std::move(read), {}});
  return {};
}

Result<void> Registry::add_callback(FamilySpec spec, ReadSamples read) {
  if (auto checked = check_new(spec); !checked) {
    return std::unexpected(std::move(checked.error()));
  }
  if (spec.type != Type::kGauge || spec.labels.empty()) {
    return fail(ErrorCode::kInternal,
                "metric family '" + spec.name + "': a labelled callback is a gauge with labels");
  }
  callbacks_.push_back({std::move(spec), {}, std::move(read)});
  return {};
}

void Registry::freeze(size_t shards) {
  for (size_t i = 0; i < std::max<size_t>(shards, 1); ++i) {
    shards_.push_back(std::make_unique<Shard>(slots_));
  }
}

uint64_t Registry::total(size_t slot) const {
  uint64_t sum = 0;
  for (const auto& shard : shards_) {
    sum += shard->load(slot);
  }
  return sum;
}

}  // namespace nexus::obs::metrics

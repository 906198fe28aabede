#include "obs/alerts/sources.h"

#include <algorithm>

namespace nexus::obs::alerts {
namespace {

using Kind = config::AlertRule::Kind;

// The index of `label` in the family's labels, or npos.
size_t label_index(const metrics::Family& family, std::string_view label) {
  const auto& labels = family.spec().labels;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].name == label) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Calls `each(series values, first slot)` for every series whose `label` is `value` (every
// series when `value` is empty).
template <typename Each>
void for_matching(const metrics::Family& family, std::string_view label, std::string_view value,
                  Each&& each) {
  const size_t filter = value.empty() ? std::string_view::npos : label_index(family, label);
  for (size_t series = 0; series < family.series_count(); ++series) {
    const std::vector<std::string> values = family.label_values(series);
    if (filter != std::string_view::npos && values[filter] != value) {
      continue;
    }
    each(values, family.first_slot() + series * family.slots_per_series());
  }
}

}  // namespace

const metrics::Family* Sources::family(std::string_view name) const {
  const auto& families = registry_.families();
  const auto found = std::ranges::find_if(
      families, [name](const auto& family) { return family->spec().name == name; });
  return found == families.end() ? nullptr : found->get();
}

std::optional<double> Sources::open_circuits() const {
  std::optional<double> open;
  for (const std::string_view name : {kCircuitStateFamily, kLlmCircuitStateFamily}) {
    const metrics::Family* states = family(name);
    if (states == nullptr || label_index(*states, "state") == std::string_view::npos) {
      continue;
    }
    double count = open.value_or(0);
    for_matching(*states, "state", "open", [&](const auto&, size_t slot) {
      // A gauge's shards sum as two's complement: a worker counts 1 in its breaker's state.
      if (static_cast<int64_t>(registry_.total(slot)) > 0) {
        count += 1;
      }
    });
    open = count;
  }
  return open;
}

std::optional<Sample> Sources::sample(const config::AlertRule& rule) const {
  switch (rule.kind) {
    case Kind::kErrorRate: {
      const metrics::Family* requests = family(kRequestsFamily);
      if (requests == nullptr) {
        return std::nullopt;
      }
      const size_t status = label_index(*requests, "status_class");
      Sample out{.counters = {0, 0}};
      for_matching(*requests, "route", rule.route, [&](const auto& values, size_t slot) {
        const uint64_t count = registry_.total(slot);
        out.counters[0] += count;
        if (status != std::string_view::npos && values[status] == "5xx") {
          out.counters[1] += count;
        }
      });
      return out;
    }
    case Kind::kLatencyP95: {
      const metrics::Family* duration = family(kDurationFamily);
      if (duration == nullptr) {
        return std::nullopt;
      }
      const size_t buckets = duration->spec().buckets.size() + 1;  // +Inf too
      Sample out{.counters = std::vector<uint64_t>(buckets, 0), .bounds = duration->spec().buckets};
      for_matching(*duration, "route", rule.route, [&](const auto&, size_t slot) {
        for (size_t b = 0; b < buckets; ++b) {
          out.counters[b] += registry_.total(slot + b);
        }
      });
      return out;
    }
    case Kind::kProviderAuthFailures: {
      const metrics::Family* failures = family(kAuthFailuresFamily);
      if (failures == nullptr) {
        return std::nullopt;
      }
      Sample out{.counters = {0}};
      for_matching(*failures, "provider", rule.provider,
                   [&](const auto&, size_t slot) { out.counters[0] += registry_.total(slot); });
      return out;
    }
    case Kind::kBudget:
      if (!budget_) {
        return std::nullopt;
      }
      return Sample{.instant = budget_(rule.scope_kind, rule.scope_id)};
    case Kind::kCircuitOpen:
      if (std::optional<double> open = open_circuits(); open.has_value()) {
        return Sample{.instant = open};
      }
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace nexus::obs::alerts

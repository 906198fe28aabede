// What a metric family is, declared once before any worker runs: its name, help, unit, type,
// labels (each with a bounded set of values) and, for histograms, its bucket bounds.
//
// Label values are bounded: a label either lists its values up front (config names, fixed
// enums) or may learn new ones at run time up to a cap. A value past the cap (or, for a closed
// label, any value not listed) is recorded under "other", and the fold is counted
// (nexus_metrics_label_values_folded_total{family}), so cardinality can never grow unbounded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nexus::obs::metrics {

enum class Type : uint8_t { kCounter, kGauge, kHistogram };

// The value every label has besides its own: where values past the cap are counted.
inline constexpr std::string_view kOtherValue = "other";

struct LabelSpec {
  std::string name;
  std::vector<std::string> values;  // known up front (config names, enum values)
  // 0: closed, the values are exactly `values`. Otherwise at most `cap` values in all, `values`
  // included (config values past the cap fold too); new ones are learnt at run time.
  uint32_t cap = 0;
};

struct FamilySpec {
  // Prometheus naming: nexus_<area>_<name>_<unit>. A counter's name is given without "_total"
  // (the exposition adds it), as OpenMetrics names the family.
  std::string name;
  std::string help;
  std::string unit;  // "seconds", "bytes", or empty; when set, `name` ends with "_<unit>"
  Type type = Type::kCounter;
  std::vector<LabelSpec> labels;
  // Histograms: the buckets' upper bounds in `unit`, increasing (+Inf is implied). Observations
  // (and a counter's increments) are integers in 1/`scale` of the unit (scale 1e9 with seconds:
  // nanoseconds; with USD: nano-dollars), so that shards hold integers only; the exposition
  // divides by `scale`.
  std::vector<double> buckets;
  double scale = 1;
  // Gauges: a series at zero is not written (as a counter's). For families whose labels form a
  // product of which only some combinations exist (a cluster's own endpoints) or one-hot states
  // where only the current state is worth a line.
  bool omit_zero = false;
};

// Bucket bounds often used for request durations, in seconds (as Prometheus' client libraries).
std::vector<double> duration_buckets();

}  // namespace nexus::obs::metrics

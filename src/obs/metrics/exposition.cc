#include "obs/metrics/exposition.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace nexus::obs::metrics {
namespace {

void append_uint(uint64_t value, std::string& out) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
  out.append(buffer, end);
}

void append_int(int64_t value, std::string& out) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
  out.append(buffer, end);
}

void append_double(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
    out.append(buffer, end);
  }
}

// A bucket bound the way OpenMetrics wants it canonical ("0.005", "1.0"), which Prometheus'
// parser reads as well: fixed notation, shortest digits, always a fraction.
void append_bound(double bound, std::string& out) {
  char buffer[64];
  const auto end =
      std::to_chars(buffer, buffer + sizeof(buffer), bound, std::chars_format::fixed).ptr;
  const std::string_view text(buffer, static_cast<size_t>(end - buffer));
  out += text;
  if (text.find('.') == std::string_view::npos) {
    out += ".0";
  }
}

// HELP text: backslash and newline escaped; OpenMetrics escapes double quotes too.
void append_help(std::string_view help, Format format, std::string& out) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && format == Format::kOpenMetrics) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "unknown";
}

// # TYPE / # UNIT / # HELP. Prometheus names a counter by its sample name (with _total),
// OpenMetrics by its family name (without).
void append_metadata(const FamilySpec& spec, Format format, std::string& out) {
  std::string name = spec.name;
  if (spec.type == Type::kCounter && format == Format::kPrometheus) {
    name += "_total";
  }
  out += "# HELP ";
  out += name;
  out += ' ';
  append_help(spec.help, format, out);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type_name(spec.type);
  out += '\n';
  if (format == Format::kOpenMetrics && !spec.unit.empty()) {
    out += "# UNIT ";
    out += name;
    out += ' ';
    out += spec.unit;
    out += '\n';
  }
}

// name{a="x",b="y"<extra>} — `extra` is the le label of a bucket, already formatted.
void append_series_name(std::string_view name, std::string_view suffix, const FamilySpec& spec,
                        const std::vector<std::string>& values, std::string_view extra,
                        std::string& out) {
  out += name;
  out += suffix;
  if (values.empty() && extra.empty()) {
    out += ' ';
    return;
  }
  out += '{';
  for (size_t i = 0; i < values.size() && i < spec.labels.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += spec.labels[i].name;
    out += "=\"";
    append_escaped(values[i], out);
    out += '"';
  }
  if (!extra.empty()) {
    if (!values.empty()) {
      out += ',';
    }
    out += extra;
  }
  out += "} ";
}

void append_histogram(const Registry& registry, const Family& family, size_t slot,
                      const std::vector<std::string>& values, std::string& out) {
  const FamilySpec& spec = family.spec();
  const size_t bounds = family.bounds().size();
  uint64_t cumulative = 0;
  std::string le;
  for (size_t b = 0; b <= bounds; ++b) {
    cumulative += registry.total(slot + b);
    le = "le=\"";
    if (b < bounds) {
      append_bound(spec.buckets[b], le);
    } else {
      le += "+Inf";
    }
    le += '"';
    append_series_name(spec.name, "_bucket", spec, values, le, out);
    append_uint(cumulative, out);
    out += '\n';
  }
  append_series_name(spec.name, "_sum", spec, values, {}, out);
  append_double(static_cast<double>(registry.total(slot + bounds + 1)) / spec.scale, out);
  out += '\n';
  append_series_name(spec.name, "_count", spec, values, {}, out);
  append_uint(cumulative, out);
  out += '\n';
}

uint64_t histogram_count(const Registry& registry, size_t slot, size_t bounds) {
  uint64_t count = 0;
  for (size_t b = 0; b <= bounds; ++b) {
    count += registry.total(slot + b);
  }
  return count;
}

void append_family(const Registry& registry, const Family& family, Format format,
                   std::string& out) {
  const FamilySpec& spec = family.spec();
  append_metadata(spec, format, out);
  const bool labelled = !spec.labels.empty();
  const std::string_view suffix = spec.type == Type::kCounter ? "_total" : "";
  for (size_t series = 0; series < family.series_count(); ++series) {
    const size_t slot = family.first_slot() + series * family.slots_per_series();
    if (spec.type == Type::kHistogram) {
      if (labelled && histogram_count(registry, slot, family.bounds().size()) == 0) {
        continue;
      }
      append_histogram(registry, family, slot, family.label_values(series), out);
      continue;
    }
    const uint64_t value = registry.total(slot);
    if (labelled && value == 0 && (spec.type == Type::kCounter || spec.omit_zero)) {
      continue;
    }
    std::vector<std::string> values = family.label_values(series);
    // A gauge back at zero is still written (it was not absent, it is zero), unless one of its
    // values is "other" or not learnt yet.
    if (labelled && value == 0 && std::ranges::find(values, kOtherValue) != values.end()) {
      continue;
    }
    append_series_name(spec.name, suffix, spec, values, {}, out);
    if (spec.type == Type::kGauge) {
      append_int(static_cast<int64_t>(value), out);
    } else if (spec.scale != 1) {  // counted in 1/scale units (nano-dollars for USD)
      append_double(static_cast<double>(value) / spec.scale, out);
    } else {
      append_uint(value, out);
    }
    out += '\n';
  }
}

// Values that did not fit a label's cap, per family (written only once there are some).
void append_folded(const Registry& registry, Format format, std::string& out) {
  const bool any = std::ranges::any_of(registry.families(),
                                       [](const auto& family) { return family->folded() > 0; });
  if (!any) {
    return;
  }
  const FamilySpec folded{.name = "nexus_metrics_label_values_folded",
                          .help =
                              "Label values recorded as \"other\": past a label's cap, or "
                              "not one of its values.",
                          .labels = {{.name = "family"}}};
  append_metadata(folded, format, out);
  for (const auto& family : registry.families()) {
    if (family->folded() > 0) {
      append_series_name(folded.name, "_total", folded, {family->spec().name}, {}, out);
      append_uint(family->folded(), out);
      out += '\n';
    }
  }
}

}  // namespace

Format negotiate(std::string_view accept) {
  size_t at = 0;
  while (at < accept.size()) {
    const size_t comma = std::min(accept.find(',', at), accept.size());
    std::string_view item = accept.substr(at, comma - at);
    at = comma + 1;
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    constexpr std::string_view kType = "application/openmetrics-text";
    if (item.size() < kType.size() ||
        !std::ranges::equal(item.substr(0, kType.size()), kType, [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      continue;
    }
    const size_t q = item.find("q=");
    if (q != std::string_view::npos) {
      const std::string_view weight = item.substr(q + 2);
      double value = 1;
      std::from_chars(weight.data(), weight.data() + weight.size(), value);
      if (value <= 0) {
        continue;  // q=0: explicitly not acceptable
      }
    }
    return Format::kOpenMetrics;
  }
  return Format::kPrometheus;
}

std::string_view content_type(Format format) {
  return format == Format::kOpenMetrics ? kOpenMetricsContentType : kPrometheusContentType;
}

void append_escaped(std::string_view value, std::string& out) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void render(const Registry& registry, Format format, std::string& out) {
  for (const auto& family : registry.families()) {
    append_family(registry, *family, format, out);
  }
  for (const Registry::Callback& callback : registry.callbacks()) {
    append_metadata(callback.spec, format, out);
    if (callback.read_samples) {
      for (const Sample& sample : callback.read_samples()) {
        append_series_name(callback.spec.name, "", callback.spec, sample.values, {}, out);
        append_double(sample.value, out);
        out += '\n';
      }
      continue;
    }
    out += callback.spec.name;
    if (callback.spec.type == Type::kCounter) {
      out += "_total";
    }
    out += ' ';
    append_double(callback.read(), out);
    out += '\n';
  }
  append_folded(registry, format, out);
  if (format == Format::kOpenMetrics) {
    out += "# EOF\n";
  }
}

}  // namespace nexus::obs::metrics

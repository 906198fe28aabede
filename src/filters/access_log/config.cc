#include "filters/access_log/config.h"

#include <algorithm>

#include "filters/access_log/access_log_filter.h"
#include "http/http1/syntax.h"

namespace nexus::filters {

const std::vector<std::string> kAccessLogFields = {"time",
                                                   "method",
                                                   "path",
                                                   "status",
                                                   "bytes_received",
                                                   "bytes_sent",
                                                   "duration_ms",
                                                   "upstream",
                                                   "upstream_duration_ms",
                                                   "client",
                                                   "error",
                                                   "request_id",
                                                   "route",
                                                   "identity",
                                                   "host",
                                                   "user_agent",
                                                   "model",
                                                   "provider",
                                                   "variant",
                                                   "attempts",
                                                   "input_tokens",
                                                   "output_tokens",
                                                   "cache_read_tokens",
                                                   "cache_write_tokens",
                                                   "reasoning_tokens"};

namespace {

// Lower-cases a log field name (`header` false: one of kAccessLogFields) or a header name.
auto name_check(const Reader& r, bool header) {
  return [&r, header](const Field& item, std::string& name) -> Result<void> {
    std::string lower = name;
    std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!header && std::ranges::find(kAccessLogFields, lower) == kAccessLogFields.end()) {
      std::string known;
      for (const auto& field_name : kAccessLogFields) {
        known += (known.empty() ? "" : ", ") + field_name;
      }
      return r.error(item, "unknown field '" + name + "' (expected one of " + known + ")");
    }
    if (header && !http1::syntax::is_token(lower)) {
      return r.error(item, "expected a header name, got '" + name + "'");
    }
    name = std::move(lower);
    return {};
  };
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_access_log_filter(const Reader& r,
                                                                       const Field& field) {
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"path", "fields", "headers", "redact", "flush_interval"}));
  AccessLogConfig config;
  NEXUS_CONFIG_TRY(r.read(field, "path", config.path));
  if (config.path.empty()) {
    return r.error(r.child(field, "path"), "expected stdout, stderr or a file path");
  }
  if (config.path != "stdout" && config.path != "stderr") {
    config.path = r.resolve_path(config.path);
  }
  NEXUS_CONFIG_TRY(r.read(field, "flush_interval", config.flush_interval));
  if (config.flush_interval.count() <= 0 || config.flush_interval > std::chrono::minutes(1)) {
    return r.error(r.child(field, "flush_interval"), "expected a duration from 1ms to 1m");
  }
  config.fields = kAccessLogFields;
  if (Field fields = r.child(field, "fields"); fields.present) {
    auto names = r.strings(fields, /*non_empty=*/false, name_check(r, /*header=*/false));
    if (!names) {
      return std::unexpected(std::move(names.error()));
    }
    config.fields = std::move(*names);
  }
  for (auto [key, out] : {std::pair{"headers", &config.headers}, {"redact", &config.redact}}) {
    auto names =
        r.strings(r.child(field, key), /*non_empty=*/false, name_check(r, /*header=*/true));
    if (!names) {
      return std::unexpected(std::move(names.error()));
    }
    *out = std::move(*names);
  }
  return std::make_shared<AccessLogFactory>(std::move(config));
}

std::shared_ptr<filter::FilterFactory> default_access_log(std::string path) {
  AccessLogConfig config;
  config.path = std::move(path);
  config.fields = kAccessLogFields;
  return std::make_shared<AccessLogFactory>(std::move(config));
}

}  // namespace nexus::filters

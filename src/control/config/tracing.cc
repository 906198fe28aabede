// `observability.tracing`: OpenTelemetry traces over OTLP/HTTP JSON (docs/observability.md).
#include <algorithm>
#include <cctype>

#include "control/config/sections.h"
#include "obs/tracing/collector_url.h"

namespace nexus::control::config_internal {
namespace {

// RFC 9110 token characters: a header name the exporter can send as it is.
bool is_token(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

}  // namespace

Result<void> parse_header_map(const Reader& r, const Field& field,
                              std::vector<std::pair<std::string, std::string>>& out) {
  auto entries = r.entries(field);
  if (!entries) {
    return std::unexpected(std::move(entries.error()));
  }
  for (const auto& [name, value] : *entries) {
    if (!is_token(name)) {
      return r.error(value, "expected a header name (letters, digits and !#$%&'*+-.^_`|~)");
    }
    auto text = r.string(value);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    if (text->find_first_of("\r\n") != std::string::npos) {
      return r.error(value, "a header value must not contain line breaks");
    }
    out.emplace_back(name, std::move(*text));
  }
  return {};
}

Result<void> parse_tracing(const Reader& r, const Field& field, config::Tracing& out) {
  if (!field.present) {
    return {};
  }
  out.enabled = true;
  if (field.node.IsNull()) {
    return {};  // `tracing:` alone: every default
  }
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"enabled", "endpoint", "sampling_ratio", "service_name", "max_queue_spans",
              "batch_size", "flush_interval", "export_timeout", "max_retries", "headers"}));
  NEXUS_CONFIG_TRY(r.read(field, "enabled", out.enabled));
  NEXUS_CONFIG_TRY(r.read(field, "endpoint", out.endpoint));
  if (auto url = obs::tracing::parse_collector_url(out.endpoint); !url) {
    return r.error(r.child(field, "endpoint"), url.error().message());
  }
  NEXUS_CONFIG_TRY(r.read_number(field, "sampling_ratio", out.sampling_ratio, 0.0, 1.0));
  NEXUS_CONFIG_TRY(r.read(field, "service_name", out.service_name));
  if (out.service_name.empty()) {
    return r.error(r.child(field, "service_name"), "expected a non-empty name");
  }
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_queue_spans", out.max_queue_spans, 1, 1'000'000));
  NEXUS_CONFIG_TRY(r.read_integer(field, "batch_size", out.batch_size, 1, 100'000));
  if (out.batch_size > out.max_queue_spans) {
    return r.error(r.child(field, "batch_size"),
                   "must not exceed max_queue_spans (" + std::to_string(out.max_queue_spans) + ")");
  }
  NEXUS_CONFIG_TRY(r.read(field, "flush_interval", out.flush_interval));
  if (out.flush_interval.count() == 0) {
    return r.error(r.child(field, "flush_interval"), "must be greater than 0");
  }
  NEXUS_CONFIG_TRY(r.read(field, "export_timeout", out.export_timeout));
  if (out.export_timeout.count() == 0) {
    return r.error(r.child(field, "export_timeout"), "must be greater than 0");
  }
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_retries", out.max_retries, 0, 10));
  return parse_header_map(r, r.child(field, "headers"), out.headers);
}

}  // namespace nexus::control::config_internal

#include "filters/headers/config.h"

#include <algorithm>
#include <array>

#include "filters/headers/headers_filter.h"
#include "http/http1/message.h"
#include "http/http1/syntax.h"

namespace nexus::filters {
namespace {

// Framing and hop-by-hop fields: the proxy writes these itself, a filter must not touch them.
constexpr std::array<std::string_view, 9> kReserved = {
    "connection", "content-length",    "host",   "keep-alive", "proxy-connection", "te",
    "trailer",    "transfer-encoding", "upgrade"};

Result<void> check_header_name(const Reader& r, const Field& at, const std::string& name) {
  if (!http1::syntax::is_token(name)) {
    return r.error(at, "expected a header name, got '" + name + "'");
  }
  if (std::ranges::any_of(
          kReserved, [&](std::string_view reserved) { return http1::iequals(reserved, name); })) {
    return r.error(at, "'" + name + "' is a framing or hop-by-hop header; the proxy manages it");
  }
  return {};
}

Result<void> read_values(const Reader& r, const Field& field,
                         std::vector<std::pair<std::string, ValueTemplate>>& out) {
  auto entries = r.entries(field);
  if (!entries) {
    return std::unexpected(std::move(entries.error()));
  }
  for (const auto& [name, value] : *entries) {
    NEXUS_CONFIG_TRY(check_header_name(r, value, name));
    auto text = r.string(value);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    auto parsed = ValueTemplate::parse(*text);
    if (!parsed) {
      return r.error(value, parsed.error());
    }
    out.emplace_back(name, std::move(*parsed));
  }
  return {};
}

Result<HeaderOps> read_ops(const Reader& r, const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"remove", "set", "add"}));
  HeaderOps ops;
  const auto header_name = [&r](const Field& item, const std::string& name) {
    return check_header_name(r, item, name);
  };
  auto remove = r.strings(r.child(field, "remove"), /*non_empty=*/false, header_name);
  if (!remove) {
    return std::unexpected(std::move(remove.error()));
  }
  ops.remove = std::move(*remove);
  NEXUS_CONFIG_TRY(read_values(r, r.child(field, "set"), ops.set));
  NEXUS_CONFIG_TRY(read_values(r, r.child(field, "add"), ops.add));
  return ops;
}

// The request headers that response templates read, each once.
std::vector<std::string> captured_names(const HeaderOps& response) {
  std::vector<std::string> names;
  for (const auto* list : {&response.set, &response.add}) {
    for (const auto& [name, value] : *list) {
      for (const ValueTemplate::Part& part : value.parts()) {
        if (part.attribute == Attribute::kHeader &&
            std::ranges::find(names, part.text) == names.end()) {
          names.push_back(part.text);
        }
      }
    }
  }
  return names;
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_headers_filter(const Reader& r,
                                                                    const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"request", "response"}));
  HeadersConfig config;
  auto request = read_ops(r, r.child(field, "request"));
  if (!request) {
    return std::unexpected(std::move(request.error()));
  }
  auto response = read_ops(r, r.child(field, "response"));
  if (!response) {
    return std::unexpected(std::move(response.error()));
  }
  config.request = std::move(*request);
  config.response = std::move(*response);
  if (config.request.empty() && config.response.empty()) {
    return r.error(field, "expected request or response operations (remove, set, add)");
  }
  config.captured = captured_names(config.response);
  return std::make_shared<HeadersFactory>(std::move(config));
}

}  // namespace nexus::filters

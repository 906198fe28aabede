// libFuzzer target: what an admin API client sends that Nexus parses itself. The bytes up to
// the first newline are a request target (routed under every method, its query read), the rest
// a JSON body read as a key's or a scope's fields. Nothing may crash, and:
//  - a routed path has as many parameters as its pattern, none empty;
//  - a parsed time is written back and read again to the same instant;
//  - a body's amounts and counts read back inside their bounds.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/admin/admin_request.h"
#include "control/admin/json_io.h"
#include "control/admin/time_text.h"

namespace {

using nexus::control::admin::AdminRequest;
using nexus::control::admin::FieldReader;
using nexus::control::admin::RouteMatch;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

void check_target(std::string_view target) {
  AdminRequest request;
  if (!nexus::control::admin::parse_target(target, request)) {
    return;
  }
  for (const std::string_view method : {"GET", "POST", "PATCH", "DELETE", "PUT"}) {
    const RouteMatch match = nexus::control::admin::match_route(method, request.path);
    if (match.kind != RouteMatch::Kind::kFound) {
      continue;
    }
    const auto braces = std::ranges::count(match.route->pattern, '{');
    require(static_cast<std::ptrdiff_t>(match.params.size()) == braces);
    for (const std::string& param : match.params) {
      require(!param.empty() && param.find('/') == std::string::npos);
    }
  }
  for (const auto& [name, value] : request.query) {
    if (const auto time = nexus::control::admin::parse_time(value)) {
      require(nexus::control::admin::parse_time(nexus::control::admin::format_time(*time)) == time);
    }
    (void)nexus::control::admin::parse_duration_seconds(value);
  }
  (void)nexus::control::admin::bearer_credential(target);
}

void check_body(std::string_view body) {
  auto object = nexus::control::admin::parse_object(body);
  if (!object) {
    require(object.error().status == 400);
    return;
  }
  const FieldReader fields(*object, "");
  nexus::governance::Controls controls;
  if (nexus::control::admin::read_controls(fields, controls)) {
    if (controls.budget) {
      require(controls.budget->hard >= 0 && controls.budget->soft >= 0);
    }
  }
  if (auto expires = fields.time("expires_at"); expires && *expires && **expires != 0) {
    (void)nexus::control::admin::format_time(**expires);
  }
  (void)fields.strings("allowed_models");
  (void)fields.count("grace_period", 1000);
  (void)nexus::control::admin::to_text(boost::json::value(*object));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  check_target(input.substr(0, newline));
  if (newline != std::string_view::npos) {
    check_body(input.substr(newline + 1));
  }
  return 0;
}

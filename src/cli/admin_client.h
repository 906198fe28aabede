// The CLI's HTTP client for the admin API: one blocking request (http:// or https://) on a
// private io_context, bounded by one deadline, as src/filters/auth/http_fetch.cc does.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::cli {

struct AdminReply {
  int status = 0;
  std::string body;
};

struct AdminCall {
  std::string base_url;  // "http://127.0.0.1:8081"; the API's path is appended
  std::string key;       // sent as Authorization: Bearer
  std::chrono::milliseconds timeout{10000};
};

// `method` `target` ("/admin/v1/keys?limit=10") with a JSON `body` (empty: none). Any status
// is a reply; an error is a failure to talk to the server at all.
Result<AdminReply> call_admin(const AdminCall& call, std::string_view method,
                              const std::string& target, const std::string& body);

}  // namespace nexus::cli

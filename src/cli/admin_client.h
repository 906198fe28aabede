// The CLI's HTTP client for the admin API: one blocking request (http:// or https://) through
// the one blocking HTTP client (src/net/blocking_http.h), bounded by one deadline.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "net/blocking_http.h"
#include "nexus/core/result.h"

namespace nexus::cli {

using AdminReply = net::BlockingResponse;

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

// The active health check of an LLM deployment (docs/routing.md, "Health checks"): the
// cheapest call its provider answers without spending tokens, its list of models. A 2xx says
// the provider is reachable and takes Nexus's key; a 401/403 that the key is wrong.
#pragma once

#include <string>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::llm {

// The whole HTTP/1.1 request (a GET, no body; Connection: close) that checks a deployment of
// `provider`: the path of its model list under the base URL, Host, the authentication its
// requests carry and its extra headers. An error for provider types without a free check
// (echo, bedrock, vertex) or with a fetched OAuth token, which the config refuses already.
Result<std::string> health_check_request(const config::Provider& provider);

}  // namespace nexus::llm

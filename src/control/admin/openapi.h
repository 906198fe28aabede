// The admin API's description (OpenAPI 3.1, JSON).
#pragma once

#include <string_view>

namespace nexus::control::admin {

std::string_view openapi_document();

}  // namespace nexus::control::admin

// request_id: gives every request an id (the client's, if sane and trusted, or a new UUIDv7),
// passes it upstream and back to the client, and stores it in the kRequestId slot (README.md).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "filters/registry.h"

namespace nexus::filters {

struct RequestIdConfig {
  std::string header = "x-request-id";  // lower case
  bool trust_incoming = true;           // keep a sane id the client sent
  bool response = true;                 // add the id to the response headers
};

// An incoming id longer than this, or with anything but visible ASCII, is replaced.
inline constexpr size_t kMaxRequestIdLength = 128;

Result<std::shared_ptr<filter::FilterFactory>> parse_request_id_filter(const Reader& reader,
                                                                       const Field& config);

}  // namespace nexus::filters

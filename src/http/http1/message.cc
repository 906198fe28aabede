#include "http/http1/message.h"

namespace nexus::http1 {

void RequestHead::clear() {
  method = {};
  target = {};
  path = {};
  host = {};
  minor_version = 1;
  headers.clear();  // keeps the capacity: no allocation for the next request on this connection
  framing = BodyFraming::kNone;
  content_length = 0;
  keep_alive = true;
  expect_continue = false;
}

void ResponseHead::clear() {
  status = 0;
  reason = {};
  minor_version = 1;
  headers.clear();
  framing = BodyFraming::kNone;
  content_length = 0;
  keep_alive = true;
}

const Header* find_header(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) {
      return &h;
    }
  }
  return nullptr;
}

}  // namespace nexus::http1

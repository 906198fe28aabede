// The memory one request/response exchange needs (receive buffer, parsed heads, output head).
// A connection borrows one from its worker while it has a request to serve and returns it when
// it goes idle, so ten thousand idle keep-alive connections hold no buffers at all.
#pragma once

#include <string>

#include "http/http1/message.h"
#include "http/http1/parser.h"
#include "net/byte_buffer.h"

namespace nexus::server {

struct ExchangeState {
  net::ByteBuffer in;  // bytes received from the client
  http1::RequestHead request;
  http1::ResponseHead response;  // views into the upstream connection's buffer
  std::string head_out;          // serialised head being sent
  std::string log_method;        // copies kept for the access log after the buffer moves on
  std::string log_target;
};

}  // namespace nexus::server

// The memory one request/response exchange needs (receive buffer, parsed heads, output head).
// A connection borrows one from its worker while it has a request to serve and returns it when
// it goes idle, so ten thousand idle keep-alive connections hold no buffers at all.
#pragma once

#include <string>
#include <vector>

#include "http/http1/message.h"
#include "http/http1/parser.h"
#include "http/http2/server_stream.h"
#include "net/byte_buffer.h"

namespace nexus::server {

struct ExchangeState {
  net::ByteBuffer in;  // bytes received from the client
  http1::RequestHead request;
  http1::ResponseHead response;  // views into the upstream connection's buffer
  std::string head_out;          // serialised head being sent
  std::string fields_storage;    // HTTP/2 fields being sent (views into fields_storage): the
                                 // request to an HTTP/2 upstream, the response to an HTTP/2 client
  std::vector<http2::Field> fields;
  std::string log_method;  // copies kept for the access log after the buffer moves on
  std::string log_target;
};

}  // namespace nexus::server

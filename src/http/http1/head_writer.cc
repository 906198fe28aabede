#include "http/http1/head_writer.h"

#include <charconv>

#include "http/http1/connection_tokens.h"
#include "nexus/core/result.h"

namespace nexus::http1 {
namespace {

constexpr std::string_view kVia = "1.1 nexus";

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void append_number(std::string& out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// The framing Nexus chose for the body it sends (never the peer's framing bytes).
void append_framing(std::string& out, BodyFraming framing, uint64_t content_length) {
  if (framing == BodyFraming::kContentLength) {
    out.append("Content-Length: ");
    append_number(out, content_length);
    out.append("\r\n");
  } else if (framing == BodyFraming::kChunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
}

// Appends a field that may occur several times (Via, X-Forwarded-For) as one line: the received
// values, comma-joined, followed by our own.
void append_joined(std::string& out, const std::vector<Header>& headers, std::string_view name,
                   std::string_view ours) {
  out.append(name);
  out.append(": ");
  for (const auto& header : headers) {
    if (iequals(header.name, name) && !header.value.empty()) {
      out.append(header.value);
      out.append(", ");
    }
  }
  out.append(ours);
  out.append("\r\n");
}

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return iequals(name, "te");
    case 7:
      return iequals(name, "upgrade") || iequals(name, "trailer");
    case 10:
      return iequals(name, "connection") || iequals(name, "keep-alive");
    case 14:
      return iequals(name, "content-length");
    case 16:
      return iequals(name, "proxy-connection");
    case 17:
      return iequals(name, "transfer-encoding");
    case 18:
      return iequals(name, "proxy-authenticate");
    case 19:
      return iequals(name, "proxy-authorization");
    default:
      return false;
  }
}

bool is_forwardable_trailer(std::string_view name) {
  return !is_hop_by_hop(name) && !iequals(name, "host") && !iequals(name, "content-type") &&
         !iequals(name, "content-encoding") && !iequals(name, "content-range") &&
         !iequals(name, "authorization") && !iequals(name, "set-cookie");
}

void write_last_chunk(std::span<const Header> trailers, std::string& out) {
  out.append("0\r\n");
  for (const Header& trailer : trailers) {
    if (is_forwardable_trailer(trailer.name)) {
      append_field(out, trailer.name, trailer.value);
    }
  }
  out.append("\r\n");
}

bool is_trace_context(std::string_view name) {
  return iequals(name, "traceparent") || iequals(name, "tracestate");
}

void write_upstream_request_head(const RequestHead& request, const UpstreamRequestInfo& info,
                                 std::string& out) {
  const ConnectionTokens connection(request.headers);
  out.append(request.method);
  out.push_back(' ');
  out.append(info.target);
  out.append(" HTTP/1.1\r\n");
  append_field(out, "Host", info.host);
  for (const auto& header : request.headers) {
    const std::string_view name = header.name;
    if (is_hop_by_hop(name) || connection.names(name) || iequals(name, "host") ||
        iequals(name, "expect") || iequals(name, "x-forwarded-for") ||
        iequals(name, "x-forwarded-proto") || iequals(name, "via") ||
        (!info.traceparent.empty() && is_trace_context(name))) {
      continue;
    }
    append_field(out, name, header.value);
  }
  if (!info.traceparent.empty()) {
    append_field(out, "traceparent", info.traceparent);
    if (!info.tracestate.empty()) {
      append_field(out, "tracestate", info.tracestate);
    }
  }
  append_joined(out, request.headers, "X-Forwarded-For", info.client_ip);
  append_field(out, "X-Forwarded-Proto", info.client_tls ? "https" : "http");
  append_joined(out, request.headers, "Via", kVia);
  append_framing(out, info.framing, info.content_length);
  out.append("\r\n");
}

void write_client_response_head(const ResponseHead& response, const ClientResponseInfo& info,
                                std::string& out) {
  const ConnectionTokens connection(response.headers);
  const bool keeps_length =
      info.framing == BodyFraming::kNone && response.status >= 200 && response.status != 204;
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(response.status));
  out.push_back(' ');
  out.append(response.reason.empty() ? reason_phrase(response.status) : response.reason);
  out.append("\r\n");
  for (const auto& header : response.headers) {
    const std::string_view name = header.name;
    if (keeps_length && iequals(name, "content-length")) {
      append_field(out, name, header.value);
      continue;
    }
    if (is_hop_by_hop(name) || connection.names(name) || iequals(name, "via")) {
      continue;
    }
    append_field(out, name, header.value);
  }
  append_joined(out, response.headers, "Via", kVia);
  append_framing(out, info.framing, info.content_length);
  if (!info.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (info.client_http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void write_local_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, bool head_request, std::string& out,
                          std::span<const Header> extra) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\nServer: nexus\r\n");
  if (!content_type.empty()) {
    append_field(out, "Content-Type", content_type);
  }
  for (const Header& field : extra) {
    if (!is_hop_by_hop(field.name) && !iequals(field.name, "content-type")) {
      append_field(out, field.name, field.value);
    }
  }
  // 1xx, 204 and 304 have no body and no Content-Length (RFC 9110 §8.6): a CORS preflight's 204.
  const bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless) {
    out.append("Content-Length: ");
    append_number(out, body.size());
    out.append("\r\n");
  }
  out.append(keep_alive ? "\r\n" : "Connection: close\r\n\r\n");
  if (!head_request && !bodiless) {
    out.append(body);
  }
}

size_t format_chunk_size_line(uint64_t size, char* buf) {
  auto [end, ec] = std::to_chars(buf, buf + 16, size, 16);
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<size_t>(end + 2 - buf);
}

}  // namespace nexus::http1

// RequestHeadParser: the strict request-head parser (rules in docs/http1.md).
#include <cstring>

#include "http/http1/parser.h"
#include "http/http1/syntax.h"

namespace nexus::http1 {
namespace {

using syntax::FieldLine;
using syntax::ScanResult;

enum class MethodClass { kAllowed, kRefused, kUnknown };

MethodClass classify_method(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET" || m == "PUT") {
        return MethodClass::kAllowed;
      }
      break;
    case 4:
      if (m == "HEAD" || m == "POST") {
        return MethodClass::kAllowed;
      }
      break;
    case 5:
      if (m == "PATCH") {
        return MethodClass::kAllowed;
      }
      if (m == "TRACE") {
        return MethodClass::kRefused;
      }
      break;
    case 6:
      if (m == "DELETE") {
        return MethodClass::kAllowed;
      }
      break;
    case 7:
      if (m == "OPTIONS") {
        return MethodClass::kAllowed;
      }
      if (m == "CONNECT") {
        return MethodClass::kRefused;
      }
      break;
    default:
      break;
  }
  return MethodClass::kUnknown;
}

// method SP request-target SP HTTP-version. Syntax errors first (400), then the version
// (505 for HTTP/2+), then the method (405/501), then the target form (400).
Result<void> parse_request_line(std::string_view line, RequestHead& out) {
  const size_t n = line.size();
  size_t i = 0;
  while (i < n && syntax::is(line[i], syntax::kTokenChar)) {
    ++i;
  }
  if (i == 0 || i == n || line[i] != ' ') {
    return fail(ErrorCode::kBadRequest, "malformed request line");
  }
  out.method = line.substr(0, i);
  const size_t target_start = i + 1;
  const auto* sp =
      static_cast<const char*>(std::memchr(line.data() + target_start, ' ', n - target_start));
  if (sp == nullptr) {
    return fail(ErrorCode::kBadRequest, "request line without HTTP version");
  }
  const auto target_end = static_cast<size_t>(sp - line.data());
  if (target_end == target_start) {
    return fail(ErrorCode::kBadRequest, "malformed request line");
  }
  const std::string_view version = line.substr(target_end + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
      !syntax::is(version[5], syntax::kDigitChar) || version[6] != '.' ||
      !syntax::is(version[7], syntax::kDigitChar)) {
    return fail(ErrorCode::kBadRequest, "malformed HTTP version");
  }
  const int major = version[5] - '0';
  if (major >= 2) {
    return fail(ErrorCode::kVersionNotSupported, "HTTP/2 or later in an HTTP/1 request line");
  }
  if (major == 0) {
    return fail(ErrorCode::kBadRequest, "HTTP/0.x is not supported");
  }
  out.minor_version = version[7] == '0' ? 0 : 1;

  switch (classify_method(out.method)) {
    case MethodClass::kAllowed:
      break;
    case MethodClass::kRefused:
      return fail(ErrorCode::kMethodNotAllowed, "method not allowed");
    case MethodClass::kUnknown:
      return fail(ErrorCode::kNotImplemented, "method is not supported");
  }

  const std::string_view target = line.substr(target_start, target_end - target_start);
  for (char c : target) {
    if (!syntax::is(c, syntax::kTargetChar)) {
      return fail(ErrorCode::kBadRequest, "invalid byte in request target");
    }
  }
  if (target[0] == '/') {
    out.path = target.substr(0, target.find('?'));
  } else if (target == "*" && out.method == "OPTIONS") {
    out.path = target;
  } else {
    return fail(ErrorCode::kBadRequest, "request target is not in origin form");
  }
  out.target = target;
  return {};
}

struct FramingFields {
  bool host_seen = false;
  bool cl_seen = false;
  bool te_seen = false;
  uint64_t content_length = 0;
  std::string_view te_value;
  syntax::ConnectionTokens connection;
};

// Applies the fields that decide framing, routing and connection handling. Names are compared by
// length first so the common headers cost one switch.
Result<void> apply_field(const FieldLine& f, RequestHead& out, FramingFields& ff) {
  switch (f.name.size()) {
    case 4:
      if (iequals(f.name, "host")) {
        if (ff.host_seen) {
          return fail(ErrorCode::kBadRequest, "more than one Host field");
        }
        if (!syntax::valid_host(f.value)) {
          return fail(ErrorCode::kBadRequest, "invalid Host");
        }
        ff.host_seen = true;
        out.host = f.value;
      }
      break;
    case 6:
      if (iequals(f.name, "expect") && iequals(f.value, "100-continue")) {
        out.expect_continue = true;
      }
      break;
    case 10:
      if (iequals(f.name, "connection")) {
        syntax::scan_connection(f.value, ff.connection);
      }
      break;
    case 14:
      if (iequals(f.name, "content-length")) {
        if (ff.cl_seen) {
          return fail(ErrorCode::kBadRequest, "more than one Content-Length field");
        }
        if (!syntax::parse_content_length(f.value, ff.content_length)) {
          return fail(ErrorCode::kBadRequest, "invalid Content-Length");
        }
        ff.cl_seen = true;
      }
      break;
    case 17:
      if (iequals(f.name, "transfer-encoding")) {
        if (ff.te_seen) {
          return fail(ErrorCode::kBadRequest, "more than one Transfer-Encoding field");
        }
        ff.te_seen = true;
        ff.te_value = f.value;
      }
      break;
    default:
      break;
  }
  return {};
}

// Parses a complete head: data[start, size) holds the request line, the field lines and the final
// empty line, every line ending in CRLF (the scanner checked that).
Result<void> parse_head(std::string_view data, size_t start, const ParserLimits& limits,
                        RequestHead& out) {
  out.clear();
  const char* p = data.data();
  size_t pos = start;
  auto next_line = [&](std::string_view& line) {
    const auto* lf = static_cast<const char*>(std::memchr(p + pos, '\n', data.size() - pos));
    const auto end = static_cast<size_t>(lf - p);
    line = data.substr(pos, end - 1 - pos);
    pos = end + 1;
  };
  std::string_view line;
  next_line(line);
  if (auto r = parse_request_line(line, out); !r) {
    return r;
  }
  FramingFields ff;
  for (next_line(line); !line.empty(); next_line(line)) {
    FieldLine f;
    if (!syntax::parse_field_line(line, f)) {
      return fail(ErrorCode::kBadRequest, "malformed header field line");
    }
    if (f.has_underscore) {
      continue;  // dropped: some backends read '_' as '-', which would let it shadow a real field
    }
    out.headers.push_back(Header{f.name, f.value});
    if (auto r = apply_field(f, out, ff); !r) {
      return r;
    }
  }

  const bool http11 = out.minor_version == 1;
  if (http11 && !ff.host_seen) {
    return fail(ErrorCode::kBadRequest, "missing Host");
  }
  if (ff.cl_seen && ff.te_seen) {
    return fail(ErrorCode::kBadRequest, "both Content-Length and Transfer-Encoding");
  }
  if (ff.te_seen) {
    if (!http11) {
      return fail(ErrorCode::kBadRequest, "Transfer-Encoding in an HTTP/1.0 request");
    }
    switch (syntax::classify_transfer_encoding(ff.te_value)) {
      case syntax::TransferCoding::kChunked:
        out.framing = BodyFraming::kChunked;
        break;
      case syntax::TransferCoding::kOtherToken:
        return fail(ErrorCode::kNotImplemented, "unsupported transfer coding");
      case syntax::TransferCoding::kInvalid:
        return fail(ErrorCode::kBadRequest, "invalid Transfer-Encoding");
    }
  } else if (ff.cl_seen) {
    if (limits.max_body_bytes != 0 && ff.content_length > limits.max_body_bytes) {
      return fail(ErrorCode::kPayloadTooLarge, "Content-Length over the body limit");
    }
    out.framing = BodyFraming::kContentLength;
    out.content_length = ff.content_length;
  }
  out.keep_alive = !ff.connection.close && (http11 || ff.connection.keep_alive);
  // RFC 9110 s10.1.1: a server MUST ignore 100-continue from an HTTP/1.0 client.
  out.expect_continue = out.expect_continue && http11;
  return {};
}

}  // namespace

Result<size_t> RequestHeadParser::parse(std::string_view data, RequestHead& out) {
  size_t head_size = 0;
  const ScanResult r =
      syntax::scan_head(data, limits_, /*allow_leading_crlf=*/true, scan_, head_size);
  if (r == ScanResult::kNeedMore) {
    return 0;
  }
  // Complete or failed: the next call starts from scratch (a repeated call re-parses the same
  // head instead of scanning past it).
  const size_t start = scan_.start;
  scan_ = {};
  if (r != ScanResult::kComplete) {
    return std::unexpected(syntax::scan_error(r, /*request=*/true));
  }
  if (auto ok = parse_head(data.substr(0, head_size), start, limits_, out); !ok) {
    return std::unexpected(std::move(ok.error()));
  }
  return head_size;
}

}  // namespace nexus::http1

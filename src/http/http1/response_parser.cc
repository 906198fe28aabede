// ResponseHeadParser: the strict upstream response-head parser (rules in docs/http1.md). Every
// error is kUpstreamProtocolError: an ambiguous response is never forwarded.
#include <cstring>

#include "http/http1/parser.h"
#include "http/http1/syntax.h"

namespace nexus::http1 {
namespace {

using syntax::FieldLine;
using syntax::ScanResult;

Result<void> protocol_error(const char* what) {
  return fail(ErrorCode::kUpstreamProtocolError, what);
}

// HTTP-version SP 3DIGIT SP [ reason-phrase ]. A missing SP after the code (when there is no
// reason) is tolerated: it is unambiguous and common.
Result<void> parse_status_line(std::string_view line, ResponseHead& out) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." ||
      !syntax::is(line[7], syntax::kDigitChar) || line[8] != ' ' ||
      !syntax::is(line[9], syntax::kDigitChar) || !syntax::is(line[10], syntax::kDigitChar) ||
      !syntax::is(line[11], syntax::kDigitChar)) {
    return protocol_error("malformed status line");
  }
  out.minor_version = line[7] == '0' ? 0 : 1;
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (out.status < 100 || out.status > 599) {
    return protocol_error("status code out of range");
  }
  if (line.size() > 12) {
    if (line[12] != ' ') {
      return protocol_error("malformed status line");
    }
    out.reason = line.substr(13);
    for (char c : out.reason) {
      if (!syntax::is(c, syntax::kValueChar)) {
        return protocol_error("control character in reason phrase");
      }
    }
  }
  return {};
}

Result<void> parse_head(std::string_view data, std::string_view request_method, ResponseHead& out) {
  out.clear();
  const char* p = data.data();
  size_t pos = 0;
  auto next_line = [&](std::string_view& line) {
    const auto* lf = static_cast<const char*>(std::memchr(p + pos, '\n', data.size() - pos));
    const auto end = static_cast<size_t>(lf - p);
    line = data.substr(pos, end - 1 - pos);
    pos = end + 1;
  };
  std::string_view line;
  next_line(line);
  if (auto r = parse_status_line(line, out); !r) {
    return r;
  }
  bool cl_seen = false;
  bool te_seen = false;
  uint64_t content_length = 0;
  std::string_view te_value;
  syntax::ConnectionTokens connection;
  for (next_line(line); !line.empty(); next_line(line)) {
    FieldLine f;
    if (!syntax::parse_field_line(line, f)) {
      return protocol_error("malformed header field line");
    }
    out.headers.push_back(Header{f.name, f.value});
    switch (f.name.size()) {
      case 10:
        if (iequals(f.name, "connection")) {
          syntax::scan_connection(f.value, connection);
        }
        break;
      case 14:
        if (iequals(f.name, "content-length")) {
          if (cl_seen) {
            return protocol_error("more than one Content-Length field");
          }
          if (!syntax::parse_content_length(f.value, content_length)) {
            return protocol_error("invalid Content-Length");
          }
          cl_seen = true;
        }
        break;
      case 17:
        if (iequals(f.name, "transfer-encoding")) {
          if (te_seen) {
            return protocol_error("more than one Transfer-Encoding field");
          }
          te_seen = true;
          te_value = f.value;
        }
        break;
      default:
        break;
    }
  }
  const bool http11 = out.minor_version == 1;
  if (cl_seen && te_seen) {
    return protocol_error("both Content-Length and Transfer-Encoding");
  }
  if (te_seen) {
    if (!http11) {
      return protocol_error("Transfer-Encoding in an HTTP/1.0 response");
    }
    if (syntax::classify_transfer_encoding(te_value) != syntax::TransferCoding::kChunked) {
      return protocol_error("Transfer-Encoding other than chunked");
    }
  }
  out.keep_alive = !connection.close && (http11 || connection.keep_alive);
  const int s = out.status;
  if (request_method == "HEAD" || s < 200 || s == 204 || s == 304) {
    out.framing = BodyFraming::kNone;  // RFC 9112 s6.3 rules 1-2: no body whatever the fields say
  } else if (te_seen) {
    out.framing = BodyFraming::kChunked;
  } else if (cl_seen) {
    out.framing = BodyFraming::kContentLength;
    out.content_length = content_length;
  } else {
    out.framing = BodyFraming::kUntilClose;
    out.keep_alive = false;
  }
  return {};
}

}  // namespace

Result<size_t> ResponseHeadParser::parse(std::string_view data, std::string_view request_method,
                                         ResponseHead& out) {
  size_t head_size = 0;
  const ScanResult r =
      syntax::scan_head(data, limits_, /*allow_leading_crlf=*/false, scan_, head_size);
  if (r == ScanResult::kNeedMore) {
    return 0;
  }
  // Complete or failed: the next call starts from scratch (a repeated call re-parses the same
  // head instead of scanning past it).
  scan_ = {};
  if (r != ScanResult::kComplete) {
    return std::unexpected(syntax::scan_error(r, /*request=*/false));
  }
  if (auto ok = parse_head(data.substr(0, head_size), request_method, out); !ok) {
    return std::unexpected(std::move(ok.error()));
  }
  return head_size;
}

}  // namespace nexus::http1

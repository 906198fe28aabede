#include "http/http1/syntax.h"

#include <cstring>
#include <limits>

#include "http/http1/message.h"

namespace nexus::http1::syntax {
namespace {

constexpr uint64_t kMax63 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

const char* find_byte(const char* p, char c, size_t n) {
  return n == 0 ? nullptr : static_cast<const char*>(std::memchr(p, c, n));
}

}  // namespace

bool is_token(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!is(c, kTokenChar)) {
      return false;
    }
  }
  return true;
}

ScanResult scan_head(std::string_view data, const ParserLimits& limits, bool allow_leading_crlf,
                     HeadScan& scan, size_t& head_size) {
  const char* p = data.data();
  const size_t n = data.size();
  if (scan.scanned == 0) {
    scan = HeadScan{};
    if (n == 0) {
      return ScanResult::kNeedMore;
    }
    if (allow_leading_crlf && p[0] == '\r') {
      if (n < 2) {
        return ScanResult::kNeedMore;
      }
      if (p[1] != '\n') {
        return ScanResult::kBareCrOrLf;
      }
      scan.start = scan.line_start = scan.scanned = 2;
    }
  }
  size_t pos = scan.scanned;
  while (pos < n) {
    const char* lf = find_byte(p + pos, '\n', n - pos);
    if (lf == nullptr) {
      // Every CR must be followed by LF; only the last byte may be a CR still waiting for its LF.
      if (find_byte(p + pos, '\r', n - pos - 1) != nullptr) {
        return ScanResult::kBareCrOrLf;
      }
      const bool pending_cr = p[n - 1] == '\r';
      const size_t line_len = n - scan.line_start - (pending_cr ? 1 : 0);
      if (!scan.start_line_done && line_len > limits.max_request_line_bytes) {
        return ScanResult::kStartLineTooLong;
      }
      if (n > limits.max_head_bytes) {
        return ScanResult::kHeadTooLarge;
      }
      // Re-examine a trailing CR next time, so a non-LF byte after it is caught as a bare CR.
      scan.scanned = pending_cr ? n - 1 : n;
      return ScanResult::kNeedMore;
    }
    const auto end = static_cast<size_t>(lf - p);  // index of the LF
    if (end == scan.line_start || p[end - 1] != '\r') {
      return ScanResult::kBareCrOrLf;
    }
    if (end - 1 > pos && find_byte(p + pos, '\r', end - 1 - pos) != nullptr) {
      return ScanResult::kBareCrOrLf;
    }
    const size_t line_len = end - 1 - scan.line_start;
    if (!scan.start_line_done) {
      if (line_len > limits.max_request_line_bytes) {
        return ScanResult::kStartLineTooLong;
      }
      if (line_len == 0) {
        return ScanResult::kEmptyStartLine;
      }
    }
    if (end + 1 > limits.max_head_bytes) {
      return ScanResult::kHeadTooLarge;
    }
    if (!scan.start_line_done) {
      scan.start_line_done = true;
    } else if (line_len == 0) {
      head_size = end + 1;
      scan.scanned = end + 1;
      return ScanResult::kComplete;
    } else if (++scan.field_lines > limits.max_header_count) {
      return ScanResult::kTooManyFields;
    }
    pos = scan.line_start = end + 1;
  }
  scan.scanned = pos;
  return ScanResult::kNeedMore;
}

bool parse_field_line(std::string_view line, FieldLine& out) {
  const size_t n = line.size();
  size_t i = 0;
  bool underscore = false;
  while (i < n && is(line[i], kTokenChar)) {
    underscore |= line[i] == '_';
    ++i;
  }
  if (i == 0 || i == n || line[i] != ':') {
    return false;
  }
  out.name = line.substr(0, i);
  out.has_underscore = underscore;
  ++i;
  while (i < n && is_ows(line[i])) {
    ++i;
  }
  const size_t value_start = i;
  for (; i < n; ++i) {
    if (!is(line[i], kValueChar)) {
      return false;
    }
  }
  size_t value_end = n;
  while (value_end > value_start && is_ows(line[value_end - 1])) {
    --value_end;
  }
  out.value = line.substr(value_start, value_end - value_start);
  return true;
}

bool parse_content_length(std::string_view value, uint64_t& out) {
  if (value.empty()) {
    return false;
  }
  uint64_t v = 0;
  for (char c : value) {
    if (!is(c, kDigitChar)) {
      return false;
    }
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (kMax63 - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  out = v;
  return true;
}

TransferCoding classify_transfer_encoding(std::string_view value) {
  if (iequals(value, "chunked")) {
    return TransferCoding::kChunked;
  }
  return is_token(value) ? TransferCoding::kOtherToken : TransferCoding::kInvalid;
}

void scan_connection(std::string_view value, ConnectionTokens& tokens) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (iequals(item, "close")) {
      tokens.close = true;
    } else if (iequals(item, "keep-alive")) {
      tokens.keep_alive = true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
}

bool valid_host(std::string_view value) {
  const size_t n = value.size();
  if (n == 0) {
    return false;
  }
  size_t i = 0;
  if (value[0] == '[') {
    const size_t close = value.find(']');
    if (close == std::string_view::npos || close < 3) {
      return false;
    }
    bool colon = false;
    for (i = 1; i < close; ++i) {
      const char c = value[i];
      colon |= c == ':';
      if (!is(c, kHexChar) && c != ':' && c != '.') {
        return false;
      }
    }
    if (!colon) {
      return false;
    }
    i = close + 1;
  } else {
    while (i < n && is(value[i], kHostChar)) {
      ++i;
    }
    if (i == 0) {
      return false;
    }
  }
  if (i == n) {
    return true;
  }
  if (value[i] != ':') {
    return false;
  }
  const size_t digits = n - i - 1;
  if (digits == 0 || digits > 5) {
    return false;
  }
  for (++i; i < n; ++i) {
    if (!is(value[i], kDigitChar)) {
      return false;
    }
  }
  return true;
}

LineResult find_line(std::string_view input, size_t pos, size_t max_line, size_t& line_end) {
  const char* p = input.data();
  const size_t avail = input.size() - pos;
  const size_t window = avail < max_line + 2 ? avail : max_line + 2;
  const char* lf = find_byte(p + pos, '\n', window);
  if (lf == nullptr) {
    if (window > 1 && find_byte(p + pos, '\r', window - 1) != nullptr) {
      return LineResult::kBareCrOrLf;
    }
    return avail >= max_line + 2 ? LineResult::kTooLong : LineResult::kNeedMore;
  }
  const auto end = static_cast<size_t>(lf - p);
  if (end == pos || p[end - 1] != '\r') {
    return LineResult::kBareCrOrLf;
  }
  if (end - 1 > pos && find_byte(p + pos, '\r', end - 1 - pos) != nullptr) {
    return LineResult::kBareCrOrLf;
  }
  line_end = end - 1;
  return LineResult::kFound;
}

bool valid_chunk_ext(std::string_view ext) {
  const size_t n = ext.size();
  size_t i = 0;
  auto skip_bws = [&] {
    while (i < n && is_ows(ext[i])) {
      ++i;
    }
  };
  auto skip_token = [&] {
    const size_t start = i;
    while (i < n && is(ext[i], kTokenChar)) {
      ++i;
    }
    return i > start;
  };
  while (i < n) {
    skip_bws();
    if (i == n || ext[i] != ';') {
      return false;
    }
    ++i;
    skip_bws();
    if (!skip_token()) {
      return false;
    }
    const size_t after_name = i;
    skip_bws();
    if (i == n || ext[i] != '=') {
      // No value. Whitespace after the name must lead to another ';' (the next iteration checks),
      // so a chunk line never ends in whitespace.
      i = after_name;
      continue;
    }
    ++i;
    skip_bws();
    if (i == n) {
      return false;
    }
    if (ext[i] != '"') {
      if (!skip_token()) {
        return false;
      }
      continue;
    }
    ++i;  // opening DQUOTE
    bool closed = false;
    while (i < n) {
      const char c = ext[i];
      if (c == '"') {
        ++i;
        closed = true;
        break;
      }
      if (c == '\\') {
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (i + 1 == n || !is(ext[i + 1], kValueChar)) {
          return false;
        }
        i += 2;
        continue;
      }
      if (!is(c, kValueChar)) {
        return false;
      }
      ++i;
    }
    if (!closed) {
      return false;
    }
  }
  return true;
}

Error scan_error(ScanResult result, bool request) {
  const ErrorCode too_long = request ? ErrorCode::kUriTooLong : ErrorCode::kUpstreamProtocolError;
  const ErrorCode too_big =
      request ? ErrorCode::kHeadersTooLarge : ErrorCode::kUpstreamProtocolError;
  const ErrorCode bad = request ? ErrorCode::kBadRequest : ErrorCode::kUpstreamProtocolError;
  const std::string head = request ? "request head" : "response head";
  const std::string start_line = request ? "request line" : "status line";
  switch (result) {
    case ScanResult::kBareCrOrLf:
      return {bad, "bare CR or LF in " + head};
    case ScanResult::kEmptyStartLine:
      return {bad, "empty " + start_line};
    case ScanResult::kStartLineTooLong:
      return {too_long, start_line + " too long"};
    case ScanResult::kHeadTooLarge:
      return {too_big, head + " too large"};
    case ScanResult::kTooManyFields:
      return {too_big, "too many header fields in " + head};
    case ScanResult::kNeedMore:
    case ScanResult::kComplete:
      break;
  }
  return {ErrorCode::kInternal, "scan_error called without an error"};
}

}  // namespace nexus::http1::syntax

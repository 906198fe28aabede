// Internal helpers shared by the HTTP/1 parsers: character tables, the incremental head scanner,
// field-line validation and the framing-field grammars (Content-Length, Transfer-Encoding, Host,
// chunk extensions). Not part of the public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/http1/message.h"
#include "nexus/core/result.h"

namespace nexus::http1::syntax {

// Character classes, one bit each, looked up in a single 256-entry table so that every hot loop
// costs one load and one test per byte.
enum CharClass : uint8_t {
  kTokenChar = 1 << 0,   // RFC 9110 tchar
  kValueChar = 1 << 1,   // field-vchar / SP / HTAB / obs-text: anything but CTLs (HTAB allowed)
  kTargetChar = 1 << 2,  // request-target bytes: visible ASCII 0x21-0x7E except '#'
  kHostChar = 1 << 3,    // reg-name: unreserved / '%' / sub-delims except ','
  kHexChar = 1 << 4,     // HEXDIG (both cases)
  kDigitChar = 1 << 5,   // DIGIT
};

inline constexpr std::array<uint8_t, 256> kCharTable = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t bits = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    const std::string_view tspecial = "!#$%&'*+-.^_`|~";
    if (alpha || digit || (c < 128 && tspecial.find(static_cast<char>(c)) != tspecial.npos)) {
      bits |= kTokenChar;
    }
    if (c == '\t' || (c >= 0x20 && c != 0x7F)) {
      bits |= kValueChar;
    }
    if (c >= 0x21 && c <= 0x7E && c != '#') {
      bits |= kTargetChar;
    }
    const std::string_view host_extra = "-._~%!$&'()*+;=";
    if (alpha || digit || (c < 128 && host_extra.find(static_cast<char>(c)) != host_extra.npos)) {
      bits |= kHostChar;
    }
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      bits |= kHexChar;
    }
    if (digit) {
      bits |= kDigitChar;
    }
    t[static_cast<size_t>(c)] = bits;
  }
  return t;
}();

inline bool is(char c, CharClass cls) {
  return (kCharTable[static_cast<unsigned char>(c)] & cls) != 0;
}

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim_ows(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && is_ows(s[b])) {
    ++b;
  }
  while (e > b && is_ows(s[e - 1])) {
    --e;
  }
  return s.substr(b, e - b);
}

bool is_token(std::string_view s);

// ---- Head scanning -------------------------------------------------------------------------

// Where an incremental scan of a message head stands. The parsers keep these fields between calls
// so that each byte is examined once, however the head is split across reads.
struct HeadScan {
  size_t scanned = 0;     // next byte to examine (0: nothing scanned yet)
  size_t start = 0;       // first byte of the start line (2 after an ignored leading CRLF)
  size_t line_start = 0;  // first byte of the line being scanned
  uint32_t field_lines = 0;
  bool start_line_done = false;
};

enum class ScanResult {
  kNeedMore,
  kComplete,
  kBareCrOrLf,        // a CR not followed by LF, or an LF not preceded by CR
  kStartLineTooLong,  // over max_request_line_bytes
  kEmptyStartLine,    // CRLF where the start line should be
  kHeadTooLarge,      // over max_head_bytes
  kTooManyFields,     // over max_header_count
};

// Scans `data` (which starts at the head's first byte) from `scan.scanned` on. Checks line endings
// and limits as bytes arrive; the content of the lines is validated once the head is complete.
// On kComplete, `head_size` is the byte count of the head including the final CRLFCRLF.
ScanResult scan_head(std::string_view data, const ParserLimits& limits, bool allow_leading_crlf,
                     HeadScan& scan, size_t& head_size);

// The error for a scan that failed (any result but kNeedMore and kComplete): the status a client
// gets for its request head, or an upstream protocol error for a response head.
Error scan_error(ScanResult result, bool request);

// ---- Field lines ----------------------------------------------------------------------------

struct FieldLine {
  std::string_view name;
  std::string_view value;  // OWS-trimmed
  bool has_underscore = false;
};

// Validates one field line (without its CRLF): token name immediately followed by ':', value of
// field-vchar / SP / HTAB / obs-text only. A leading SP/HTAB (obs-fold) fails as an empty name.
bool parse_field_line(std::string_view line, FieldLine& out);

// ---- Framing fields -------------------------------------------------------------------------

// 1*DIGIT that fits in 63 bits.
bool parse_content_length(std::string_view value, uint64_t& out);

enum class TransferCoding { kChunked, kOtherToken, kInvalid };
TransferCoding classify_transfer_encoding(std::string_view value);

struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
};
// Adds the tokens of one Connection field value (a comma-separated list) to `tokens`.
void scan_connection(std::string_view value, ConnectionTokens& tokens);

// uri-host [ ":" port ], where uri-host is a reg-name (without ','), an IPv4 address or an
// "[IPv6]" literal, and the port is 1 to 5 digits.
bool valid_host(std::string_view value);

// ---- Chunked coding -------------------------------------------------------------------------

enum class LineResult { kFound, kNeedMore, kBareCrOrLf, kTooLong };

// Looks for a CRLF-terminated line starting at input[pos] whose content is at most `max_line`
// bytes. On kFound, the line is input[pos, line_end) and the next line starts at line_end + 2.
LineResult find_line(std::string_view input, size_t pos, size_t max_line, size_t& line_end);

// chunk-ext = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )
bool valid_chunk_ext(std::string_view ext);

}  // namespace nexus::http1::syntax

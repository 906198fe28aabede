// libFuzzer target: a client byte stream through RequestHeadParser and BodyDecoder, as the
// connection loop would run them (head, body, next pipelined head). Each head is parsed in one go
// and again split at a data-derived point; both must agree. Crashes, leaks and out-of-bounds
// reads are found by the sanitizers; disagreements and out-of-input views trap.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/http1/parser.h"

namespace {

using nexus::http1::BodyDecoder;
using nexus::http1::BodyFraming;
using nexus::http1::ParserLimits;
using nexus::http1::RequestHead;
using nexus::http1::RequestHeadParser;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

bool within(std::string_view inner, std::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

// Decodes the body at the start of `in`, delivering the first `split` bytes first. Returns the
// bytes consumed, or -1 on error or when the body is incomplete.
long decode_body(std::string_view in, const RequestHead& head, const ParserLimits& limits,
                 size_t split) {
  BodyDecoder dec(limits, /*is_request=*/true);
  if (head.framing == BodyFraming::kChunked) {
    dec.start_chunked();
  } else {
    dec.start_content_length(head.content_length);
  }
  size_t pos = 0;
  size_t visible = split < in.size() ? split : in.size();
  uint64_t total = 0;
  while (!dec.done()) {
    const std::string_view window = in.substr(pos, visible - pos);
    auto r = dec.decode(window);
    if (!r) {
      return -1;
    }
    require(r->consumed <= window.size());
    require(within(r->data, window));
    total += r->data.size();
    pos += r->consumed;
    if (r->consumed == 0 && !r->done) {
      if (visible == in.size()) {
        return -1;
      }
      visible = in.size();
    }
  }
  require(total == dec.body_bytes());
  if (head.framing == BodyFraming::kContentLength) {
    require(total == head.content_length);
  }
  return static_cast<long>(pos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  uint32_t h = 2166136261u;  // FNV-1a: a split point that moves with the content
  for (size_t i = 0; i < size && i < 64; ++i) {
    h = (h ^ data[i]) * 16777619u;
  }
  ParserLimits limits;
  if (size > 0 && (data[size - 1] & 3) == 1) {
    // Tiny limits reach the limit paths with small inputs.
    limits.max_request_line_bytes = 64;
    limits.max_head_bytes = 256;
    limits.max_header_count = 8;
    limits.max_body_bytes = 1024;
  }
  size_t pos = 0;
  RequestHead one_shot;
  RequestHead split_head;
  for (int request = 0; request < 8 && pos < size; ++request) {
    const std::string_view in = all.substr(pos);
    RequestHeadParser p1(limits);
    auto r1 = p1.parse(in, one_shot);

    RequestHeadParser p2(limits);
    const size_t split = in.empty() ? 0 : h % (in.size() + 1);
    auto r2 = p2.parse(in.substr(0, split), split_head);
    if (r2 && *r2 == 0) {
      r2 = p2.parse(in, split_head);
    }
    require(r1.has_value() == r2.has_value());
    if (!r1 || *r1 == 0) {
      break;
    }
    require(*r1 == *r2 && *r1 <= in.size());
    require(one_shot.framing == split_head.framing &&
            one_shot.content_length == split_head.content_length &&
            one_shot.keep_alive == split_head.keep_alive &&
            one_shot.headers.size() == split_head.headers.size() &&
            one_shot.target == split_head.target);
    const std::string_view head_bytes = in.substr(0, *r1);
    require(within(one_shot.method, head_bytes) && within(one_shot.target, head_bytes) &&
            within(one_shot.host, head_bytes));
    for (const auto& f : one_shot.headers) {
      require(within(f.name, head_bytes) && within(f.value, head_bytes));
      require(!f.name.empty() && f.name.find('_') == std::string_view::npos);
    }
    pos += *r1;
    if (one_shot.framing != BodyFraming::kNone) {
      const long used = decode_body(all.substr(pos), one_shot, limits, h % 97);
      if (used < 0) {
        break;
      }
      pos += static_cast<size_t>(used);
    }
    if (!one_shot.keep_alive) {
      break;
    }
    h = h * 31 + 7;
  }
  return 0;
}

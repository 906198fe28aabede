// libFuzzer target: an upstream byte stream through ResponseHeadParser and
// BodyDecoder(is_request=false): head in one go and split at a data-derived point (both must
// agree), then the body, then the next response on the connection.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/http1/parser.h"

namespace {

using nexus::ErrorCode;
using nexus::http1::BodyDecoder;
using nexus::http1::BodyFraming;
using nexus::http1::ParserLimits;
using nexus::http1::ResponseHead;
using nexus::http1::ResponseHeadParser;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

bool within(std::string_view inner, std::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size && i < 64; ++i) {
    h = (h ^ data[i]) * 16777619u;
  }
  ParserLimits limits;
  if (size > 0 && (data[size - 1] & 3) == 1) {
    limits.max_request_line_bytes = 64;
    limits.max_head_bytes = 256;
    limits.max_header_count = 8;
    limits.max_body_bytes = 16;  // must not apply to responses
  }
  const std::string_view method = (h & 8) != 0 ? "HEAD" : "GET";
  size_t pos = 0;
  ResponseHead one_shot;
  ResponseHead split_head;
  for (int response = 0; response < 8 && pos < size; ++response) {
    const std::string_view in = all.substr(pos);
    ResponseHeadParser p1(limits);
    auto r1 = p1.parse(in, method, one_shot);
    ResponseHeadParser p2(limits);
    const size_t split = h % (in.size() + 1);
    auto r2 = p2.parse(in.substr(0, split), method, split_head);
    if (r2 && *r2 == 0) {
      r2 = p2.parse(in, method, split_head);
    }
    require(r1.has_value() == r2.has_value());
    if (!r1) {
      require(r1.error().code() == ErrorCode::kUpstreamProtocolError);
      break;
    }
    if (*r1 == 0) {
      break;
    }
    require(*r1 == *r2 && *r1 <= in.size());
    require(one_shot.status == split_head.status && one_shot.framing == split_head.framing &&
            one_shot.content_length == split_head.content_length &&
            one_shot.keep_alive == split_head.keep_alive &&
            one_shot.headers.size() == split_head.headers.size());
    require(one_shot.status >= 100 && one_shot.status <= 599);
    const std::string_view head_bytes = in.substr(0, *r1);
    require(within(one_shot.reason, head_bytes));
    for (const auto& f : one_shot.headers) {
      require(within(f.name, head_bytes) && within(f.value, head_bytes));
    }
    pos += *r1;
    if (one_shot.framing == BodyFraming::kUntilClose) {
      break;  // the rest of the stream is the body
    }
    if (one_shot.framing != BodyFraming::kNone) {
      BodyDecoder dec(limits, /*is_request=*/false);
      if (one_shot.framing == BodyFraming::kChunked) {
        dec.start_chunked();
      } else {
        dec.start_content_length(one_shot.content_length);
      }
      const std::string_view body = all.substr(pos);
      size_t used = 0;
      size_t visible = (h % 61) < body.size() ? (h % 61) : body.size();
      bool ok = true;
      while (!dec.done()) {
        const std::string_view window = body.substr(used, visible - used);
        auto r = dec.decode(window);
        if (!r) {
          require(r.error().code() == ErrorCode::kUpstreamProtocolError);
          ok = false;
          break;
        }
        require(r->consumed <= window.size() && within(r->data, window));
        used += r->consumed;
        if (r->consumed == 0 && !r->done) {
          if (visible == body.size()) {
            ok = false;
            break;
          }
          visible = body.size();
        }
      }
      if (!ok) {
        break;
      }
      pos += used;
    }
    if (!one_shot.keep_alive) {
      break;
    }
    h = h * 31 + 7;
  }
  return 0;
}

// libFuzzer target: a client byte stream into http2::ServerSession, as the connection would feed
// it (split at data-derived points, frames cut anywhere), with a proxy-like Listener that answers
// some requests at once and others later, keeps views into request bodies across receive() calls
// before consuming them (as Http2Exchange does while writing upstream), resets, shuts down and
// refills response queues when told they are writable. Its choices come from a generator seeded
// with the input, so the corpus stays raw client bytes (tests/fuzz/http2_server/make_corpus.py).
// Crashes, leaks, use-after-free of views and broken listener invariants (callbacks for unknown
// or closed streams, two closes) are found by the sanitizers or trap.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/http2/server_session.h"

namespace {

using nexus::http2::Field;
using nexus::http2::ServerSession;
using nexus::http2::ServerStream;
using nexus::http2::SessionEnd;
using nexus::http2::SessionLimits;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

class Choices {
 public:
  explicit Choices(uint64_t seed) : state_(seed | 1) {}
  uint64_t next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 2685821657736338717ULL;
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
  bool one_in(unsigned n) { return below(n) == 0; }

 private:
  uint64_t state_;
};

// Reads every byte of a view, so that ASan sees a dangling one.
volatile uint8_t g_sink = 0;
void touch(std::string_view bytes) {
  uint8_t sum = 0;
  for (const char c : bytes) {
    sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  }
  g_sink = sum;
}

struct Kept {
  std::shared_ptr<ServerStream> stream;
  std::string_view body_view;  // request body bytes "being written upstream"
  bool body_ended = false;     // send_body(last) was called
};

class FuzzListener : public ServerSession::Listener {
 public:
  FuzzListener(Choices& choices, uint32_t window_bound)
      : choices_(choices), window_bound_(window_bound) {}
  ServerSession* session = nullptr;
  std::vector<Kept> kept;

  void on_request(const std::shared_ptr<ServerStream>& stream) override {
    require(stream != nullptr && !stream->closed());
    require(requested_.insert(stream->id()).second);  // once per stream
    require(closed_.count(stream->id()) == 0);
    touch(stream->head.method);
    touch(stream->head.target);
    touch(stream->head.host);
    for (const auto& header : stream->head.headers) {
      touch(header.name);
      touch(header.value);
    }
    kept.push_back({stream, {}, false});
    switch (choices_.below(6)) {
      case 0:
        answer(kept.back(), choices_.one_in(2));
        break;
      case 1:
        session->reset(*stream, nexus::http2::kCancel);
        break;
      case 2:
        if (choices_.one_in(4)) {
          session->shutdown();
        }
        break;
      default:
        if (stream->head_error) {
          answer(kept.back(), true);
        }
        break;  // answered later
    }
  }

  void on_request_body(ServerStream& stream) override {
    require(requested_.count(stream.id()) == 1 && closed_.count(stream.id()) == 0);
    // The codec promises that unconsumed body bytes fit one stream window.
    require(stream.body.size() <= window_bound_);
    if (stream.body_error && choices_.one_in(2) && !stream.responded()) {
      (void)session->respond(stream, stream.body_error->http_status(), {}, true);
    }
  }

  void on_response_writable(ServerStream& stream) override {
    require(requested_.count(stream.id()) == 1 && closed_.count(stream.id()) == 0);
    require(stream.responded());
    if (!choices_.one_in(3)) {
      const bool last = choices_.one_in(3);
      session->send_body(stream, std::string(choices_.below(3000), 'w'), last);
      if (last) {
        for (Kept& k : kept) {
          if (k.stream.get() == &stream) {
            k.body_ended = true;
          }
        }
      }
    }
  }

  void on_stream_closed(ServerStream& stream, uint32_t) override {
    require(closed_.insert(stream.id()).second);  // once per stream
    require(stream.closed());
  }

  // Work the proxy does between two reads from the client.
  void step() {
    for (Kept& k : kept) {
      ServerStream& s = *k.stream;
      if (!k.body_view.empty()) {
        touch(k.body_view);  // the upstream write completed: the bytes must still be there
        session->consume_body(s, k.body_view.size());
        k.body_view = {};
      }
      if (!s.closed() && !s.body.empty() && !choices_.one_in(4)) {
        k.body_view = s.body;  // starts writing these bytes upstream
      }
      switch (choices_.below(8)) {
        case 0:
          answer(k, choices_.one_in(3));
          break;
        case 1:
          if (s.responded() && !k.body_ended) {
            const bool last = choices_.one_in(2);
            const Field trailers[] = {{"x-trailer", "t"}};
            session->send_body(s, std::string(choices_.below(70000), 'b'), last,
                               last && choices_.one_in(2) ? trailers : std::span<const Field>{});
            k.body_ended = last;
          }
          break;
        case 2:
          if (choices_.one_in(4)) {
            session->reset(s, nexus::http2::kInternalError);
          }
          break;
        default:
          break;
      }
    }
  }

  // End of input: answer and finish everything still open.
  void finish() {
    for (Kept& k : kept) {
      if (!k.body_view.empty()) {
        touch(k.body_view);
        session->consume_body(*k.stream, k.body_view.size());
        k.body_view = {};
      }
      answer(k, false);
      if (!k.body_ended) {
        session->send_body(*k.stream, "end", true);
        k.body_ended = true;
      }
    }
  }

 private:
  void answer(Kept& k, bool end_stream) {
    ServerStream& s = *k.stream;
    if (s.responded() || s.closed()) {
      return;
    }
    const int status = s.head_error ? s.head_error->http_status() : 200;
    const Field fields[] = {{"content-type", "text/plain"}, {"x-fuzz", "1"}};
    if (!session->respond(s, status, fields, end_stream)) {
      return;
    }
    k.body_ended = end_stream;
    if (!end_stream && choices_.one_in(2)) {
      const bool last = choices_.one_in(2);
      session->send_body(s, std::string(choices_.below(2000), 'r'), last);
      k.body_ended = last;
    }
  }

  Choices& choices_;
  uint32_t window_bound_;
  std::set<int32_t> requested_;
  std::set<int32_t> closed_;
};

// Flushes the session like the connection's writer, in pieces of at most `max` bytes.
void flush(ServerSession& session, size_t max) {
  for (int i = 0; i < 10000; ++i) {
    std::string out;
    const size_t n = session.produce(out, max);
    require(n == out.size());
    if (n == 0) {
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  uint64_t h = 14695981039346656037ULL;  // FNV-1a of the input seeds the choices
  for (size_t i = 0; i < size; ++i) {
    h = (h ^ data[i]) * 1099511628211ULL;
  }
  Choices choices(h);

  SessionLimits limits;
  if (size > 0 && (data[size - 1] & 3) == 1) {
    // Tiny limits reach the limit paths with small inputs.
    limits.max_concurrent_streams = 4;
    limits.initial_stream_window = 1024;
    limits.connection_window = 65535;
    limits.max_header_list_bytes = 512;
    limits.max_header_count = 8;
    limits.max_body_bytes = 2048;
    limits.max_requests = 3;
    limits.response_queue_bytes = 256;
  }
  // Before our SETTINGS are acknowledged a client may assume the default window of 65535.
  const uint32_t window_bound = std::max<uint32_t>(limits.initial_stream_window, 65535);

  FuzzListener listener(choices, window_bound);
  {
    ServerSession session(listener, limits);
    listener.session = &session;
    require(session.start().has_value());
    const size_t max_write = choices.one_in(2) ? SIZE_MAX : 1 + choices.below(100);
    flush(session, max_write);

    size_t pos = 0;
    const size_t pieces = 1 + choices.below(6);
    for (size_t piece = 0; piece < pieces && pos < size; ++piece) {
      const size_t n = piece + 1 == pieces ? size - pos : choices.below(size - pos + 1);
      const auto received = session.receive(all.substr(pos, n));
      pos += n;
      flush(session, max_write);
      if (!received) {
        break;  // the connection stops reading; what was produced has been flushed
      }
      listener.step();
      flush(session, max_write);
    }
    if (session.end() != SessionEnd::kFatal) {
      listener.finish();
      flush(session, max_write);
    }
    listener.session = nullptr;
  }
  return 0;
}

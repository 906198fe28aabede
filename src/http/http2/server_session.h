// The server side of one HTTP/2 connection, as bytes in and bytes out: nghttp2 does the framing,
// HPACK and the RFC 9113 state machine; this class adds what a proxy facing the internet needs on
// top (request heads as http1::RequestHead for the one proxy path, flow control driven by the
// proxy's progress, per-stream response queues, and the flood and abuse limits that nghttp2 does
// not enforce by itself). No sockets here: the connection (src/server/http2_connection) feeds
// received bytes in and writes what produce() returns, so the codec is unit-tested and fuzzed
// without any I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/http1/message.h"
#include "http/http2/abuse_guard.h"
#include "http/http2/server_stream.h"
#include "nexus/core/result.h"

struct nghttp2_session;

namespace nexus::http2 {

struct SessionLimits {
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_stream_window = 64 * 1024;     // request body bytes in flight per stream
  uint32_t connection_window = 1024 * 1024;       // ... and for the whole connection
  uint32_t max_header_list_bytes = 64 * 1024;     // decoded, RFC 9113 §6.5.2 accounting: 431
  uint32_t max_header_count = 100;                // 431
  uint64_t max_body_bytes = 32ULL * 1024 * 1024;  // 413 (0 = unlimited)
  uint32_t max_requests = 0;                      // per connection, then GOAWAY (0 = unlimited)
  // A stream's response bytes queued beyond this make the proxy wait (per-stream backpressure).
  size_t response_queue_bytes = size_t{64} * 1024;
};

// How a connection ended, or that it has to, as seen by the codec.
enum class SessionEnd {
  kNone,
  kGoaway,  // a GOAWAY is queued or sent: flush produce() and close once it says so
  kFatal,   // unrecoverable (bad preface, flood detected by nghttp2): close now
};

class ServerSession {
 public:
  // Told about stream events; every call happens inside receive() or produce(). A stream passed
  // to a callback stays valid until on_stream_closed() for it has returned.
  class Listener {
   public:
    virtual ~Listener() = default;
    // A complete request head (HEADERS and its CONTINUATIONs) arrived. If stream.head_error is
    // set the head was refused (431, 400, 501): answer with that error, do not proxy.
    // The stream may be kept (shared) past its closing; the codec then ignores calls for it.
    virtual void on_request(const std::shared_ptr<ServerStream>& stream) = 0;
    // Request body bytes (stream.body) or the end of the request arrived.
    virtual void on_request_body(ServerStream& stream) = 0;
    // The response queue of a stream went below SessionLimits::response_queue_bytes.
    virtual void on_response_writable(ServerStream& stream) = 0;
    // The stream is gone (response complete, or reset by either side: `error_code` != 0).
    virtual void on_stream_closed(ServerStream& stream, uint32_t error_code) = 0;
  };

  ServerSession(Listener& listener, const SessionLimits& limits);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Queues the server preface (SETTINGS and the connection window update). Call once first.
  Result<void> start();

  // Feeds bytes received from the client. An error is fatal: close the connection (after
  // flushing produce(), which may hold a GOAWAY).
  Result<void> receive(std::string_view data);

  // Appends frames ready to be sent to `out`, stopping once `out` holds at least `max` bytes.
  // Returns the number of bytes appended.
  size_t produce(std::string& out, size_t max);

  // Whether the connection still has anything to do; false once a GOAWAY went out (or was
  // received) and no stream is left, or after a fatal error: then close the socket.
  [[nodiscard]] bool alive() const;
  [[nodiscard]] bool wants_write() const;
  [[nodiscard]] SessionEnd end() const { return end_; }
  [[nodiscard]] size_t open_streams() const { return streams_.size(); }

  // Request body bytes at the front of stream.body were forwarded: drop them and let the client
  // send as many more (WINDOW_UPDATE for the stream and the connection).
  void consume_body(ServerStream& stream, size_t bytes);

  // Starts the response. `fields` must have lower-case names and no connection-specific ones;
  // they are copied. With `end_stream` there is no body.
  Result<void> respond(ServerStream& stream, int status, std::span<const Field> fields,
                       bool end_stream);
  // Queues response body bytes (copied) and, with `last`, ends the body; `trailers` (lower-case)
  // go after the body when not empty.
  void send_body(ServerStream& stream, std::string_view data, bool last,
                 std::span<const Field> trailers = {});
  // Resets the stream (RST_STREAM with `error_code`), e.g. when its upstream broke mid-body.
  void reset(ServerStream& stream, uint32_t error_code);

  // Graceful shutdown: GOAWAY with the last stream accepted; open streams finish.
  void shutdown();
  // Immediate: GOAWAY with `error_code`; the caller flushes and closes.
  void terminate(uint32_t error_code);

  // Called by nghttp2's callbacks (server_session.cc); not part of the interface.
  struct Callbacks;

 private:
  ServerStream* find(int32_t id);
  std::shared_ptr<ServerStream> find_shared(int32_t id);
  // Counts a received frame against the abuse limits; non-zero (a callback failure) when the
  // connection must end.
  int count(uint8_t type, size_t length, uint8_t flags);
  void finish_head(ServerStream& stream, bool end_stream);

  Listener& listener_;
  SessionLimits limits_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::shared_ptr<ServerStream>> streams_;
  AbuseGuard guard_;
  SessionEnd end_ = SessionEnd::kNone;
  int32_t last_request_id_ = 0;  // the highest stream the client opened that we accepted
  int32_t goaway_last_id_ = 0;   // streams above it are refused once a GOAWAY is decided
  uint32_t requests_ = 0;
};

// The nghttp2 error code names of RFC 9113 §7 used by the server.
inline constexpr uint32_t kNoError = 0x0;
inline constexpr uint32_t kProtocolError = 0x1;
inline constexpr uint32_t kInternalError = 0x2;
inline constexpr uint32_t kRefusedStream = 0x7;
inline constexpr uint32_t kCancel = 0x8;
inline constexpr uint32_t kEnhanceYourCalm = 0xb;

}  // namespace nexus::http2

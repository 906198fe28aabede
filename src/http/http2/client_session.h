// The client side of one HTTP/2 connection to an upstream, as bytes in and bytes out (like
// ServerSession, no sockets: src/proxy/upstream/http2_upstream drives it). Many requests share
// the connection as concurrent streams, up to the peer's SETTINGS_MAX_CONCURRENT_STREAMS and our
// own cap; a response head arrives as an http1::ResponseHead so the relay above is the same as
// for HTTP/1.1 upstreams.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/http1/message.h"
#include "http/http2/body_queue.h"
#include "http/http2/server_stream.h"
#include "nexus/core/result.h"

struct nghttp2_session;

namespace nexus::http2 {

struct ClientLimits {
  uint32_t max_concurrent_streams = 100;       // our own cap per connection
  uint32_t initial_stream_window = 64 * 1024;  // response bytes in flight per stream
  uint32_t connection_window = 1024 * 1024;
  uint32_t max_header_list_bytes = 64 * 1024;      // response heads over it fail the stream
  size_t request_queue_bytes = size_t{64} * 1024;  // request body queued before the proxy waits
};

// One request stream; shared by the session (until closed) and the exchange using it.
class ClientStream {
 public:
  explicit ClientStream(int32_t id) : id_(id) {}
  [[nodiscard]] int32_t id() const { return id_; }

  // Response, filled by the session. The head's views point into the stream.
  http1::ResponseHead head;
  bool head_received = false;
  bool head_too_large = false;
  std::string body;  // received, not yet consumed (at most one window)
  bool response_complete = false;
  std::vector<http1::Header> trailers;
  bool closed = false;
  uint32_t error_code = 0;  // of RST_STREAM, or of the connection's end

  // Called (inside receive() or produce()) whenever any of the above changed or the request
  // queue has room again; the exchange sets it to wake itself.
  std::function<void()> notify;

  [[nodiscard]] size_t queued() const { return out_.size(); }

 private:
  friend class ClientSession;
  void add_field(std::string_view name, std::string_view value, bool trailer);
  void finish_head();

  int32_t id_;
  std::string storage_;          // names and values of the head, back to back
  std::string trailer_storage_;  // ... of the trailers: appending them never moves the head
  struct Span {
    uint32_t name_offset, name_size, value_offset, value_size;
  };
  std::vector<Span> spans_;
  std::vector<Span> trailer_spans_;
  std::string status_;
  size_t header_bytes_ = 0;
  BodyQueue out_;
  std::vector<std::string> out_trailers_;  // name, value, name, value...
  size_t unconsumed_ = 0;
};

class ClientSession {
 public:
  explicit ClientSession(const ClientLimits& limits);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Queues the client preface and SETTINGS.
  Result<void> start();
  // Feeds bytes from the upstream; an error is fatal (close the connection).
  Result<void> receive(std::string_view data);
  // Appends frames to send to `out` until it holds `max` bytes; returns the bytes appended.
  size_t produce(std::string& out, size_t max);

  [[nodiscard]] bool alive() const;
  [[nodiscard]] bool wants_write() const;
  // A new request may be opened now: no GOAWAY either way, under both stream limits, and
  // stream ids left. `reserved` streams promised to callers that have not opened them yet count
  // as open.
  [[nodiscard]] bool can_open_stream(size_t reserved = 0) const;
  [[nodiscard]] size_t open_streams() const { return streams_.size(); }
  // Whether the server's SETTINGS arrived (its stream limit is known).
  [[nodiscard]] bool settings_received() const { return settings_received_; }

  // Opens a stream: `fields` hold the pseudo-headers first, names lower case (copied).
  // Without `has_body` the HEADERS end the stream.
  Result<std::shared_ptr<ClientStream>> submit_request(std::span<const Field> fields,
                                                       bool has_body);
  // Queues request body bytes (copied); `last` ends the request, with `trailers` (lower-case
  // names, copied) after the body when not empty.
  void send_body(ClientStream& stream, std::string_view data, bool last,
                 std::span<const Field> trailers = {});
  // Response bytes at the front of stream.body were relayed: drop them, reopen the window.
  void consume_body(ClientStream& stream, size_t bytes);
  void reset(ClientStream& stream, uint32_t error_code);
  // GOAWAY(NO_ERROR): no new streams; open ones finish.
  void shutdown();
  // The connection is gone: every open stream is closed with INTERNAL_ERROR and notified.
  void fail_all();

  struct Callbacks;

 private:
  ClientStream* find(int32_t id);
  void notify(ClientStream& stream);

  ClientLimits limits_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::shared_ptr<ClientStream>> streams_;
  bool goaway_ = false;
  bool fatal_ = false;
  bool settings_received_ = false;
};

}  // namespace nexus::http2

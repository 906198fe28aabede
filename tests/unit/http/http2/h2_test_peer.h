// Test helpers for ServerSession: a real nghttp2 client session and a recording Listener,
// connected in memory by pump(), which moves bytes both ways until neither side has anything
// left to send, and the test fixture that holds the three. No sockets, threads or sleeps.
#pragma once

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http2/server_session.h"

namespace nexus::http2::h2test {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A frame the client received.
struct ClientFrame {
  uint8_t type = 0;
  int32_t stream_id = 0;
  uint8_t flags = 0;
  size_t length = 0;
  uint32_t error_code = 0;       // RST_STREAM, GOAWAY
  int32_t last_stream_id = 0;    // GOAWAY
  int32_t window_increment = 0;  // WINDOW_UPDATE
};

// What the client saw of one of its streams.
struct ClientStream {
  Pairs headers;   // the response head, :status first
  Pairs trailers;  // a second HEADERS block
  std::string body;
  size_t consumed = 0;              // bytes of `body` given back to flow control (manual_window)
  std::vector<std::string> events;  // "headers", "data", "trailers", "end", in arrival order
  bool closed = false;
  uint32_t close_error = 0;
  // Request body the client still has to send (see H2Client::send).
  std::string pending;
  bool pending_end = false;
};

class H2Client {
 public:
  // `manual_window`: the client gives back flow control window only through consume().
  explicit H2Client(bool manual_window = false, std::vector<nghttp2_settings_entry> settings = {}) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_no_auto_window_update(option, manual_window ? 1 : 0);
    // nghttp2 refuses to send a header block whose *uncompressed* size could exceed 64 KiB;
    // the HPACK bomb test needs one that compresses well.
    nghttp2_option_set_max_send_header_block_length(option, 16 * 1024 * 1024);
    nghttp2_session_client_new2(&session_, cb, this, option);
    nghttp2_option_del(option);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }
  ~H2Client() { nghttp2_session_del(session_); }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  nghttp2_session* session() { return session_; }

  // Submits a request. Without `end_stream` the stream stays open and its body is given with
  // send(); `body` is queued right away.
  int32_t request(const Pairs& fields, bool end_stream, std::string_view body = {}) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [name, value] : fields) {
      nva.push_back(nv(name, value));
    }
    nghttp2_data_provider provider{};
    provider.read_callback = read_body;
    const int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                              end_stream ? nullptr : &provider, nullptr);
    EXPECT_GT(id, 0) << nghttp2_strerror(id);
    if (id > 0 && !body.empty()) {
      streams_[id].pending.append(body);
    }
    return id;
  }

  // Queues request body bytes for an open stream; `end` ends the request.
  void send(int32_t id, std::string_view data, bool end) {
    ClientStream& stream = streams_[id];
    stream.pending.append(data);
    stream.pending_end = end;
    nghttp2_session_resume_data(session_, id);
  }

  void rst(int32_t id, uint32_t error_code = NGHTTP2_CANCEL) {
    EXPECT_EQ(nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code), 0);
  }

  // Flow control: tells nghttp2 that `bytes` of the stream's DATA were read (manual_window).
  void consume(int32_t id, size_t bytes) {
    EXPECT_EQ(nghttp2_session_consume(session_, id, bytes), 0);
    streams_[id].consumed += bytes;
  }
  // Gives back everything received on the stream so far.
  void consume_received(int32_t id) {
    ClientStream& s = streams_[id];
    consume(id, s.body.size() - s.consumed);
  }

  // Everything the client wants to send now.
  std::string drain() {
    std::string out;
    while (true) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      EXPECT_GE(n, 0) << nghttp2_strerror(static_cast<int>(n));
      if (n <= 0) {
        return out;
      }
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
  }

  void feed(std::string_view bytes) {
    const ssize_t n = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    EXPECT_EQ(n, static_cast<ssize_t>(bytes.size())) << nghttp2_strerror(static_cast<int>(n));
  }

  ClientStream& stream(int32_t id) { return streams_[id]; }
  const std::vector<ClientFrame>& frames() const { return frames_; }

  // The first received frame of `type` (on any stream when `stream_id` < 0), or nullopt.
  std::optional<ClientFrame> first(uint8_t type, int32_t stream_id = -1) const {
    for (const ClientFrame& f : frames_) {
      if (f.type == type && (stream_id < 0 || f.stream_id == stream_id)) {
        return f;
      }
    }
    return std::nullopt;
  }
  size_t count(uint8_t type) const {
    size_t n = 0;
    for (const ClientFrame& f : frames_) {
      n += f.type == type ? 1 : 0;
    }
    return n;
  }

 private:
  static H2Client& self(void* user) { return *static_cast<H2Client*>(user); }

  static nghttp2_nv nv(const std::string& name, const std::string& value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
            NGHTTP2_NV_FLAG_NONE};
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    H2Client& c = self(user);
    ClientFrame f;
    f.type = frame->hd.type;
    f.stream_id = frame->hd.stream_id;
    f.flags = frame->hd.flags;
    f.length = frame->hd.length;
    if (f.type == NGHTTP2_RST_STREAM) {
      f.error_code = frame->rst_stream.error_code;
    } else if (f.type == NGHTTP2_GOAWAY) {
      f.error_code = frame->goaway.error_code;
      f.last_stream_id = frame->goaway.last_stream_id;
    } else if (f.type == NGHTTP2_WINDOW_UPDATE) {
      f.window_increment = frame->window_update.window_size_increment;
    }
    c.frames_.push_back(f);
    if (f.stream_id != 0 && (f.type == NGHTTP2_HEADERS || f.type == NGHTTP2_DATA) &&
        (f.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      c.streams_[f.stream_id].events.emplace_back("end");
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                       void* user) {
    ClientStream& s = self(user).streams_[frame->hd.stream_id];
    const bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS;
    Pairs& target = trailer ? s.trailers : s.headers;
    if (target.empty()) {
      s.events.emplace_back(trailer ? "trailers" : "headers");
    }
    target.emplace_back(std::string(reinterpret_cast<const char*>(name), name_size),
                        std::string(reinterpret_cast<const char*>(value), value_size));
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t size,
                           void* user) {
    ClientStream& s = self(user).streams_[id];
    if (s.events.empty() || s.events.back() != "data") {
      s.events.emplace_back("data");
    }
    s.body.append(reinterpret_cast<const char*>(data), size);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* user) {
    ClientStream& s = self(user).streams_[id];
    s.closed = true;
    s.close_error = error_code;
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source*, void* user) {
    ClientStream& s = self(user).streams_[id];
    const size_t n = std::min(length, s.pending.size());
    std::memcpy(buf, s.pending.data(), n);
    s.pending.erase(0, n);
    if (s.pending.empty()) {
      if (s.pending_end) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      } else if (n == 0) {
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(n);
  }

  nghttp2_session* session_ = nullptr;
  std::vector<ClientFrame> frames_;
  std::map<int32_t, ClientStream> streams_;
};

// Records the session's Listener calls; each hook may be given a test action.
class Recorder : public ServerSession::Listener {
 public:
  ServerSession* session = nullptr;
  std::vector<std::shared_ptr<ServerStream>> requests;  // in on_request() order
  std::vector<std::string> events;  // "request 1", "body 1 5 end", "writable 1", "closed 1 0"
  std::vector<std::pair<int32_t, uint32_t>> closed;
  std::function<void(const std::shared_ptr<ServerStream>&)> on_request_action;
  std::function<void(ServerStream&)> on_body_action;
  std::function<void(ServerStream&)> on_writable_action;

  void on_request(const std::shared_ptr<ServerStream>& stream) override {
    requests.push_back(stream);
    events.push_back("request " + std::to_string(stream->id()));
    if (on_request_action) {
      on_request_action(stream);
    }
  }
  void on_request_body(ServerStream& stream) override {
    events.push_back("body " + std::to_string(stream.id()) + " " +
                     std::to_string(stream.body.size()) + (stream.request_complete ? " end" : ""));
    if (on_body_action) {
      on_body_action(stream);
    }
  }
  void on_response_writable(ServerStream& stream) override {
    events.push_back("writable " + std::to_string(stream.id()));
    if (on_writable_action) {
      on_writable_action(stream);
    }
  }
  void on_stream_closed(ServerStream& stream, uint32_t error_code) override {
    events.push_back("closed " + std::to_string(stream.id()) + " " + std::to_string(error_code));
    closed.emplace_back(stream.id(), error_code);
  }

  std::shared_ptr<ServerStream> request(int32_t id) const {
    for (const auto& stream : requests) {
      if (stream->id() == id) {
        return stream;
      }
    }
    return nullptr;
  }
  size_t count(std::string_view prefix) const {
    size_t n = 0;
    for (const std::string& e : events) {
      n += e.starts_with(prefix) ? 1 : 0;
    }
    return n;
  }
};

// Moves bytes between the client and the server until both are quiet. Like the real connection,
// stops feeding the server after receive() failed but keeps flushing what it produces. Returns
// the first receive() error.
inline std::optional<Error> pump(H2Client& client, ServerSession& server,
                                 std::optional<Error> error = std::nullopt) {
  for (int round = 0; round < 10000; ++round) {
    const std::string to_server = client.drain();
    if (!to_server.empty() && !error) {
      if (auto r = server.receive(to_server); !r) {
        error = r.error();
      }
    }
    std::string to_client;
    server.produce(to_client, SIZE_MAX);
    if (!to_client.empty()) {
      client.feed(to_client);
    }
    if ((to_server.empty() || error) && to_client.empty()) {
      return error;
    }
  }
  ADD_FAILURE() << "pump did not settle";
  return error;
}

// A raw frame (RFC 9113 §4.1), for what a well-behaved client library would not send.
inline std::string raw_frame(uint8_t type, uint8_t flags, uint32_t stream_id,
                             std::string_view payload = {}) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>((n >> 16) & 0xff));
  f.push_back(static_cast<char>((n >> 8) & 0xff));
  f.push_back(static_cast<char>(n & 0xff));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  f.push_back(static_cast<char>((stream_id >> 24) & 0x7f));
  f.push_back(static_cast<char>((stream_id >> 16) & 0xff));
  f.push_back(static_cast<char>((stream_id >> 8) & 0xff));
  f.push_back(static_cast<char>(stream_id & 0xff));
  f.append(payload);
  return f;
}

inline Pairs get(std::string_view path = "/", std::string_view authority = "example.com") {
  return {{":method", "GET"},
          {":scheme", "https"},
          {":authority", std::string(authority)},
          {":path", std::string(path)}};
}

inline Pairs post(std::string_view path = "/v1/chat", std::string_view authority = "example.com") {
  return {{":method", "POST"},
          {":scheme", "https"},
          {":authority", std::string(authority)},
          {":path", std::string(path)}};
}

inline Pairs with(Pairs base, const Pairs& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

// A ServerSession, its recording listener and a client, started and connected.
class SessionFixture : public ::testing::Test {
 protected:
  // Creates both sides and exchanges the prefaces (with `exchange_prefaces`).
  void start(const SessionLimits& limits = {}, bool manual_window = false,
             std::vector<nghttp2_settings_entry> client_settings = {},
             bool exchange_prefaces = true) {
    server_ = std::make_unique<ServerSession>(rec_, limits);
    rec_.session = server_.get();
    ASSERT_TRUE(server_->start().has_value());
    client_ = std::make_unique<H2Client>(manual_window, std::move(client_settings));
    if (exchange_prefaces) {
      ASSERT_FALSE(pump());
    }
  }
  std::optional<Error> pump(std::optional<Error> error = std::nullopt) {
    return h2test::pump(*client_, *server_, std::move(error));
  }
  // Sends what the client has queued, without letting the server answer.
  Result<void> client_to_server() { return server_->receive(client_->drain()); }

  // The one request the server saw so far.
  ServerStream& only_request() {
    EXPECT_EQ(rec_.requests.size(), 1u);
    return *rec_.requests.at(0);
  }

  Recorder rec_;
  std::unique_ptr<ServerSession> server_;
  std::unique_ptr<H2Client> client_;
};

inline Pairs headers_of(const ServerStream& stream) {
  Pairs out;
  for (const auto& header : stream.head.headers) {
    out.emplace_back(header.name, header.value);
  }
  return out;
}

}  // namespace nexus::http2::h2test

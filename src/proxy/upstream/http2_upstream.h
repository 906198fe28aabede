// One HTTP/2 connection to an upstream endpoint, shared by the exchanges of its worker: each
// request is a stream of the connection's http2::ClientSession. A read loop feeds the session and
// a write loop sends what it produces; when the connection dies, every open stream is failed so
// that its exchange stops waiting.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "http/http2/client_session.h"
#include "proxy/upstream/upstream_connection.h"

namespace nexus::proxy {

class Http2Upstream final : public Abortable, public std::enable_shared_from_this<Http2Upstream> {
 public:
  // `connection` is connected (and TLS-handshaken with ALPN h2).
  Http2Upstream(std::unique_ptr<UpstreamConnection> connection, const http2::ClientLimits& limits);
  ~Http2Upstream();
  Http2Upstream(const Http2Upstream&) = delete;
  Http2Upstream& operator=(const Http2Upstream&) = delete;

  // Queues the preface and starts the read and write loops.
  Result<void> start();

  http2::ClientSession& session() { return session_; }
  net::Stream::executor_type executor() { return connection_->stream().get_executor(); }
  [[nodiscard]] size_t endpoint() const { return connection_->endpoint(); }
  // Alive, set up (the server's SETTINGS arrived, see wait_ready()) and with room for another
  // stream.
  [[nodiscard]] bool usable() const {
    return !closed_ && session_.settings_received() && session_.can_open_stream(reserved_);
  }
  // The exchange that set the connection up holds one stream of it while it waits for the
  // SETTINGS: others that find it usable in between must not take that stream (with a limit of
  // one stream per connection, both would open one).
  void reserve_stream() { ++reserved_; }
  void release_stream() { reserved_ -= reserved_ > 0 ? 1 : 0; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] bool idle() const { return session_.open_streams() == 0; }
  std::chrono::steady_clock::time_point idle_since;

  // Frames were queued: wake the write loop.
  void wake_writer() { write_signal_.cancel(); }
  // GOAWAY, then close once the open streams are done (pool shutdown, idle timeout).
  void shutdown();
  // Waits for the server's SETTINGS, so that its stream limit is known before streams are
  // handed out (false: the connection died first, or abort() was called).
  boost::asio::awaitable<bool> wait_ready();
  // Closes the connection now (a connect timeout while waiting for the SETTINGS).
  void abort() override { close(); }

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void close();

  std::unique_ptr<UpstreamConnection> connection_;
  http2::ClientSession session_;
  boost::asio::steady_timer write_signal_;
  boost::asio::steady_timer ready_signal_;  // cancelled when the SETTINGS arrive or on close
  std::string out_;
  size_t reserved_ = 0;
  bool closed_ = false;
};

}  // namespace nexus::proxy

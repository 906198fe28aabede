// One HTTP/1.1 client connection: reads requests in order (pipelining), answers each one through
// serve_exchange() (the connection is the Downstream of one exchange at a time), and enforces the
// server's limits and timeouts. A connection that turns out to speak HTTP/2 (ALPN "h2", or the
// prior-knowledge preface on a listener that allows it) is handed to Http2Connection.
//
// The request loop is a coroutine; timeouts are one timer per connection (see set_deadline) that
// cancels whatever the coroutine waits on; errors are values, never exceptions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "http/http1/parser.h"
#include "net/stream.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "server/downstream.h"
#include "server/exchange_state.h"
#include "server/phase_timer.h"

namespace nexus::server {

class Worker;
class Http2Connection;

class ClientConnection final : public Downstream,
                               public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(Worker& worker, net::tcp::socket socket, boost::asio::ssl::context* tls,
                   bool http2);
  ~ClientConnection() override;

  // Starts serving; the connection keeps itself alive until it is closed.
  static void start(std::shared_ptr<ClientConnection> connection);

  // Graceful shutdown: an idle connection closes now, a busy one after its current response
  // (HTTP/2: GOAWAY, and open streams finish).
  void close_if_idle();

  // Called by the worker a few times a second: gives the buffer of a quiet keep-alive
  // connection back, and arms the client disconnect watch of a long upstream wait.
  void on_tick(std::chrono::steady_clock::time_point now);

  // Downstream (the exchange in progress).
  [[nodiscard]] Worker& worker() override { return worker_; }
  [[nodiscard]] boost::asio::any_io_executor executor() override {
    return stream_->socket().get_executor();
  }
  ExchangeState& state() override { return *state_; }
  [[nodiscard]] std::string_view client_ip() const override { return client_ip_; }
  [[nodiscard]] bool client_tls() const override { return stream_->is_tls(); }
  Result<void> check_request() override;
  void release_head() override;
  void begin_body() override;
  Result<BodyTake> take_body(GatherWriter& gather, bool chunked) override;
  void consume_body(size_t used) override;
  boost::asio::awaitable<Result<void>> wait_for_body() override;
  ResponseStart begin_response() override;
  boost::asio::awaitable<bool> send_response(const GatherWriter& gather, bool last,
                                             std::span<const http1::Header> trailers) override;
  Outcome end_response(int status) override;
  Outcome cut_short(int status, const Error& error) override;
  boost::asio::awaitable<Outcome> send_reply(int status, std::string_view content_type,
                                             std::string_view body,
                                             std::span<const http1::Header> headers,
                                             const Error* error) override;
  void set_deadline(std::chrono::milliseconds timeout, Phase phase) override;
  [[nodiscard]] bool timed_out(Phase phase) const override { return timer_.timed_out(phase); }
  // Called by timer_ when the current wait's deadline passes: cancels what the wait is on.
  void on_deadline(Phase phase);
  void awaiting_upstream(bool waiting) override;

 private:
  using Clock = std::chrono::steady_clock;

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> starts_http2();
  boost::asio::awaitable<bool> wait_for_request();
  boost::asio::awaitable<Result<size_t>> read_request_head();
  boost::asio::awaitable<Outcome> serve_request(size_t head_size);
  [[nodiscard]] Result<void> check_buffered_chunks() const;
  boost::asio::awaitable<bool> write_client(std::span<const boost::asio::const_buffer> data);
  boost::asio::awaitable<bool> write_client(std::string_view data);
  // Accounts for a finished write to the client; false when it failed (the client is gone).
  bool wrote(net::SysError error, size_t bytes);
  boost::asio::awaitable<void> linger_close();

  // Client disconnect detection while waiting on the upstream (see client_downstream.cc).
  void watch_client_disconnect();

  void finish_exchange_state();
  [[nodiscard]] bool keep_alive_after_this() const;

  Worker& worker_;
  std::unique_ptr<net::Stream> stream_;
  std::unique_ptr<ExchangeState> state_;    // borrowed from the worker while not idle
  std::shared_ptr<Http2Connection> http2_;  // once the connection speaks HTTP/2
  bool http2_allowed_;                      // the listener accepts HTTP/2 (ALPN or preface)
  PhaseTimer timer_;                        // the deadline of whatever the connection waits for
  Clock::time_point request_start_;
  bool closing_ = false;            // stop after the current request (drain)
  bool watching_client_ = false;    // a disconnect watch is pending on the socket
  bool awaiting_upstream_ = false;  // waiting for upstream bytes (watch armed after a while)
  Clock::time_point awaiting_since_;
  bool idle_reading_ = false;  // keep-alive wait reading into a borrowed buffer
  bool shrink_requested_ = false;
  Clock::time_point idle_since_;
  uint32_t requests_served_ = 0;
  std::string client_ip_;

  // The exchange in progress.
  size_t head_size_ = 0;  // bytes of the current head still buffered
  http1::BodyDecoder body_decoder_;
  bool sent_continue_ = false;
  bool keep_after_response_ = false;  // decided with the response head
};

}  // namespace nexus::server

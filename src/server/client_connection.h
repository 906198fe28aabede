// One client connection: reads requests in order (pipelining), answers each one (locally or by
// proxying it upstream), and enforces the server's limits and timeouts.
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

#include "net/stream.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "proxy/upstream/cluster_runtime.h"
#include "proxy/upstream/upstream_connection.h"
#include "server/exchange_state.h"

namespace nexus::server {

class Worker;

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(Worker& worker, net::tcp::socket socket, boost::asio::ssl::context* tls);
  ~ClientConnection();

  // Starts serving; the connection keeps itself alive until it is closed.
  static void start(std::shared_ptr<ClientConnection> connection);

  // Graceful shutdown: an idle connection closes now, a busy one after its current response.
  void close_if_idle();

  // Called by the worker a few times a second: gives the buffer of a quiet keep-alive
  // connection back, and arms the client disconnect watch of a long upstream wait.
  void on_tick(std::chrono::steady_clock::time_point now);

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase {
    kHandshake,
    kIdle,
    kHead,
    kBody,
    kUpstreamConnect,
    kUpstreamFirstByte,
    kUpstreamBody,
    kClientWrite,
    kLinger,
  };
  // How a request ended, for the connection loop.
  enum class Next { kKeepAlive, kClose };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> wait_for_request();
  boost::asio::awaitable<Result<size_t>> read_request_head();
  boost::asio::awaitable<Next> serve_request(size_t head_size);
  boost::asio::awaitable<Next> proxy(const config::Route& route, size_t head_size);
  boost::asio::awaitable<Result<void>> send_request(proxy::UpstreamConnection& upstream,
                                                    bool& replayable);
  boost::asio::awaitable<Result<size_t>> read_response_head(proxy::UpstreamConnection& upstream);
  boost::asio::awaitable<Next> relay_response(proxy::UpstreamConnection& upstream, size_t head_size,
                                              bool& upstream_reusable);
  [[nodiscard]] Result<void> check_buffered_chunks(size_t head_size) const;
  boost::asio::awaitable<Next> exchange(proxy::ClusterRuntime& cluster, size_t endpoint);
  boost::asio::awaitable<Next> upstream_failed(Error error);
  boost::asio::awaitable<Result<void>> read_client_body();
  boost::asio::awaitable<bool> write_client(std::span<const boost::asio::const_buffer> data);
  boost::asio::awaitable<bool> write_client(std::string_view data);
  boost::asio::awaitable<Next> reply_error(Error error);
  boost::asio::awaitable<Next> reply_local(int status, std::string_view content_type,
                                           std::string_view body);
  boost::asio::awaitable<Next> send_local(int status, std::string_view content_type,
                                          std::string_view body, bool keep_alive);
  boost::asio::awaitable<void> linger_close();

  // Timeouts. set_deadline() is called before every wait; the timer is only re-armed when the
  // new deadline is earlier than the one it is armed for, so a busy connection re-arms rarely.
  void set_deadline(std::chrono::milliseconds timeout, Phase phase);
  void arm_timer(Clock::time_point when);
  void on_timer();
  [[nodiscard]] bool timed_out(Phase phase) const { return timed_out_ && phase_ == phase; }

  // Client disconnect detection while waiting on the upstream (see proxy_exchange.cc).
  void watch_client_disconnect();

  // Marks a wait for upstream bytes, so on_tick() can arm the disconnect watch when it lasts.
  class AwaitingUpstream {
   public:
    explicit AwaitingUpstream(ClientConnection& connection) : connection_(connection) {
      connection_.awaiting_upstream_ = true;
      connection_.awaiting_since_ = Clock::now();
    }
    ~AwaitingUpstream() { connection_.awaiting_upstream_ = false; }
    AwaitingUpstream(const AwaitingUpstream&) = delete;
    AwaitingUpstream& operator=(const AwaitingUpstream&) = delete;

   private:
    ClientConnection& connection_;
  };

  void finish_exchange_state();
  void log_access(int status, const Error* error);
  [[nodiscard]] bool keep_alive_after_this() const;

  Worker& worker_;
  std::unique_ptr<net::Stream> stream_;
  std::unique_ptr<ExchangeState> state_;  // borrowed from the worker while not idle
  boost::asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point timer_expiry_ = Clock::time_point::max();
  Clock::time_point request_start_;
  Clock::time_point exchange_deadline_ = Clock::time_point::max();  // route's total timeout
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
  bool closing_ = false;            // stop after the current request (drain)
  bool watching_client_ = false;    // a disconnect watch is pending on the socket
  bool awaiting_upstream_ = false;  // waiting for upstream bytes (watch armed after a while)
  Clock::time_point awaiting_since_;
  bool idle_reading_ = false;  // keep-alive wait reading into a borrowed buffer
  bool shrink_requested_ = false;
  Clock::time_point idle_since_;
  bool client_gone_ = false;
  proxy::UpstreamConnection* upstream_ = nullptr;  // the one in use, for timeouts and aborts
  const config::Route* route_ = nullptr;           // the route being proxied
  size_t head_size_ = 0;                           // bytes of the current head still buffered
  size_t replayable_bytes_ = 0;  // request body bytes kept buffered for a possible retry
  bool sent_continue_ = false;
  uint32_t requests_served_ = 0;
  std::string client_ip_;

  // Per request, for the access log.
  const std::string* upstream_name_ = nullptr;  // the endpoint's "host:port", or none
  bool request_body_done_ = true;  // the whole request body has been read from the client
  uint64_t body_bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
  Clock::time_point upstream_start_{};
  double upstream_ms_ = 0;
};

}  // namespace nexus::server

// One HTTP/2 client connection: a read loop feeding the codec (http2::ServerSession), a write
// loop sending what the codec produces, and one Http2Exchange per request stream, each running
// the same serve_exchange() as an HTTP/1.1 request. Streams are independent: a stream waiting
// for its client's flow-control window or for its upstream never blocks another.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/http2/server_session.h"
#include "net/stream.h"

namespace nexus::server {

class Worker;
class Http2Exchange;

class Http2Connection final : public http2::ServerSession::Listener,
                              public std::enable_shared_from_this<Http2Connection> {
 public:
  // `stream` belongs to the ClientConnection, which outlives run().
  Http2Connection(Worker& worker, net::Stream& stream, std::string client_ip);
  ~Http2Connection() override;
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Serves the connection; `received` holds the bytes already read (the client preface at
  // least). Returns once the connection is finished and every stream's exchange has ended.
  boost::asio::awaitable<void> run(std::string received);

  // Graceful shutdown: GOAWAY; open streams finish, then the connection closes.
  void shutdown();
  // Called by the worker a few times a second: closes a connection idle for too long.
  void on_tick(std::chrono::steady_clock::time_point now);

  // For the exchanges (on this worker's thread).
  Worker& worker() { return worker_; }
  http2::ServerSession& session() { return session_; }
  [[nodiscard]] const std::string& client_ip() const { return client_ip_; }
  [[nodiscard]] bool tls() const { return stream_.is_tls(); }
  // Frames were queued in the session: wake the write loop.
  void wake_writer();
  void on_exchange_done(int32_t stream_id);

 private:
  // http2::ServerSession::Listener
  void on_request(const std::shared_ptr<http2::ServerStream>& stream) override;
  void on_request_body(http2::ServerStream& stream) override;
  void on_response_writable(http2::ServerStream& stream) override;
  void on_stream_closed(http2::ServerStream& stream, uint32_t error_code) override;

  boost::asio::awaitable<void> write_loop();
  void start_exchanges();
  static boost::asio::awaitable<void> serve_stream(std::shared_ptr<Http2Connection> self,
                                                   std::shared_ptr<Http2Exchange> exchange);
  static boost::asio::awaitable<void> flush_loop(std::shared_ptr<Http2Connection> self);
  void stop_reading();

  Worker& worker_;
  net::Stream& stream_;
  std::string client_ip_;
  http2::ServerSession session_;
  std::unordered_map<int32_t, std::shared_ptr<Http2Exchange>> exchanges_;
  std::vector<std::shared_ptr<Http2Exchange>> starting_;  // received, started after receive()
  boost::asio::steady_timer write_signal_;  // the write loop waits on it; cancel() wakes it
  boost::asio::steady_timer done_signal_;   // run() waits on it for the writer and exchanges
  std::string out_;
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point write_started_;
  bool writing_ = false;
  bool reading_ = true;
  bool writer_done_ = false;
};

}  // namespace nexus::server

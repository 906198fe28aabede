// One HTTP/2 request stream as the Downstream of its exchange: the request body comes from the
// codec's per-stream buffer (its window reopened as it is forwarded), the response goes into the
// stream's queue (the exchange waits while the queue is full: per-stream backpressure).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "http/http2/server_stream.h"
#include "server/downstream.h"
#include "server/phase_timer.h"
#include "server/server_metrics.h"

namespace nexus::server {

class Http2Connection;

class Http2Exchange final : public Downstream, public std::enable_shared_from_this<Http2Exchange> {
 public:
  Http2Exchange(Http2Connection& connection, std::shared_ptr<http2::ServerStream> stream);
  ~Http2Exchange() override;
  Http2Exchange(const Http2Exchange&) = delete;
  Http2Exchange& operator=(const Http2Exchange&) = delete;

  // Serves the stream's request; the connection keeps the exchange until this ends.
  boost::asio::awaitable<void> run();
  [[nodiscard]] int32_t stream_id() const { return stream_->id(); }

  // Codec events for this stream.
  void on_stream_event();  // body bytes, end of request, or room in the response queue
  void on_stream_closed(uint32_t error_code);
  // The connection is going away: abort whatever the exchange waits on.
  void abort();

  // Downstream
  [[nodiscard]] Worker& worker() override;
  [[nodiscard]] boost::asio::any_io_executor executor() override { return event_.get_executor(); }
  ExchangeState& state() override { return *state_; }
  [[nodiscard]] std::string_view client_ip() const override;
  [[nodiscard]] bool client_tls() const override;
  void release_head() override {}  // the head lives in the stream, which the exchange holds
  Result<BodyTake> take_body(GatherWriter& gather, bool chunked) override;
  void consume_body(size_t used) override;
  [[nodiscard]] std::span<const http1::Header> request_trailers() const override {
    return stream_->trailers;
  }
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
  [[nodiscard]] bool timed_out(Phase phase) const override { return deadline_.timed_out(phase); }
  // Called by deadline_ when the current wait's deadline passes.
  void on_deadline(Phase phase);
  void awaiting_upstream(bool /*waiting*/) override {}  // RST_STREAM tells us the client left

 private:
  using Clock = std::chrono::steady_clock;
  // Waits until on_stream_event(), a timeout, or the stream's end.
  boost::asio::awaitable<void> wait_event();
  void send_local(int status, std::string_view content_type, std::string_view body,
                  std::span<const http1::Header> headers);

  Http2Connection& connection_;
  std::shared_ptr<http2::ServerStream> stream_;
  std::unique_ptr<ExchangeState> state_;
  boost::asio::steady_timer event_;  // wait_event() waits on it; cancel() wakes it
  PhaseTimer deadline_;              // the current wait's timeout
  ActiveStream active_;              // counted in nexus_streams_active while it lives
  bool head_request_ = false;
};

}  // namespace nexus::server

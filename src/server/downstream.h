// The client side of one exchange, as routing and proxying see it. The HTTP/1.1 connection (one
// exchange at a time) and each HTTP/2 stream implement it, so everything above the codecs
// (serve_exchange, ProxyExchange, the response relay) is written once for both protocols.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/filter/chain_run.h"
#include "nexus/core/result.h"
#include "obs/tracing/request_trace.h"
#include "proxy/upstream/upstream_connection.h"
#include "server/exchange_state.h"
#include "server/filter_pause.h"
#include "server/gather_writer.h"

namespace nexus::config {
struct Route;
}

namespace nexus::server {

class Worker;

// What an exchange is waiting for; a timeout names the phase it happened in.
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

// How an exchange ended, for the HTTP/1.1 connection loop (an HTTP/2 stream ends either way).
enum class Outcome { kKeepAlive, kClose };

// What the client speaks, for metrics: the codec, or on an LLM route the API dialect.
enum class ClientProtocol : uint8_t { kHttp1, kHttp2, kLlmOpenAi, kLlmAnthropic };

// Bookkeeping of the exchange in progress, shared by the proxy and the codec.
struct ExchangeRecord {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start;                                // first byte of the request
  Clock::time_point deadline = Clock::time_point::max();  // the route's total timeout
  Clock::time_point upstream_start{};
  const std::string* upstream_name = nullptr;  // the endpoint's "host:port", for the log
  proxy::Abortable* upstream = nullptr;        // in flight: aborted on timeout or client loss
  uint64_t body_bytes_received = 0;
  uint64_t bytes_sent = 0;
  double upstream_ms = 0;
  Clock::duration upstream_total{};      // every upstream attempt, whole (server_metrics.h)
  const config::Route* route = nullptr;  // the matched route, once routed (null: none)
  ClientProtocol protocol = ClientProtocol::kHttp1;
  bool request_body_done = true;  // the whole request body has been received
  bool routed = false;            // the head was complete and valid: routing was reached
  bool client_gone = false;
  filter::LlmUse llm;  // an LLM exchange's model, provider and usage (model empty: none)
  obs::tracing::RequestTrace trace;  // inactive unless tracing is on (docs/observability.md)

  void reset(Clock::time_point now) { *this = ExchangeRecord{.start = now}; }
};

struct BodyTake {
  size_t used = 0;    // input bytes behind what was added (pass to consume_body())
  bool done = false;  // the body is complete with what was added
};

struct ResponseStart {
  bool chunk_body = false;  // body pieces must be chunk-framed (HTTP/1.1 chunked to the client)
  std::string_view head;    // bytes to send before the body (the HTTP/1.1 head), may be empty
};

class Downstream {
 public:
  virtual ~Downstream() = default;

  ExchangeRecord record;
  // The exchange's filters (not started: the exchange has no chain, or has not got to it yet).
  filter::ChainRun filters;

  [[nodiscard]] virtual Worker& worker() = 0;
  [[nodiscard]] virtual boost::asio::any_io_executor executor() = 0;

  // Request head (views valid until release_head()), upstream response head, output buffer.
  virtual ExchangeState& state() = 0;
  [[nodiscard]] virtual std::string_view client_ip() const = 0;
  [[nodiscard]] virtual bool client_tls() const = 0;

  // Checks that can refuse the request before it goes upstream (an HTTP/1.1 chunked body that
  // is already buffered and malformed).
  virtual Result<void> check_request() { return {}; }
  // The head was serialised for the upstream: its views are no longer used.
  virtual void release_head() = 0;

  // The request body is about to be sent from its start (again, on a retry).
  virtual void begin_body() {}
  // Adds the request body available now to `gather` (chunk-framed when `chunked`), without
  // consuming it: the caller consumes the input with consume_body() once it need not be sent
  // again (a retry on a fresh connection replays a body that is still whole). Counts
  // record.body_bytes_received.
  virtual Result<BodyTake> take_body(GatherWriter& gather, bool chunked) = 0;
  virtual void consume_body(size_t used) = 0;
  // Trailer fields that ended the request body (HTTP/2 clients), for a chunked upstream.
  [[nodiscard]] virtual std::span<const http1::Header> request_trailers() const { return {}; }
  // Waits until more of the request body is available (or fails: timeout, client gone).
  virtual boost::asio::awaitable<Result<void>> wait_for_body() = 0;

  // Starts the response described by state().response (the upstream's head, whose views die
  // when the caller consumes it right after this call).
  virtual ResponseStart begin_response() = 0;
  // Sends `gather` (the head from begin_response() first, then body pieces); `last` ends the
  // body, with `trailers` when the protocol carries them as fields (HTTP/2; an HTTP/1.1 client
  // gets them in the last chunk, which the caller puts in `gather`). False when the client is
  // gone.
  virtual boost::asio::awaitable<bool> send_response(const GatherWriter& gather, bool last,
                                                     std::span<const http1::Header> trailers) = 0;
  // The response went out whole: what happens to the connection.
  virtual Outcome end_response(int status) = 0;
  // The response was started but cannot be completed (upstream broke mid-body, client gone):
  // the client must see a truncated response, never a forged end.
  virtual Outcome cut_short(int status, const Error& error) = 0;

  // Sends a complete response of Nexus's own (nothing of a response was sent yet), then
  // completes the exchange. `error`: why, when it answers a failure.
  virtual boost::asio::awaitable<Outcome> send_reply(int status, std::string_view content_type,
                                                     std::string_view body,
                                                     std::span<const http1::Header> headers,
                                                     const Error* error) = 0;

  // Timeouts: called before every wait; the wait is cancelled when `timeout` passes (or the
  // route's total deadline in the upstream phases).
  virtual void set_deadline(std::chrono::milliseconds timeout, Phase phase) = 0;
  [[nodiscard]] virtual bool timed_out(Phase phase) const = 0;
  // Brackets a wait for upstream bytes (the HTTP/1.1 connection then watches for the client
  // leaving; an HTTP/2 stream learns it from RST_STREAM).
  virtual void awaiting_upstream(bool waiting) = 0;

  // The exchange is over (answered, cut short, or the client left: status 499): the filters'
  // on_complete runs, once. An exchange that ended before it reached a route (a malformed
  // request) goes through the global chain's on_complete only, so it is logged too.
  void complete(int status, const Error* error);

  // Local answers, through the response-headers hooks of the filters that saw the request.
  boost::asio::awaitable<Outcome> reply_error(Error error);
  boost::asio::awaitable<Outcome> reply_local(int status, std::string_view content_type,
                                              std::string_view body);
  boost::asio::awaitable<Outcome> reply_filter(filter::LocalReply reply);

  // Creates the filters of `chain` for this exchange (`route`: the matched one, or null).
  void start_filters(const config::FilterChain& chain, const config::Route* route);
  // Waits while a filter keeps the exchange paused (`verdict` is kPause); returns the verdict it
  // ended with (a reply when the client left meanwhile). Callers only co_await it after a pause:
  // a coroutine call per hook costs more than most filters.
  boost::asio::awaitable<filter::Verdict> settle(filter::Verdict verdict);

 protected:
  // Whether a filter holds the exchange paused, and ending that pause (the client left).
  [[nodiscard]] bool paused() const { return paused_; }
  void cancel_pause();

 private:
  boost::asio::awaitable<Outcome> reply_through_filters(int status, std::string_view content_type,
                                                        std::string_view body,
                                                        std::vector<http1::Header> headers,
                                                        const Error* error);
  // The process log's line for a failed exchange, with its request id and trace id.
  void log_failure(int status, const Error& error);
  std::unique_ptr<FilterPause> pause_;  // made with the first chain (needs the executor)
  bool paused_ = false;
};

}  // namespace nexus::server

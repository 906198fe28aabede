// Routing and proxying of one exchange, above the codecs: the same code serves an HTTP/1.1
// request and an HTTP/2 stream (see downstream.h).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "nexus/config/config.h"
#include "proxy/upstream/cluster_runtime.h"
#include "server/downstream.h"

namespace nexus::server {

class Worker;

// Matches the request in downstream.state().request to a route and answers it: a direct
// response, a 404, or the upstream's response through ProxyExchange.
boost::asio::awaitable<Outcome> serve_exchange(Worker& worker, Downstream& downstream);

// One request sent to one upstream endpoint and its response relayed back: pick an endpoint,
// take or open a connection, send the head and body (streamed, with backpressure), read the
// response head (proxy_exchange.cc), relay the response (response_relay.cc).
class ProxyExchange {
 public:
  ProxyExchange(Worker& worker, Downstream& downstream, const config::Route& route)
      : worker_(worker), downstream_(downstream), route_(route) {}

  boost::asio::awaitable<Outcome> run();

 private:
  // Endpoint health (breakers, health checks) and retries (proxy_resilience.cc).
  std::optional<size_t> pick_endpoint(proxy::ClusterRuntime& cluster,
                                      const proxy::LbContext& context);
  boost::asio::awaitable<Outcome> reply_all_open(proxy::ClusterRuntime& cluster);
  boost::asio::awaitable<Outcome> reply_unreachable(Error error, std::string retry_after = {});
  void judge_failure(ErrorCode code);
  void request_sent(bool replayable);
  // Whether the attempt that failed with `code` (or whose answer has a status the route retries)
  // is tried again; if so, retry_in_ says after how long, and nothing was answered.
  bool plan_retry(ErrorCode code);
  bool plan_status_retry();
  // Waits retry_in_, then the balancer's next pick that its breaker admits (none: nullopt).
  boost::asio::awaitable<std::optional<size_t>> next_attempt(proxy::ClusterRuntime& cluster,
                                                             const proxy::LbContext& context);
  boost::asio::awaitable<Outcome> exchange(proxy::ClusterRuntime& cluster, size_t endpoint);
  boost::asio::awaitable<Outcome> upstream_failed(Error error);
  void response_head_arrived();
  // The first-byte timeout of this attempt (adaptive when the route says so), and the time it
  // starts from; a timeout that passed is observed like a (late) answer.
  std::chrono::milliseconds start_first_byte_wait();
  void first_byte_failed(const Error& error);
  boost::asio::awaitable<Result<void>> send_request(proxy::UpstreamConnection& upstream,
                                                    bool& replayable);
  boost::asio::awaitable<Result<size_t>> read_response_head(proxy::UpstreamConnection& upstream);
  boost::asio::awaitable<Outcome> relay_response(proxy::UpstreamConnection& upstream,
                                                 size_t head_size, bool& upstream_reusable);

  // The same steps for an HTTP/2 upstream, on a stream of a shared connection
  // (proxy_exchange_h2.cc).
  class Http2Call;
  boost::asio::awaitable<Outcome> exchange_http2(proxy::ClusterRuntime& cluster, size_t endpoint);
  boost::asio::awaitable<Result<std::shared_ptr<proxy::Http2Upstream>>> http2_connection(
      proxy::ClusterRuntime& cluster, size_t endpoint);
  boost::asio::awaitable<Result<void>> send_request(Http2Call& call, bool& replayable);
  boost::asio::awaitable<Result<void>> read_response_head(Http2Call& call);
  boost::asio::awaitable<Outcome> relay_response(Http2Call& call);

  // Filter hooks (proxy_filters.cc). False / an error: a filter answered (filter_reply_).
  // filter_upstream_request and filter_response_head: only when a filter has the hook.
  boost::asio::awaitable<bool> filter_upstream_request();
  // Takes the request body available now (see Downstream::take_body), through the request-body
  // filters when there are any.
  boost::asio::awaitable<Result<BodyTake>> take_request_body(GatherWriter& gather, bool chunked);
  boost::asio::awaitable<bool> filter_response_head();
  // Whether response body pieces go through filters (collected in response_piece_ first).
  [[nodiscard]] bool filters_response_body() const;
  boost::asio::awaitable<Result<void>> filter_response_body(bool end);
  boost::asio::awaitable<Outcome> reply_for_filter();

  Worker& worker_;
  Downstream& downstream_;
  const config::Route& route_;
  proxy::ClusterRuntime* cluster_ = nullptr;
  // The endpoint's circuit breaker: what it let through, and how the request went.
  proxy::CircuitBreaker::Admission admission_ = proxy::CircuitBreaker::Admission::kAdmitted;
  proxy::CircuitBreaker::Verdict verdict_ = proxy::CircuitBreaker::Verdict::kNeutral;
  // Retries: the attempt under way (1 = the first), whether some of the request went upstream
  // (it may have been processed), whether all of it is still at hand to send again, and the
  // wait before the next attempt once one is planned.
  uint32_t attempt_ = 1;
  bool request_touched_ = false;
  bool request_replayable_ = true;
  std::optional<std::chrono::steady_clock::duration> retry_in_;
  // When the wait for the response head began, only when the cluster tracked first-byte times
  // then (a tracker made meanwhile by another request must not get a sample from the epoch).
  std::chrono::steady_clock::time_point first_byte_from_{};
  size_t replayable_bytes_ = 0;    // request body input kept for a possible retry
  bool upstream_chunked_ = false;  // the request body goes to an HTTP/1.1 upstream chunked
  std::optional<filter::LocalReply> filter_reply_;
  std::string request_piece_;   // request body through the filters
  std::string response_piece_;  // response body through the filters
};

// An HTTP/1.1 connection to `endpoint`: a pooled one when `pooled` and there is one, else a new
// one (within the cluster's connect timeout). It is the exchange's record.upstream (abortable).
// Shared by the proxy and the LLM exchange.
boost::asio::awaitable<Result<std::unique_ptr<proxy::UpstreamConnection>>> connect_upstream(
    Downstream& downstream, proxy::ClusterRuntime& cluster, size_t endpoint, bool pooled);

// Reads an HTTP/1.1 upstream's response head into downstream.state().response (1xx skipped,
// an unasked 101 refused) within `first_byte`; returns the head's size in upstream.in().
// Shared by the proxy and the LLM exchange.
boost::asio::awaitable<Result<size_t>> read_upstream_head(Downstream& downstream,
                                                          proxy::UpstreamConnection& upstream,
                                                          const http1::ParserLimits& limits,
                                                          std::chrono::milliseconds first_byte,
                                                          std::string_view method);

// Marks a wait for upstream bytes (see Downstream::awaiting_upstream).
class AwaitingUpstream {
 public:
  explicit AwaitingUpstream(Downstream& downstream) : downstream_(downstream) {
    downstream_.awaiting_upstream(true);
  }
  ~AwaitingUpstream() { downstream_.awaiting_upstream(false); }
  AwaitingUpstream(const AwaitingUpstream&) = delete;
  AwaitingUpstream& operator=(const AwaitingUpstream&) = delete;

 private:
  Downstream& downstream_;
};

}  // namespace nexus::server

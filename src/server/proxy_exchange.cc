// Routing, and the request half of the proxy exchange: pick an endpoint, get a connection, send
// the request (its body streamed with backpressure) and read the response head.
// response_relay.cc relays the response.

#include "server/proxy_exchange.h"

#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "http/http2/fields.h"
#include "obs/log_format.h"
#include "obs/tracing/tracer.h"
#include "proxy/router.h"
#include "server/io_constants.h"
#include "server/llm_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// The request's server span (docs/observability.md), begun once it reaches routing.
void start_trace(obs::tracing::Tracer& tracer, const http1::RequestHead& request,
                 const config::Route* route, obs::tracing::RequestTrace& trace) {
  const auto* parent = http1::find_header(request.headers, "traceparent");
  const auto* state = http1::find_header(request.headers, "tracestate");
  trace.begin(&tracer, parent != nullptr ? parent->value : std::string_view(),
              state != nullptr ? state->value : std::string_view(), request.method, request.path,
              request.host);
  if (route != nullptr) {
    trace.set_route(route->name);
  }
}

}  // namespace

asio::awaitable<Outcome> serve_exchange(Worker& worker, Downstream& downstream) {
  ExchangeState& state = downstream.state();
  const http1::RequestHead& request = state.request;
  downstream.record.routed = true;
  state.log_method.assign(request.method);
  obs::assign_redacted_target(state.log_target, request.target);
  const Snapshot& snapshot = worker.snapshot();
  const LoadGate load(worker.load(), snapshot.config.server.limits);
  if (const std::optional<Error>& refused = load.refusal(); refused.has_value()) {
    downstream.release_head();  // shed before any work: no routing, no filters
    filter::LocalReply reply = filter::LocalReply::from_error(*refused);
    reply.headers.emplace_back("retry-after", "1");
    reply.error = refused;
    co_return co_await downstream.reply_filter(std::move(reply));
  }
  const config::Route* route =
      snapshot.router->match({request.method, request.host, request.path, request.headers});
  downstream.record.route = route;
  if (obs::tracing::Tracer* tracer = worker.tracer()) {
    start_trace(*tracer, request, route, downstream.record.trace);
  }
  // A request no route matches still goes through the global filters (an IP deny list or an
  // auth filter answers before a 404 tells anything about the routes).
  const config::FilterChain& chain =
      route != nullptr ? route->filters : snapshot.config.global_filters;
  if (!chain.empty()) {
    downstream.start_filters(chain, route);
    filter::Verdict verdict = downstream.filters.request_headers(state.request.headers);
    if (verdict == filter::Verdict::kPause) {
      verdict = co_await downstream.settle(verdict);
    }
    if (verdict == filter::Verdict::kReply) {
      filter::LocalReply reply = downstream.filters.take_reply();
      if (route != nullptr && route->llm) {
        restyle_for_llm_client(state.request, reply);  // while the head's views are valid
      }
      downstream.release_head();
      co_return co_await downstream.reply_filter(std::move(reply));
    }
  }
  if (route == nullptr) {
    downstream.release_head();  // answered here: the head's views are not needed any more
    Error error(ErrorCode::kNotFound, "no route for " + state.log_method + " " + state.log_target);
    co_return co_await downstream.reply_error(std::move(error));
  }
  if (const auto& direct = route->direct_response; direct.has_value()) {
    downstream.release_head();
    co_return co_await downstream.reply_local(direct->status, direct->content_type, direct->body);
  }
  if (route->llm) {
    LlmExchange exchange(worker, downstream, *route);
    co_return co_await exchange.run();  // releases the head once it is read
  }
  ProxyExchange exchange(worker, downstream, *route);
  co_return co_await exchange.run();  // releases the head once it is forwarded
}

asio::awaitable<Outcome> ProxyExchange::run() {
  ExchangeState& state = downstream_.state();
  const http1::RequestHead& request = state.request;
  const size_t cluster_id = worker_.snapshot().cluster_of(route_);
  proxy::ClusterRuntime& cluster = worker_.cluster(cluster_id);
  cluster_ = &cluster;

  if (auto checked = downstream_.check_request(); !checked) {
    downstream_.release_head();
    Error error = std::move(checked.error());
    co_return co_await downstream_.reply_error(std::move(error));
  }
  proxy::LbContext lb_context;
  if (cluster.config().lb == config::LbPolicy::kConsistentHash) {
    if (cluster.config().hash.header.empty()) {
      lb_context.hash_key = downstream_.client_ip();
    } else if (const auto* header =
                   http1::find_header(request.headers, cluster.config().hash.header)) {
      lb_context.hash_key = header->value;
    }
  }
  const auto endpoint = pick_endpoint(cluster, lb_context);
  if (!endpoint) {
    downstream_.release_head();
    Error error(ErrorCode::kUpstreamUnavailable,
                "cluster '" + cluster.config().name + "' has no endpoint to send the request to");
    co_return co_await downstream_.reply_error(std::move(error));
  }
  if (admission_ == proxy::CircuitBreaker::Admission::kRefused) {
    downstream_.release_head();
    co_return co_await reply_all_open(cluster);
  }
  if (downstream_.filters.has_hook(filter::kUpstreamRequestHook)) {
    if (const bool go_on = co_await filter_upstream_request(); !go_on) {
      downstream_.release_head();
      co_return co_await reply_for_filter();  // the upstream was never contacted
    }
  }
  ExchangeRecord& record = downstream_.record;

  // Serialise the upstream head while the request's views are valid, then let the head go.
  http1::UpstreamRequestInfo info;
  std::string rewritten;
  if (route_.prefix_rewrite) {
    rewritten = proxy::rewrite_target(route_, request.target);
    info.target = rewritten;
  } else {
    info.target = request.target;
  }
  info.host = route_.host_rewrite ? std::string_view(*route_.host_rewrite) : request.host;
  info.client_ip = downstream_.client_ip();
  info.client_tls = downstream_.client_tls();
  info.framing = request.framing;
  info.content_length = request.content_length;
  info.traceparent = record.trace.traceparent();  // the first attempt's (see begin_attempt)
  info.tracestate = record.trace.tracestate();
  if (downstream_.filters.request_body_resized() && info.framing != http1::BodyFraming::kNone) {
    info.framing = http1::BodyFraming::kChunked;  // a filter rewrites the body: length unknown
    info.content_length = 0;
  }
  upstream_chunked_ = info.framing == http1::BodyFraming::kChunked;
  const bool http2 = cluster.config().protocol == config::UpstreamProtocol::kHttp2;
  if (http2) {
    state.fields_storage.clear();
    state.fields.clear();
    http2::request_fields(request, info, cluster.config().tls.enabled, state.fields_storage,
                          state.fields);
  } else {
    state.head_out.clear();
    http1::write_upstream_request_head(request, info, state.head_out);
  }
  downstream_.release_head();

  record.deadline = route_.timeouts.total.count() == 0 ? Clock::time_point::max()
                                                       : Clock::now() + route_.timeouts.total;
  // The budget's counts only matter to a route that can retry (one clock read less otherwise).
  if (route_.retries.attempts > 1) {
    cluster.retry_budget().on_first_attempt(Clock::now());
  }
  const bool breaker = cluster.config().circuit_breaker.enabled;
  Outcome outcome = Outcome::kClose;
  for (size_t current = *endpoint;;) {
    record.upstream_name = &cluster.endpoint_name(current);
    record.upstream_start = Clock::now();
    record.trace.begin_attempt(state.log_method, *record.upstream_name,
                               http2 ? &state.fields_storage : &state.head_out);
    cluster.load_balancer().on_request_start(current);
    {
      const UpstreamTiming timing(record, worker_.metrics(), cluster_id);
      if (http2) {
        outcome = co_await exchange_http2(cluster, current);
      } else {
        outcome = co_await exchange(cluster, current);
      }
    }
    record.trace.end_attempt();
    cluster.load_balancer().on_request_end(current);
    if (breaker) {
      cluster.report(current, admission_, verdict_, Clock::now());
    }
    if (!retry_in_) {
      break;
    }
    // The attempt failed in a way the route retries, and nothing was answered: wait, then try
    // the balancer's next pick.
    const std::optional<size_t> next = co_await next_attempt(cluster, lb_context);
    if (!next) {  // every breaker open: the failures that opened them were these
      outcome = co_await reply_all_open(cluster);
      break;
    }
    current = *next;
  }
  record.deadline = Clock::time_point::max();
  co_return outcome;
}

// Sends the request on a pooled connection when there is one. A pooled connection that fails
// before any response byte may simply have been closed by the upstream while idle: the request
// is sent once more on a new connection if its whole body is still in our buffer.
asio::awaitable<Outcome> ProxyExchange::exchange(proxy::ClusterRuntime& cluster, size_t endpoint) {
  ExchangeRecord& record = downstream_.record;
  for (int attempt = 0;; ++attempt) {
    auto connected = co_await connect_upstream(downstream_, cluster, endpoint, attempt == 0);
    if (!connected) {
      Error error = std::move(connected.error());
      co_return co_await upstream_failed(std::move(error));
    }
    std::unique_ptr<proxy::UpstreamConnection> upstream = std::move(*connected);

    bool replayable = false;
    auto sent = co_await send_request(*upstream, replayable);
    request_sent(replayable);
    Result<size_t> head = std::unexpected(Error(ErrorCode::kInternal, ""));
    if (sent) {
      head = co_await read_response_head(*upstream);
    } else {
      head = std::unexpected(sent.error());
    }
    if (!head) {
      record.upstream = nullptr;
      const bool stale = upstream->reused() && upstream->in().empty() &&
                         head.error().code() == ErrorCode::kUpstreamReset;
      if (stale && replayable && attempt == 0 && !record.client_gone) {
        continue;
      }
      Error error = std::move(head.error());
      co_return co_await upstream_failed(std::move(error));
    }
    if (plan_status_retry()) {
      record.upstream = nullptr;
      co_return Outcome::kClose;  // the connection is dropped with its unread answer
    }
    response_head_arrived();

    bool reusable = false;
    const Outcome outcome = co_await relay_response(*upstream, *head, reusable);
    record.upstream = nullptr;
    if (reusable) {
      cluster.give_back(std::move(upstream));
    }
    co_return outcome;
  }
}

// The request will not be sent again: a body kept for a retry is done with.
void ProxyExchange::response_head_arrived() {
  downstream_.consume_body(replayable_bytes_);
  replayable_bytes_ = 0;
  request_replayable_ = false;
  ExchangeRecord& record = downstream_.record;
  const auto now = Clock::now();
  record.upstream_ms =
      std::chrono::duration<double, std::milli>(now - record.upstream_start).count();
  const int status = downstream_.state().response.status;
  if (status < 500 && first_byte_from_ != Clock::time_point{}) {
    cluster_->observe_first_byte(now - first_byte_from_);
  }
  using Verdict = proxy::CircuitBreaker::Verdict;
  const config::CircuitBreaker& breaker = cluster_->config().circuit_breaker;
  if (status >= 500) {
    verdict_ = Verdict::kFailure;
  } else if (breaker.slow_call.count() > 0 && now - record.upstream_start > breaker.slow_call) {
    verdict_ = Verdict::kSlowSuccess;
  } else {
    verdict_ = Verdict::kSuccess;
  }
}

// An upstream failure before any response byte reached the client: answer with the JSON error,
// unless the client is gone or its own request was at fault.
asio::awaitable<Outcome> ProxyExchange::upstream_failed(Error error) {
  downstream_.record.trace.attempt_failed(error.code_name(), error.message());
  judge_failure(error.code());
  if (plan_retry(error.code())) {
    co_return Outcome::kClose;  // run() tries again: the body stays for it
  }
  // A body kept for a retry is done with: drop it, or it would be read as the next request.
  downstream_.consume_body(replayable_bytes_);
  replayable_bytes_ = 0;
  if (downstream_.record.client_gone) {
    downstream_.complete(499, &error);
    co_return Outcome::kClose;
  }
  if (filter_reply_.has_value()) {  // a request-body filter refused the request
    co_return co_await reply_for_filter();
  }
  if (error.source() == ErrorSource::kUpstream) {
    // A full pool (the cluster's bulkhead) is congestion of the moment: come back in a second.
    std::string retry_after = error.code() == ErrorCode::kUpstreamUnavailable ? "1" : "";
    co_return co_await reply_unreachable(std::move(error), std::move(retry_after));
  }
  co_return co_await downstream_.reply_error(std::move(error));
}

asio::awaitable<Result<void>> ProxyExchange::send_request(proxy::UpstreamConnection& upstream,
                                                          bool& replayable) {
  ExchangeState& state = downstream_.state();
  ExchangeRecord& record = downstream_.record;
  const bool chunked = upstream_chunked_;
  // A body that went through filters cannot be sent again (they have consumed it).
  const bool filtered = downstream_.filters.has_hook(filter::kRequestBodyHook) &&
                        downstream_.filters.wants_request_body();
  record.body_bytes_received = 0;
  downstream_.begin_body();
  replayable = false;
  replayable_bytes_ = 0;
  GatherWriter gather;
  std::string last_chunk;
  bool head_pending = true;
  for (;;) {
    gather.clear();
    if (head_pending) {
      gather.add(state.head_out);
    }
    auto taken = co_await take_request_body(gather, chunked);
    if (!taken) {
      co_return std::unexpected(taken.error());
    }
    record.request_body_done = taken->done;
    if (taken->done && chunked) {
      last_chunk.clear();
      http1::write_last_chunk(downstream_.request_trailers(), last_chunk);
      gather.add(last_chunk);
    }
    replayable = head_pending && taken->done && !filtered;
    if (!gather.empty()) {
      downstream_.set_deadline(route_.timeouts.idle, Phase::kUpstreamBody);
      auto [error, n] = co_await asio::async_write(upstream.stream(), gather.buffers(), kAwait);
      if (error) {
        co_return fail(downstream_.timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                                   : ErrorCode::kUpstreamReset,
                       "sending the request upstream failed: " + error.message());
      }
    }
    head_pending = false;
    if (replayable) {
      replayable_bytes_ = taken->used;  // consumed once the response arrives
      co_return Result<void>{};
    }
    downstream_.consume_body(taken->used);
    if (taken->done) {
      co_return Result<void>{};
    }
    if (auto more = co_await downstream_.wait_for_body(); !more) {
      co_return std::unexpected(more.error());
    }
  }
}

asio::awaitable<Result<size_t>> ProxyExchange::read_response_head(
    proxy::UpstreamConnection& upstream) {
  const std::chrono::milliseconds timeout = start_first_byte_wait();
  auto head = co_await read_upstream_head(downstream_, upstream, worker_.snapshot().response_limits,
                                          timeout, downstream_.state().log_method);
  if (!head) {
    first_byte_failed(head.error());
  }
  co_return head;
}

std::chrono::milliseconds ProxyExchange::start_first_byte_wait() {
  const config::AdaptiveTimeout& adaptive = route_.timeouts.adaptive_first_byte;
  std::chrono::milliseconds timeout = route_.timeouts.first_byte;
  if (adaptive.enabled) {
    timeout = cluster_->first_byte_times(adaptive).current();
  }
  if (cluster_->tracks_first_byte()) {
    first_byte_from_ = Clock::now();
  }
  return timeout;
}

// Observed as a sample of the time waited: otherwise an upstream that slowed down for good
// would see every request time out and the adaptive timeout never learn of it.
void ProxyExchange::first_byte_failed(const Error& error) {
  if (error.code() == ErrorCode::kUpstreamTimeout && first_byte_from_ != Clock::time_point{} &&
      downstream_.timed_out(Phase::kUpstreamFirstByte)) {
    cluster_->observe_first_byte(Clock::now() - first_byte_from_);
  }
}

asio::awaitable<Result<size_t>> read_upstream_head(Downstream& downstream,
                                                   proxy::UpstreamConnection& upstream,
                                                   const http1::ParserLimits& limits,
                                                   std::chrono::milliseconds first_byte,
                                                   std::string_view method) {
  ExchangeState& state = downstream.state();
  http1::ResponseHeadParser parser(limits);
  downstream.set_deadline(first_byte, Phase::kUpstreamFirstByte);
  const AwaitingUpstream awaiting(downstream);
  for (;;) {
    state.response.clear();
    auto parsed = parser.parse(upstream.in().readable(), method, state.response);
    if (!parsed) {
      co_return parsed;
    }
    if (*parsed > 0) {
      const int status = state.response.status;
      if (status == 101) {
        co_return fail(ErrorCode::kUpstreamProtocolError,
                       "the upstream switched protocols without being asked to");
      }
      if (status >= 200) {
        co_return parsed;
      }
      upstream.in().consume(*parsed);  // 100 Continue and 103 Early Hints: not forwarded
      parser.reset();
      continue;
    }
    auto buffer = upstream.in().prepare(kReadChunk, limits.max_head_bytes + kReadChunk);
    auto [error, n] = co_await upstream.stream().async_read_some(buffer, kAwait);
    if (error) {
      if (downstream.timed_out(Phase::kUpstreamFirstByte)) {
        co_return fail(ErrorCode::kUpstreamTimeout, "the upstream did not respond in time");
      }
      co_return fail(
          ErrorCode::kUpstreamReset,
          "the upstream closed the connection before a complete response head: " + error.message());
    }
    upstream.in().commit(n);
  }
}

}  // namespace nexus::server

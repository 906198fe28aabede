// The proxy exchange's use of endpoint health (passive and active) and its retries: which endpoint
// an attempt goes to, how it is judged for the endpoint's circuit breaker, and whether a failed
// attempt is tried again.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <random>

#include "http/http1/message.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Verdict = proxy::CircuitBreaker::Verdict;

namespace {

// What a circuit breaker counts against the endpoint: not the client's faults, not a full pool.
bool is_endpoint_failure(ErrorCode code) {
  return code == ErrorCode::kUpstreamConnectFailed || code == ErrorCode::kUpstreamReset ||
         code == ErrorCode::kUpstreamProtocolError || code == ErrorCode::kUpstreamTimeout;
}

// Methods a client may repeat without changing the outcome (RFC 9110 §9.2.2).
bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

// Full jitter (a uniform wait up to the exponential bound) spreads the retries of many clients
// that failed together, instead of sending them back in step.
Clock::duration backoff(const config::RetryPolicy& policy, uint32_t retry) {
  thread_local std::minstd_rand random{std::random_device{}()};
  const auto base = std::chrono::duration_cast<std::chrono::microseconds>(policy.backoff_base);
  const auto cap = std::chrono::duration_cast<std::chrono::microseconds>(policy.backoff_max);
  const auto bound = std::min(cap, base * (int64_t{1} << std::min<uint32_t>(retry - 1, 20)));
  std::uniform_int_distribution<int64_t> wait(0, bound.count());
  return std::chrono::microseconds(wait(random));
}

}  // namespace

// The balancer's choice, passed over while its circuit breaker is open or it fails its active
// health checks. Each endpoint is offered about once per pick; when the balancer keeps offering
// passed-over ones (random draws, a consistent hash's fixed choice), the endpoints after its
// last offer are tried in order. With every breaker open the request is refused at once. When
// every endpoint fails its checks they are ignored (Envoy's panic mode): trying them all beats
// refusing everything on what may be a broken check.
std::optional<size_t> ProxyExchange::pick_endpoint(proxy::ClusterRuntime& cluster,
                                                   const proxy::LbContext& context) {
  // Neither breakers nor health checks: every pick is admitted, without a clock read.
  if (!cluster.config().circuit_breaker.enabled && !cluster.config().health_check.enabled) {
    admission_ = proxy::CircuitBreaker::Admission::kAdmitted;
    return cluster.load_balancer().pick(context);
  }
  const auto now = Clock::now();
  const bool panic = !cluster.any_healthy();
  const size_t count = cluster.config().endpoints.size();
  auto usable = [&](size_t candidate) {
    if (!panic && !cluster.healthy(candidate)) {
      admission_ = proxy::CircuitBreaker::Admission::kRefused;
      return false;
    }
    admission_ = cluster.admit(candidate, now);
    return admission_ != proxy::CircuitBreaker::Admission::kRefused;
  };
  std::optional<size_t> endpoint;
  for (size_t offered = 0; offered < count; ++offered) {
    endpoint = cluster.load_balancer().pick(context);
    if (!endpoint) {
      return std::nullopt;
    }
    if (usable(*endpoint)) {
      return endpoint;
    }
  }
  if (!endpoint) {
    return std::nullopt;
  }
  for (size_t step = 1; step < count; ++step) {
    const size_t candidate = (*endpoint + step) % count;
    if (usable(candidate)) {
      return candidate;
    }
  }
  return endpoint;  // refused (admission_): every endpoint is passed over
}

// 503 with Retry-After: the seconds until the first breaker lets a probe through.
asio::awaitable<Outcome> ProxyExchange::reply_all_open(proxy::ClusterRuntime& cluster) {
  const auto now = Clock::now();
  const auto wait = std::chrono::ceil<std::chrono::seconds>(cluster.next_probe(now) - now);
  Error error(ErrorCode::kUpstreamUnavailable, "every endpoint of cluster '" +
                                                   cluster.config().name +
                                                   "' is failing (circuit breakers open)");
  co_return co_await reply_unreachable(std::move(error),
                                       std::to_string(std::max<int64_t>(1, wait.count())));
}

// The route's fallback_response when it has one (x-nexus-fallback names why; the access log
// keeps the error), else the JSON error.
asio::awaitable<Outcome> ProxyExchange::reply_unreachable(Error error, std::string retry_after) {
  filter::LocalReply reply;
  if (const auto& fallback = route_.fallback_response; fallback.has_value()) {
    reply = filter::LocalReply{.status = fallback->status,
                               .content_type = fallback->content_type,
                               .body = fallback->body,
                               .headers = {{"x-nexus-fallback", std::string(error.code_name())}}};
  } else {
    reply = filter::LocalReply::from_error(error);
    if (!retry_after.empty()) {
      reply.headers.emplace_back("retry-after", std::move(retry_after));
    }
  }
  reply.error = std::move(error);
  co_return co_await downstream_.reply_filter(std::move(reply));
}

void ProxyExchange::judge_failure(ErrorCode code) {
  if (is_endpoint_failure(code) && !downstream_.record.client_gone) {
    verdict_ = Verdict::kFailure;
  }
}

void ProxyExchange::request_sent(bool replayable) {
  request_touched_ = true;
  request_replayable_ = replayable;
}

// Safe to send again: nothing of it reached the upstream, or its method is idempotent and all
// of it is still at hand; and attempts, time and the cluster's retry budget are left.
bool ProxyExchange::plan_retry(ErrorCode code) {
  const config::RetryPolicy& policy = route_.retries;
  const bool wanted = (code == ErrorCode::kUpstreamConnectFailed && policy.on_connect_failure) ||
                      (code == ErrorCode::kUpstreamReset && policy.on_reset) ||
                      (code == ErrorCode::kUpstreamTimeout && policy.on_timeout);
  if (!wanted || attempt_ >= policy.attempts || downstream_.record.client_gone) {
    return false;
  }
  if (request_touched_ &&
      (!request_replayable_ || !is_idempotent(downstream_.state().log_method))) {
    return false;
  }
  const Clock::duration wait = backoff(policy, attempt_);
  if (Clock::now() + wait >= downstream_.record.deadline ||
      !cluster_->retry_budget().try_spend(Clock::now())) {
    return false;
  }
  retry_in_ = wait;
  return true;
}

// A 5xx or 429 answer the route retries, on a request safe to repeat; a Retry-After longer
// than the route's longest backoff is honoured by giving the answer to the client instead.
bool ProxyExchange::plan_status_retry() {
  const config::RetryPolicy& policy = route_.retries;
  const http1::ResponseHead& response = downstream_.state().response;
  downstream_.record.trace.attempt_status(response.status);  // every response head passes here
  const bool wanted =
      (response.status >= 500 && policy.on_5xx) || (response.status == 429 && policy.on_429);
  if (!wanted || attempt_ >= policy.attempts || downstream_.record.client_gone ||
      !request_replayable_ || !is_idempotent(downstream_.state().log_method)) {
    return false;
  }
  Clock::duration wait = backoff(policy, attempt_);
  if (const auto* field = http1::find_header(response.headers, "retry-after")) {
    uint64_t seconds = 0;
    const auto [end, error] =
        std::from_chars(field->value.data(), field->value.data() + field->value.size(), seconds);
    if (error == std::errc{} && end == field->value.data() + field->value.size()) {
      if (std::chrono::seconds(seconds) > policy.backoff_max) {
        return false;
      }
      wait = std::chrono::seconds(seconds);
    }
  }
  if (Clock::now() + wait >= downstream_.record.deadline ||
      !cluster_->retry_budget().try_spend(Clock::now())) {
    return false;
  }
  verdict_ = response.status >= 500 ? Verdict::kFailure : Verdict::kNeutral;
  retry_in_ = wait;
  return true;
}

asio::awaitable<std::optional<size_t>> ProxyExchange::next_attempt(
    proxy::ClusterRuntime& cluster, const proxy::LbContext& context) {
  const Clock::duration wait = retry_in_.value_or(Clock::duration::zero());
  retry_in_.reset();
  if (wait > Clock::duration::zero()) {
    asio::steady_timer timer(downstream_.executor(), wait);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  ++attempt_;
  request_touched_ = false;
  verdict_ = Verdict::kNeutral;
  const std::optional<size_t> endpoint = pick_endpoint(cluster, context);
  if (!endpoint || admission_ == proxy::CircuitBreaker::Admission::kRefused) {
    co_return std::nullopt;
  }
  co_return endpoint;
}

}  // namespace nexus::server

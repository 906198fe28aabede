// The parts of an exchange that are the same for every protocol: driving its filter chain,
// local answers through the response-headers hooks, and completion.
#include "server/downstream.h"

#include <spdlog/spdlog.h>

#include <array>
#include <string>

#include "http/filter/request_slots.h"
#include "obs/logging.h"
#include "obs/tracing/trace_context.h"
#include "server/io_constants.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

void Downstream::start_filters(const config::FilterChain& chain, const config::Route* route) {
  if (!pause_) {
    pause_ = std::make_unique<FilterPause>(executor());
  }
  const ExchangeState& exchange = state();
  const filter::RequestInfo info{.method = exchange.log_method,
                                 .target = exchange.log_target,
                                 .host = exchange.request.host,
                                 .peer_ip = client_ip(),
                                 .route = route != nullptr ? route->name : std::string_view(),
                                 .client_tls = client_tls()};
  filters.start(chain, info, pause_.get(),
                route != nullptr ? route->buffer_limit : config::Route{}.buffer_limit,
                worker().metrics());
}

void Downstream::log_failure(int status, const Error& error) {
  // Nexus's own failures and the upstream's are errors; a client's mistakes (4xx, 499: the
  // client left) only at debug level, or a misbehaving client would flood the log.
  const auto level = status >= 500 ? spdlog::level::err : spdlog::level::debug;
  if (!spdlog::default_logger_raw()->should_log(level)) {
    return;
  }
  // Filters not started: none ran on_request_headers, so there is no request id.
  const std::string_view* request_id =
      filters.started() ? filters.context().slots().get(filter::kRequestId) : nullptr;
  std::array<char, 32> trace_id{};
  const bool traced = record.trace.active();
  if (traced) {
    obs::tracing::write_hex(record.trace.trace_id(), trace_id);
  }
  std::string message = "request failed: ";
  message.append(std::to_string(status));
  message.push_back(' ');
  message.append(error.code_name());
  message.append(": ");
  message.append(error.message());
  obs::log_request_error(
      level, request_id != nullptr ? *request_id : std::string_view(),
      traced ? std::string_view(trace_id.data(), trace_id.size()) : std::string_view(), message);
}

void Downstream::complete(int status, const Error* error) {
  if (error != nullptr) {
    log_failure(status, *error);  // while the trace is still open (finish() ends it)
  }
  if (WorkerMetrics* metrics = worker().metrics(); metrics != nullptr) {
    metrics->exchange_done(record, status, ExchangeRecord::Clock::now());
  }
  if (record.trace.active()) {
    // An answered LLM attempt completes the exchange before its attempt is over: its usage now.
    if (const auto& usage = record.llm.usage; usage.has_value() && record.trace.sampled()) {
      record.trace.attempt_usage({}, usage->input, usage->output);
    }
    record.trace.finish(status, error != nullptr ? error->code_name() : std::string_view(),
                        error != nullptr ? std::string_view(error->message()) : std::string_view());
  }
  if (!filters.started()) {
    const config::FilterChain& global = worker().snapshot().config.global_filters;
    if (global.empty()) {
      return;
    }
    state().request.host = {};  // the head may not have been parsed (or is gone)
    start_filters(global, nullptr);
  }
  const std::string* upstream = record.upstream_name;
  filters.complete({
      .status = status,
      .error = error,
      .request_body_bytes = record.body_bytes_received,
      .response_bytes = record.bytes_sent,
      .duration_ms =
          std::chrono::duration<double, std::milli>(ExchangeRecord::Clock::now() - record.start)
              .count(),
      .upstream_ms = record.upstream_ms,
      .upstream = upstream != nullptr ? std::string_view(*upstream) : std::string_view{},
      .llm = record.llm.model.empty() ? nullptr : &record.llm,
  });
}

asio::awaitable<filter::Verdict> Downstream::settle(filter::Verdict verdict) {
  while (verdict == filter::Verdict::kPause) {
    const std::optional<std::chrono::milliseconds> delay = filters.pause_delay();
    FilterPause::Wake& wake = pause_->current();
    if (!wake.resumed) {
      wake.timer.expires_after(delay.value_or(kMaxFilterPause));
      paused_ = true;
      awaiting_upstream(true);  // an HTTP/1.1 client that leaves meanwhile ends the pause
      co_await wake.timer.async_wait(kAwait);
      awaiting_upstream(false);
      paused_ = false;
    }
    const bool abandoned = !delay.has_value() && !wake.resumed;
    pause_->forget();
    if (record.client_gone) {
      filters.context().reply_error(
          Error(ErrorCode::kBadRequest, "the client went away while a filter held the request"));
      co_return filter::Verdict::kReply;
    }
    if (abandoned) {
      filters.context().reply_error(
          Error(ErrorCode::kInternal, "a filter did not resume the request in time"));
      co_return filter::Verdict::kReply;
    }
    verdict = filters.resume();
  }
  co_return verdict;
}

void Downstream::cancel_pause() {
  if (paused_ && pause_) {
    pause_->current().timer.cancel();
  }
}

asio::awaitable<Outcome> Downstream::reply_error(Error error) {
  const std::string body = error_json(error);
  co_return co_await reply_through_filters(error.http_status(), "application/json", body, {},
                                           &error);
}

asio::awaitable<Outcome> Downstream::reply_local(int status, std::string_view content_type,
                                                 std::string_view body) {
  co_return co_await reply_through_filters(status, content_type, body, {}, nullptr);
}

namespace {

// A reply's header fields as views into it (it must outlive them).
std::vector<http1::Header> fields_of(const filter::LocalReply& reply) {
  std::vector<http1::Header> fields;
  fields.reserve(reply.headers.size());
  for (const auto& [name, value] : reply.headers) {
    fields.push_back({name, value});
  }
  return fields;
}

const Error* error_of(const filter::LocalReply& reply) {
  return reply.error.has_value() ? &*reply.error : nullptr;
}

}  // namespace

asio::awaitable<Outcome> Downstream::reply_filter(filter::LocalReply reply) {
  co_return co_await reply_through_filters(reply.status, reply.content_type, reply.body,
                                           fields_of(reply), error_of(reply));
}

// The filters that saw the request see the reply's head (a later filter may still replace the
// reply, e.g. with a 500 of its own).
asio::awaitable<Outcome> Downstream::reply_through_filters(int status,
                                                           std::string_view content_type,
                                                           std::string_view body,
                                                           std::vector<http1::Header> headers,
                                                           const Error* error) {
  if (!filters.started() || !filters.has_hook(filter::kResponseHeadersHook)) {
    co_return co_await send_reply(status, content_type, body, headers, error);
  }
  filter::Verdict verdict = filters.response_headers(status, headers, /*local=*/true);
  verdict = co_await settle(verdict);
  if (verdict == filter::Verdict::kReply) {
    const filter::LocalReply replaced = filters.take_reply();
    std::vector<http1::Header> fields = fields_of(replaced);
    co_await settle(filters.response_headers(replaced.status, fields, /*local=*/true));
    co_return co_await send_reply(replaced.status, replaced.content_type, replaced.body, fields,
                                  error_of(replaced));
  }
  co_return co_await send_reply(status, content_type, body, headers, error);
}

}  // namespace nexus::server

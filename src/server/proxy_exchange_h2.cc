// The proxy exchange with an HTTP/2 upstream: the request is a stream on the worker's shared
// connection to the endpoint (a new connection is opened when every one is at its stream
// limit), its body is queued with backpressure, and the response is relayed as DATA arrives, so
// a server-sent event reaches the client as soon as the upstream sends it.
#include <boost/asio/steady_timer.hpp>

#include "http/http1/head_writer.h"
#include "http/http2/fields.h"
#include "server/io_constants.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kRefusedStream = 0x7;  // RFC 9113 §8.7: not processed, safe to retry
constexpr uint32_t kCancel = 0x8;

}  // namespace

// One request stream in flight, and the timer its exchange sleeps on between stream events.
class ProxyExchange::Http2Call final : public proxy::Abortable {
 public:
  Http2Call(std::shared_ptr<proxy::Http2Upstream> connection,
            std::shared_ptr<http2::ClientStream> stream)
      : connection_(std::move(connection)),
        stream_(std::move(stream)),
        event_(connection_->executor()) {
    stream_->notify = [this] { event_.cancel(); };
  }
  ~Http2Call() {
    stream_->notify = nullptr;
    // Done with early (an error, the client left): tell the upstream to stop.
    connection_->session().reset(*stream_, kCancel);
    try {  // Asio's timer cancel() reports errors by exception; a destructor must not throw
      connection_->wake_writer();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the writer wakes on its next frame anyway
    }
  }
  Http2Call(const Http2Call&) = delete;
  Http2Call& operator=(const Http2Call&) = delete;

  void abort() override {
    aborted_ = true;
    event_.cancel();
  }

  http2::ClientStream& stream() { return *stream_; }
  http2::ClientSession& session() { return connection_->session(); }
  void flush() { connection_->wake_writer(); }
  [[nodiscard]] bool aborted() const { return aborted_; }

  // Sleeps until the stream changes (or abort()).
  asio::awaitable<void> wait() {
    if (aborted_) {
      co_return;
    }
    event_.expires_at(Clock::time_point::max());
    co_await event_.async_wait(kAwait);
  }

 private:
  std::shared_ptr<proxy::Http2Upstream> connection_;
  std::shared_ptr<http2::ClientStream> stream_;
  asio::steady_timer event_;
  bool aborted_ = false;
};

asio::awaitable<Outcome> ProxyExchange::exchange_http2(proxy::ClusterRuntime& cluster,
                                                       size_t endpoint) {
  ExchangeRecord& record = downstream_.record;
  ExchangeState& state = downstream_.state();
  const bool has_body = !(state.request.framing == http1::BodyFraming::kNone ||
                          (state.request.framing == http1::BodyFraming::kContentLength &&
                           state.request.content_length == 0));
  for (int attempt = 0;; ++attempt) {
    auto connection = co_await http2_connection(cluster, endpoint);
    if (!connection) {
      Error error = std::move(connection.error());
      co_return co_await upstream_failed(std::move(error));
    }
    auto submitted = (*connection)->session().submit_request(state.fields, has_body);
    if (!submitted) {
      Error error = std::move(submitted.error());
      co_return co_await upstream_failed(std::move(error));
    }
    Http2Call call(*connection, std::move(*submitted));
    call.flush();
    record.upstream = &call;

    bool replayable = !has_body;
    Result<void> head = Result<void>{};
    if (has_body) {
      head = co_await send_request(call, replayable);
    }
    request_sent(replayable);
    if (head) {
      head = co_await read_response_head(call);
    }
    if (!head) {
      record.upstream = nullptr;
      // Refused streams were never processed (RFC 9113 §8.7): one more try on a new stream.
      const bool refused = call.stream().closed && !call.stream().head_received &&
                           call.stream().error_code == kRefusedStream;
      if (refused && replayable && attempt == 0 && !record.client_gone) {
        continue;
      }
      Error error = std::move(head.error());
      co_return co_await upstream_failed(std::move(error));
    }
    if (plan_status_retry()) {
      record.upstream = nullptr;
      co_return Outcome::kClose;  // the call's end resets the stream
    }
    response_head_arrived();
    const Outcome outcome = co_await relay_response(call);
    record.upstream = nullptr;
    co_return outcome;
  }
}

// A connection with room for this request: a pooled one, the one being set up by another
// request (waited for), or a new one.
asio::awaitable<Result<std::shared_ptr<proxy::Http2Upstream>>> ProxyExchange::http2_connection(
    proxy::ClusterRuntime& cluster, size_t endpoint) {
  if (auto pooled = cluster.take_http2(endpoint)) {
    co_return pooled;
  }
  if (auto setup = cluster.joinable_http2(endpoint)) {
    ++setup->waiters;
    while (!setup->finished) {  // bounded by the connect timeout of whoever sets it up
      setup->done.expires_at(Clock::time_point::max());
      co_await setup->done.async_wait(kAwait);
    }
    if (const std::optional<Error>& failed = setup->error; failed.has_value()) {
      co_return std::unexpected(failed.value_or(Error(ErrorCode::kInternal, "")));
    }
    if (auto ready = cluster.take_http2(endpoint)) {
      co_return ready;
    }
  }
  ExchangeRecord& record = downstream_.record;
  auto created = cluster.create(endpoint);
  if (!created) {
    co_return std::unexpected(created.error());
  }
  const auto setup = cluster.start_http2(endpoint);
  record.upstream = created->get();
  downstream_.set_deadline(cluster.config().connect_timeout, Phase::kUpstreamConnect);
  auto opened = co_await cluster.open(**created);
  record.upstream = nullptr;
  if (!opened) {
    Error error = downstream_.timed_out(Phase::kUpstreamConnect)
                      ? Error(ErrorCode::kUpstreamTimeout, "connecting to the upstream timed out")
                      : std::move(opened.error());
    cluster.finish_http2(endpoint, setup, error);
    co_return std::unexpected(std::move(error));
  }
  auto added = cluster.add_http2(std::move(*created));
  if (added) {
    // Set up means the server's SETTINGS arrived: streams handed out before its stream limit is
    // known could exceed it and wait in nghttp2's queue, unseen by the pool.
    const std::shared_ptr<proxy::Http2Upstream> connection = *added;
    record.upstream = connection.get();
    connection->reserve_stream();
    const bool ready = co_await connection->wait_ready();
    // The caller opens its stream before anything else runs on this worker.
    connection->release_stream();
    record.upstream = nullptr;
    if (!ready) {
      added = fail(downstream_.timed_out(Phase::kUpstreamConnect) ? ErrorCode::kUpstreamTimeout
                                                                  : ErrorCode::kUpstreamReset,
                   "the upstream closed the HTTP/2 connection before its SETTINGS");
    }
  }
  cluster.finish_http2(endpoint, setup, added ? std::nullopt : std::optional<Error>(added.error()));
  co_return added;
}

asio::awaitable<Result<void>> ProxyExchange::send_request(Http2Call& call, bool& replayable) {
  ExchangeRecord& record = downstream_.record;
  const size_t queue_limit = http2::ClientLimits{}.request_queue_bytes;
  record.body_bytes_received = 0;
  downstream_.begin_body();
  replayable = false;
  replayable_bytes_ = 0;
  GatherWriter gather;
  for (bool first = true;; first = false) {
    gather.clear();
    auto taken = co_await take_request_body(gather, /*chunked=*/false);
    if (!taken) {
      co_return std::unexpected(taken.error());
    }
    record.request_body_done = taken->done;
    for (const auto& buffer : gather.buffers()) {
      call.session().send_body(call.stream(),
                               {static_cast<const char*>(buffer.data()), buffer.size()}, false);
    }
    if (taken->done) {
      // The client's trailers, if any, follow the body (HTTP/2 carries them as fields). Not in
      // the exchange state's field buffers: those hold the request head, needed for a retry.
      std::string storage;
      std::vector<http2::Field> trailers;
      http2::trailer_fields(downstream_.request_trailers(), storage, trailers);
      call.session().send_body(call.stream(), {}, true, trailers);
    }
    call.flush();
    // A body that went through filters cannot be sent again (they have consumed it).
    replayable = first && taken->done &&
                 !(downstream_.filters.has_hook(filter::kRequestBodyHook) &&
                   downstream_.filters.wants_request_body());
    if (replayable) {
      replayable_bytes_ = taken->used;  // consumed once the response arrives
      co_return Result<void>{};
    }
    downstream_.consume_body(taken->used);
    // Backpressure: the upstream's window drains the queue.
    downstream_.set_deadline(route_.timeouts.idle, Phase::kUpstreamBody);
    while (call.stream().queued() >= queue_limit && !call.stream().closed && !call.aborted()) {
      co_await call.wait();
    }
    if (call.aborted() || (call.stream().closed && !call.stream().head_received)) {
      co_return fail(downstream_.timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                                 : ErrorCode::kUpstreamReset,
                     "sending the request body upstream failed");
    }
    if (taken->done || call.stream().head_received) {
      co_return Result<void>{};
    }
    if (auto more = co_await downstream_.wait_for_body(); !more) {
      co_return std::unexpected(more.error());
    }
  }
}

asio::awaitable<Result<void>> ProxyExchange::read_response_head(Http2Call& call) {
  http2::ClientStream& stream = call.stream();
  downstream_.set_deadline(start_first_byte_wait(), Phase::kUpstreamFirstByte);
  const AwaitingUpstream awaiting(downstream_);
  while (!stream.head_received && !stream.closed && !call.aborted()) {
    co_await call.wait();
  }
  if (stream.head_received) {
    downstream_.state().response = stream.head;  // views into the stream, alive with the call
    co_return Result<void>{};
  }
  if (call.aborted() && downstream_.timed_out(Phase::kUpstreamFirstByte)) {
    const Error timeout(ErrorCode::kUpstreamTimeout, "the upstream did not respond in time");
    first_byte_failed(timeout);
    co_return std::unexpected(timeout);
  }
  if (stream.head_too_large) {
    co_return fail(ErrorCode::kUpstreamProtocolError, "the upstream response head is too large");
  }
  co_return fail(ErrorCode::kUpstreamReset,
                 "the upstream reset the stream before a response head (HTTP/2 error " +
                     std::to_string(stream.error_code) + ")");
}

asio::awaitable<Outcome> ProxyExchange::relay_response(Http2Call& call) {
  http2::ClientStream& stream = call.stream();
  const int status = stream.head.status;
  if (downstream_.filters.has_hook(filter::kResponseHeadersHook)) {
    if (const bool go_on = co_await filter_response_head(); !go_on) {
      co_return co_await reply_for_filter();  // the call's destructor resets the upstream stream
    }
  }
  const bool filtering = filters_response_body();
  const ResponseStart start = downstream_.begin_response();
  GatherWriter gather;
  std::string last_chunk;
  bool head_pending = true;
  for (;;) {
    gather.clear();
    if (head_pending) {
      gather.add(start.head);
    }
    const size_t used = stream.body.size();
    const bool done = stream.response_complete;
    if (!filtering) {
      gather.add_body(stream.body, start.chunk_body);
    } else if (done || used > 0) {
      response_piece_.assign(stream.body);
      if (auto filtered = co_await filter_response_body(done); !filtered) {
        co_return downstream_.cut_short(status, filtered.error());
      }
      gather.add_body(response_piece_, start.chunk_body);
    }
    if (done && start.chunk_body) {
      http1::write_last_chunk(stream.trailers, last_chunk);
      gather.add(last_chunk);
    }
    const bool written = co_await downstream_.send_response(gather, done, stream.trailers);
    if (!written) {
      const Error error(ErrorCode::kBadRequest, "the client went away during the response");
      co_return downstream_.cut_short(status, error);
    }
    head_pending = false;
    call.session().consume_body(stream, used);
    call.flush();
    if (done) {
      break;
    }
    downstream_.set_deadline(route_.timeouts.idle, Phase::kUpstreamBody);
    const AwaitingUpstream awaiting(downstream_);
    while (stream.body.empty() && !stream.response_complete && !stream.closed && !call.aborted()) {
      co_await call.wait();
    }
    if (stream.body.empty() && !stream.response_complete) {
      const Error failure(downstream_.timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                                      : ErrorCode::kUpstreamReset,
                          "the upstream response was cut short");
      co_return downstream_.cut_short(status, failure);
    }
  }
  co_return downstream_.end_response(status);
}

}  // namespace nexus::server

// The request half of the proxy exchange: pick an endpoint, get a connection, send the request
// (its body streamed with backpressure) and read the response head. response_relay.cc relays
// the response.

#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "proxy/router.h"
#include "server/client_connection.h"
#include "server/gather_writer.h"
#include "server/io_constants.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

asio::awaitable<ClientConnection::Next> ClientConnection::proxy(const config::Route& route,
                                                                size_t head_size) {
  ExchangeState& state = *state_;
  const http1::RequestHead& request = state.request;
  proxy::ClusterRuntime& cluster = worker_.cluster(worker_.snapshot().cluster_of(route));
  route_ = &route;

  // A chunked body that is already buffered is checked before anything goes upstream, so a
  // malformed request that arrived in one piece never reaches the upstream at all.
  if (request.framing == http1::BodyFraming::kChunked) {
    if (auto checked = check_buffered_chunks(head_size); !checked) {
      state.in.consume(head_size);
      Error error = std::move(checked.error());
      co_return co_await reply_error(std::move(error));
    }
  }
  proxy::LbContext lb_context;
  if (cluster.config().lb == config::LbPolicy::kConsistentHash) {
    if (cluster.config().hash.header.empty()) {
      lb_context.hash_key = client_ip_;
    } else if (const auto* header =
                   http1::find_header(request.headers, cluster.config().hash.header)) {
      lb_context.hash_key = header->value;
    }
  }
  const auto endpoint = cluster.load_balancer().pick(lb_context);
  if (!endpoint) {
    state.in.consume(head_size);
    Error error(ErrorCode::kUpstreamUnavailable,
                "cluster '" + cluster.config().name + "' has no endpoint to send the request to");
    co_return co_await reply_error(std::move(error));
  }
  upstream_name_ = &cluster.endpoint_name(*endpoint);

  // Serialise the upstream head while the request's views are valid, then let the buffer go.
  http1::UpstreamRequestInfo info;
  std::string rewritten;
  if (route.prefix_rewrite) {
    rewritten = proxy::rewrite_target(route, request.target);
    info.target = rewritten;
  } else {
    info.target = request.target;
  }
  info.host = route.host_rewrite ? std::string_view(*route.host_rewrite) : request.host;
  info.client_ip = client_ip_;
  info.client_tls = stream_->is_tls();
  info.framing = request.framing;
  info.content_length = request.content_length;
  state.head_out.clear();
  http1::write_upstream_request_head(request, info, state.head_out);
  state.in.consume(head_size);
  head_size_ = 0;

  exchange_deadline_ = route.timeouts.total.count() == 0 ? Clock::time_point::max()
                                                         : Clock::now() + route.timeouts.total;
  upstream_start_ = Clock::now();
  cluster.load_balancer().on_request_start(*endpoint);
  const Next next = co_await exchange(cluster, *endpoint);
  cluster.load_balancer().on_request_end(*endpoint);
  exchange_deadline_ = Clock::time_point::max();
  route_ = nullptr;
  co_return next;
}

Result<void> ClientConnection::check_buffered_chunks(size_t head_size) const {
  http1::BodyDecoder decoder(worker_.snapshot().request_limits, /*is_request=*/true);
  decoder.start_chunked();
  std::string_view rest = state_->in.readable().substr(head_size);
  while (!decoder.done()) {
    auto step = decoder.decode(rest);
    if (!step) {
      return std::unexpected(step.error());
    }
    if (step->consumed == 0) {
      break;
    }
    rest.remove_prefix(step->consumed);
  }
  return {};
}

// Sends the request on a pooled connection when there is one. A pooled connection that fails
// before any response byte may simply have been closed by the upstream while idle: the request
// is sent once more on a new connection if its whole body is still in our buffer.
asio::awaitable<ClientConnection::Next> ClientConnection::exchange(proxy::ClusterRuntime& cluster,
                                                                   size_t endpoint) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<proxy::UpstreamConnection> upstream;
    if (attempt == 0) {
      upstream = cluster.take_idle(endpoint);
    }
    if (!upstream) {
      auto created = cluster.create(endpoint);
      if (!created) {
        Error error = std::move(created.error());
        co_return co_await upstream_failed(std::move(error));
      }
      upstream = std::move(*created);
      upstream_ = upstream.get();
      set_deadline(cluster.config().connect_timeout, Phase::kUpstreamConnect);
      auto opened = co_await cluster.open(*upstream);
      if (!opened) {
        upstream_ = nullptr;
        Error error =
            timed_out(Phase::kUpstreamConnect)
                ? Error(ErrorCode::kUpstreamTimeout, "connecting to the upstream timed out")
                : std::move(opened.error());
        co_return co_await upstream_failed(std::move(error));
      }
    }
    upstream_ = upstream.get();

    bool replayable = false;
    auto sent = co_await send_request(*upstream, replayable);
    Result<size_t> head = std::unexpected(Error(ErrorCode::kInternal, ""));
    if (sent) {
      head = co_await read_response_head(*upstream);
    } else {
      head = std::unexpected(sent.error());
    }
    if (!head) {
      upstream_ = nullptr;
      const bool stale = upstream->reused() && upstream->in().empty() &&
                         head.error().code() == ErrorCode::kUpstreamReset;
      if (stale && replayable && attempt == 0 && !client_gone_) {
        continue;
      }
      Error error = std::move(head.error());
      co_return co_await upstream_failed(std::move(error));
    }
    state_->in.consume(replayable_bytes_);
    replayable_bytes_ = 0;
    upstream_ms_ = elapsed_ms(upstream_start_);

    bool reusable = false;
    const Next next = co_await relay_response(*upstream, *head, reusable);
    upstream_ = nullptr;
    if (reusable) {
      cluster.give_back(std::move(upstream));
    }
    co_return next;
  }
}

// An upstream failure before any response byte reached the client: answer with the JSON error,
// unless the client is gone or its own request was at fault.
asio::awaitable<ClientConnection::Next> ClientConnection::upstream_failed(Error error) {
  // A body kept for a retry is done with: drop it, or it would be read as the next request.
  state_->in.consume(replayable_bytes_);
  replayable_bytes_ = 0;
  if (client_gone_) {
    log_access(499, &error);
    co_return Next::kClose;
  }
  co_return co_await reply_error(std::move(error));
}

asio::awaitable<Result<void>> ClientConnection::send_request(proxy::UpstreamConnection& upstream,
                                                             bool& replayable) {
  ExchangeState& state = *state_;
  const http1::RequestHead& request = state.request;
  const Snapshot& snapshot = worker_.snapshot();
  const bool chunked = request.framing == http1::BodyFraming::kChunked;
  http1::BodyDecoder decoder(snapshot.request_limits, /*is_request=*/true);
  if (chunked) {
    decoder.start_chunked();
  } else {
    decoder.start_content_length(request.content_length);
  }
  body_bytes_received_ = 0;
  replayable = false;
  replayable_bytes_ = 0;
  GatherWriter gather;
  bool head_pending = true;
  for (;;) {
    gather.clear();
    if (head_pending) {
      gather.add(state.head_out);
    }
    const std::string_view available = state.in.readable();
    size_t used = 0;
    while (!decoder.done() && !gather.full()) {
      auto step = decoder.decode(available.substr(used));
      if (!step) {
        co_return std::unexpected(step.error());
      }
      used += step->consumed;
      body_bytes_received_ += step->data.size();
      gather.add_body(step->data, chunked);
      if (step->consumed == 0) {
        break;
      }
    }
    request_body_done_ = decoder.done();
    if (request_body_done_ && chunked) {
      gather.add(kLastChunk);
    }
    replayable = head_pending && request_body_done_;
    if (!gather.empty()) {
      set_deadline(route_->timeouts.idle, Phase::kUpstreamBody);
      auto [error, n] = co_await asio::async_write(upstream.stream(), gather.buffers(), kAwait);
      if (error) {
        co_return fail(timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                       : ErrorCode::kUpstreamReset,
                       "sending the request upstream failed: " + error.message());
      }
    }
    head_pending = false;
    if (replayable) {
      replayable_bytes_ = used;  // consumed once the response arrives
      co_return Result<void>{};
    }
    state.in.consume(used);
    if (request_body_done_) {
      co_return Result<void>{};
    }
    if (auto more = co_await read_client_body(); !more) {
      co_return std::unexpected(more.error());
    }
  }
}

asio::awaitable<Result<void>> ClientConnection::read_client_body() {
  ExchangeState& state = *state_;
  if (state.request.expect_continue && !sent_continue_ && body_bytes_received_ == 0 &&
      state.in.empty()) {
    sent_continue_ = true;
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    const bool written = co_await write_client(kContinue);
    if (!written) {
      co_return fail(ErrorCode::kBadRequest, "the client closed the connection");
    }
  }
  set_deadline(worker_.snapshot().config.server.timeouts.body, Phase::kBody);
  auto [error, n] =
      co_await stream_->async_read_some(state.in.prepare(kReadChunk, kMaxBodyBuffer), kAwait);
  if (error) {
    if (timed_out(Phase::kBody)) {
      co_return fail(ErrorCode::kRequestTimeout, "the request body was not received in time");
    }
    client_gone_ = true;
    co_return fail(ErrorCode::kBadRequest, "the client closed the connection mid-body");
  }
  state.in.commit(n);
  co_return Result<void>{};
}

asio::awaitable<Result<size_t>> ClientConnection::read_response_head(
    proxy::UpstreamConnection& upstream) {
  ExchangeState& state = *state_;
  const Snapshot& snapshot = worker_.snapshot();
  http1::ResponseHeadParser parser(snapshot.response_limits);
  const std::string_view method = state.log_method;
  set_deadline(route_->timeouts.first_byte, Phase::kUpstreamFirstByte);
  const AwaitingUpstream awaiting(*this);
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
    auto buffer =
        upstream.in().prepare(kReadChunk, snapshot.response_limits.max_head_bytes + kReadChunk);
    auto [error, n] = co_await upstream.stream().async_read_some(buffer, kAwait);
    if (error) {
      if (timed_out(Phase::kUpstreamFirstByte)) {
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

// The response half of the proxy exchange: relay the upstream's response to the client, and
// notice a client that leaves while the upstream is still working.
#include <sys/socket.h>

#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "server/client_connection.h"
#include "server/gather_writer.h"
#include "server/io_constants.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

asio::awaitable<ClientConnection::Next> ClientConnection::relay_response(
    proxy::UpstreamConnection& upstream, size_t head_size, bool& upstream_reusable) {
  ExchangeState& state = *state_;
  const http1::ResponseHead& response = state.response;
  const bool client_http10 = state.request.minor_version == 0;
  const http1::BodyFraming upstream_framing = response.framing;
  const bool streamed = upstream_framing == http1::BodyFraming::kChunked ||
                        upstream_framing == http1::BodyFraming::kUntilClose;

  http1::ClientResponseInfo info;
  info.framing = upstream_framing;
  info.content_length = response.content_length;
  if (streamed) {
    // Chunked to HTTP/1.1 clients, whatever the upstream did; HTTP/1.0 clients get the body
    // delimited by closing the connection.
    info.framing = client_http10 ? http1::BodyFraming::kNone : http1::BodyFraming::kChunked;
  }
  const bool keep = state.request.keep_alive && keep_alive_after_this() && request_body_done_ &&
                    !(client_http10 && streamed);
  info.keep_alive = keep;
  info.client_http10 = client_http10;
  const bool chunked_out = info.framing == http1::BodyFraming::kChunked;
  const int status = response.status;
  const bool upstream_keep_alive = response.keep_alive;
  state.head_out.clear();
  http1::write_client_response_head(response, info, state.head_out);
  upstream.in().consume(head_size);  // the response head's views are dead from here on

  http1::BodyDecoder decoder(worker_.snapshot().response_limits, /*is_request=*/false);
  if (upstream_framing == http1::BodyFraming::kChunked) {
    decoder.start_chunked();
  } else if (upstream_framing == http1::BodyFraming::kContentLength) {
    decoder.start_content_length(response.content_length);
  }
  bool done = upstream_framing == http1::BodyFraming::kNone;
  bool head_pending = true;
  GatherWriter gather;
  for (;;) {
    gather.clear();
    if (head_pending) {
      gather.add(state.head_out);
    }
    const std::string_view available = upstream.in().readable();
    size_t used = 0;
    if (upstream_framing == http1::BodyFraming::kUntilClose) {
      gather.add_body(available, chunked_out);
      used = available.size();
    } else {
      while (!done && !gather.full()) {
        auto step = decoder.decode(available.substr(used));
        if (!step) {
          if (head_pending) {  // nothing reached the client yet: it gets a clean 502
            Error error = std::move(step.error());
            co_return co_await upstream_failed(std::move(error));
          }
          // The head is out: all we can do is cut the response short.
          log_access(status, &step.error());
          co_return Next::kClose;
        }
        used += step->consumed;
        gather.add_body(step->data, chunked_out);
        done = decoder.done();
        if (step->consumed == 0) {
          break;
        }
      }
    }
    if (done && chunked_out) {
      gather.add(kLastChunk);
    }
    bool written = true;
    if (!gather.empty()) {
      written = co_await write_client(gather.buffers());
    }
    if (!written) {
      Error error(ErrorCode::kBadRequest, "the client went away during the response");
      log_access(status, &error);
      co_return Next::kClose;
    }
    head_pending = false;
    upstream.in().consume(used);
    if (done) {
      break;
    }
    set_deadline(route_->timeouts.idle, Phase::kUpstreamBody);
    const AwaitingUpstream awaiting(*this);
    auto [error, n] = co_await upstream.stream().async_read_some(
        upstream.in().prepare(kReadChunk, kMaxBodyBuffer), kAwait);
    if (error) {
      if (upstream_framing == http1::BodyFraming::kUntilClose && error == asio::error::eof) {
        done = true;
        continue;
      }
      Error failure(
          timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout : ErrorCode::kUpstreamReset,
          "the upstream response was cut short: " + error.message());
      log_access(status, &failure);
      co_return Next::kClose;  // the client sees a truncated body, never a forged end
    }
    upstream.in().commit(n);
  }
  upstream_reusable = upstream_keep_alive && upstream_framing != http1::BodyFraming::kUntilClose &&
                      upstream.in().empty();
  log_access(status, nullptr);
  co_return keep ? Next::kKeepAlive : Next::kClose;
}

// While the upstream works on a request, a client that closes its connection should cancel it.
// A readable client socket with nothing to read (recv() == 0) means the client closed; bytes
// mean a pipelined request, which stays queued for after this response.
void ClientConnection::watch_client_disconnect() {
  if (watching_client_) {
    return;
  }
  watching_client_ = true;
  stream_->socket().async_wait(
      net::tcp::socket::wait_read, [self = shared_from_this()](net::SysError error) {
        self->watching_client_ = false;
        if (error || self->upstream_ == nullptr) {
          return;
        }
        char byte = 0;
        const ssize_t n =
            ::recv(self->stream_->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          self->client_gone_ = true;
          self->upstream_->stream().close();
        } else if (n < 0) {
          self->watch_client_disconnect();
        }
      });
}

}  // namespace nexus::server

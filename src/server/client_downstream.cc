// The HTTP/1.1 connection as the Downstream of its exchange in progress: the request body is
// decoded from the connection's buffer (chunked or Content-Length), the response is framed for
// HTTP/1.1 (chunked when the upstream's length is unknown), and a client that leaves while the
// upstream works is noticed by a readability watch.
#include <sys/socket.h>

#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "server/client_connection.h"
#include "server/io_constants.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

// A chunked body that is already buffered is checked before anything goes upstream, so a
// malformed request that arrived in one piece never reaches the upstream at all.
Result<void> ClientConnection::check_request() {
  if (state_->request.framing != http1::BodyFraming::kChunked) {
    return {};
  }
  return check_buffered_chunks();
}

Result<void> ClientConnection::check_buffered_chunks() const {
  http1::BodyDecoder decoder(worker_.snapshot().request_limits, /*is_request=*/true);
  decoder.start_chunked();
  std::string_view rest = state_->in.readable().substr(head_size_);
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

void ClientConnection::release_head() {
  state_->in.consume(head_size_);
  head_size_ = 0;
}

void ClientConnection::begin_body() {
  const http1::RequestHead& request = state_->request;
  body_decoder_ = http1::BodyDecoder(worker_.snapshot().request_limits, /*is_request=*/true);
  if (request.framing == http1::BodyFraming::kChunked) {
    body_decoder_.start_chunked();
  } else {
    body_decoder_.start_content_length(
        request.framing == http1::BodyFraming::kContentLength ? request.content_length : 0);
  }
}

Result<BodyTake> ClientConnection::take_body(GatherWriter& gather, bool chunked) {
  const std::string_view available = state_->in.readable();
  BodyTake taken;
  while (!body_decoder_.done() && !gather.full()) {
    auto step = body_decoder_.decode(available.substr(taken.used));
    if (!step) {
      return std::unexpected(step.error());
    }
    taken.used += step->consumed;
    record.body_bytes_received += step->data.size();
    gather.add_body(step->data, chunked);
    if (step->consumed == 0) {
      break;
    }
  }
  taken.done = body_decoder_.done();
  return taken;
}

void ClientConnection::consume_body(size_t used) { state_->in.consume(used); }

asio::awaitable<Result<void>> ClientConnection::wait_for_body() {
  ExchangeState& state = *state_;
  if (state.request.expect_continue && !sent_continue_ && record.body_bytes_received == 0 &&
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
    record.client_gone = true;
    co_return fail(ErrorCode::kBadRequest, "the client closed the connection mid-body");
  }
  state.in.commit(n);
  co_return Result<void>{};
}

ResponseStart ClientConnection::begin_response() {
  ExchangeState& state = *state_;
  const http1::ResponseHead& response = state.response;
  const bool client_http10 = state.request.minor_version == 0;
  const bool streamed = response.framing == http1::BodyFraming::kChunked ||
                        response.framing == http1::BodyFraming::kUntilClose;
  http1::ClientResponseInfo info;
  info.framing = response.framing;
  info.content_length = response.content_length;
  if (streamed) {
    // Chunked to HTTP/1.1 clients, whatever the upstream did; HTTP/1.0 clients get the body
    // delimited by closing the connection.
    info.framing = client_http10 ? http1::BodyFraming::kNone : http1::BodyFraming::kChunked;
  }
  keep_after_response_ = state.request.keep_alive && keep_alive_after_this() &&
                         record.request_body_done && !(client_http10 && streamed);
  info.keep_alive = keep_after_response_;
  info.client_http10 = client_http10;
  state.head_out.clear();
  http1::write_client_response_head(response, info, state.head_out);
  return {.chunk_body = info.framing == http1::BodyFraming::kChunked, .head = state.head_out};
}

asio::awaitable<bool> ClientConnection::send_response(const GatherWriter& gather, bool /*last*/,
                                                      std::span<const http1::Header> /*trailers*/) {
  if (gather.empty()) {
    co_return true;
  }
  // The write itself, not through write_client(): one coroutine frame fewer per response.
  set_deadline(worker_.snapshot().config.server.timeouts.idle, Phase::kClientWrite);
  auto [error, n] = co_await asio::async_write(*stream_, gather.buffers(), kAwait);
  co_return wrote(error, n);
}

Outcome ClientConnection::end_response(int status) {
  complete(status, nullptr);
  return keep_after_response_ ? Outcome::kKeepAlive : Outcome::kClose;
}

Outcome ClientConnection::cut_short(int status, const Error& error) {
  complete(status, &error);
  return Outcome::kClose;  // the client sees a truncated body, never a forged end
}

void ClientConnection::awaiting_upstream(bool waiting) {
  awaiting_upstream_ = waiting;
  if (waiting) {
    awaiting_since_ = Clock::now();
  }
}

// While the upstream works on a request (or a filter holds it paused), a client that closes its
// connection should cancel it.
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
        if (error || (self->record.upstream == nullptr && !self->paused())) {
          return;
        }
        char byte = 0;
        const ssize_t n =
            ::recv(self->stream_->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          self->record.client_gone = true;
          if (self->record.upstream != nullptr) {
            self->record.upstream->abort();
          }
          self->cancel_pause();  // a filter's pause (rate limit queue, fault delay) ends too
        } else if (n < 0) {
          self->watch_client_disconnect();
        }
      });
}

}  // namespace nexus::server

#include "server/client_connection.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "obs/log_format.h"
#include "server/http2_connection.h"
#include "server/io_constants.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
namespace {

constexpr std::chrono::milliseconds kLingerTimeout{1000};
// A keep-alive connection quiet for this long gives its buffer back to the worker.
constexpr std::chrono::milliseconds kShrinkAfter{1000};
// An upstream wait this long arms the client disconnect watch (a system call that most short
// exchanges do not need).
constexpr std::chrono::milliseconds kWatchAfter{50};
constexpr size_t kLingerMaxBytes = size_t{64} * 1024;

}  // namespace

ClientConnection::ClientConnection(Worker& worker, net::tcp::socket socket, asio::ssl::context* tls,
                                   bool http2)
    : worker_(worker),
      http2_allowed_(http2),
      timer_(worker.io()),
      body_decoder_(worker.snapshot().request_limits, /*is_request=*/true) {
  net::SysError error;
  socket.set_option(net::tcp::no_delay(true), error);
  const auto remote = socket.remote_endpoint(error);
  if (!error) {
    client_ip_ = remote.address().to_string();
  }
  stream_ = tls != nullptr ? std::make_unique<net::Stream>(std::move(socket), *tls)
                           : std::make_unique<net::Stream>(std::move(socket));
}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start(std::shared_ptr<ClientConnection> connection) {
  auto& io = connection->worker_.io();
  asio::co_spawn(
      io,
      [connection = std::move(connection)]() -> asio::awaitable<void> {
        co_await connection->run();
      },
      asio::detached);
}

void ClientConnection::close_if_idle() {
  closing_ = true;
  if (http2_) {
    http2_->shutdown();
    return;
  }
  if (timer_.phase() == Phase::kIdle || timer_.phase() == Phase::kHandshake) {
    net::SysError ignored;
    stream_->socket().cancel(ignored);
  }
}

asio::awaitable<void> ClientConnection::run() {
  // g++ 12 miscompiles co_await inside ?:, && and || (temporaries destroyed twice), so every
  // co_await in this server stands alone in its statement.
  bool linger = false;
  bool ready = true;
  if (stream_->is_tls()) {
    ready = co_await handshake();
  }
  if (ready && http2_allowed_) {
    const bool h2 = co_await starts_http2();
    if (h2) {
      timer_.stop();
      http2_ = std::make_shared<Http2Connection>(worker_, *stream_, client_ip_);
      // The bytes read so far (the preface, maybe more) are handed over and the buffer goes
      // back to the worker: an HTTP/2 connection keeps no HTTP/1.1 exchange state.
      std::string received(state_->in.readable());
      state_->in.consume(state_->in.size());
      finish_exchange_state();
      co_await http2_->run(std::move(received));
      ready = false;
    }
  }
  while (ready && !closing_) {
    const bool has_request = co_await wait_for_request();
    if (!has_request) {
      break;
    }
    auto head = co_await read_request_head();
    if (!head || *head == 0) {
      if (!head) {
        // What the parser got of the request line (views into the receive buffer, still
        // there), for the access log of the error.
        state_->log_method.assign(state_->request.method);
        obs::assign_redacted_target(state_->log_target, state_->request.target);
        Error error = std::move(head.error());
        co_await reply_error(std::move(error));
        linger = true;
      }
      break;
    }
    const Outcome outcome = co_await serve_request(*head);
    if (outcome == Outcome::kClose) {
      linger = !record.client_gone;
      break;
    }
  }
  if (linger) {
    co_await linger_close();
  }
  timer_.stop();
  stream_->close();
  if (state_) {
    state_->in.consume(state_->in.size());
    finish_exchange_state();
  }
  worker_.on_connection_closed(this);
}

asio::awaitable<bool> ClientConnection::handshake() {
  set_deadline(worker_.snapshot().config.server.timeouts.header, Phase::kHandshake);
  auto [error] = co_await stream_->tls()->async_handshake(asio::ssl::stream_base::server, kAwait);
  co_return !error;
}

// HTTP/2 by ALPN, or (plain listeners) by the client preface arriving first: RFC 9113 §3.3 and
// §3.4. Bytes read while looking stay buffered for whichever protocol it is.
asio::awaitable<bool> ClientConnection::starts_http2() {
  if (stream_->is_tls()) {
    if (!net::negotiated_h2(stream_->tls()->native_handle())) {
      co_return false;
    }
    state_ = worker_.take_exchange_state();
    co_return true;
  }
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  set_deadline(worker_.snapshot().config.server.timeouts.idle, Phase::kIdle);
  state_ = worker_.take_exchange_state();
  for (;;) {
    const std::string_view seen = state_->in.readable();
    const size_t compared = std::min(seen.size(), kPreface.size());
    if (seen.substr(0, compared) != kPreface.substr(0, compared)) {
      co_return false;  // HTTP/1.x (or garbage, which the HTTP/1.1 parser answers)
    }
    if (compared == kPreface.size()) {
      co_return true;
    }
    if (compared > 0 && timer_.phase() != Phase::kHead) {
      set_deadline(worker_.snapshot().config.server.timeouts.header, Phase::kHead);
    }
    auto [error, n] =
        co_await stream_->async_read_some(state_->in.prepare(kReadChunk, kReadChunk), kAwait);
    if (error) {
      co_return false;  // the HTTP/1.1 loop notices the closed connection
    }
    state_->in.commit(n);
  }
}

asio::awaitable<bool> ClientConnection::wait_for_request() {
  if (state_ && !state_->in.empty()) {
    co_return true;  // a pipelined request is already buffered
  }
  if (worker_.draining()) {
    co_return false;
  }
  set_deadline(worker_.snapshot().config.server.timeouts.idle, Phase::kIdle);
  if (stream_->is_tls()) {
    // OpenSSL may hold decrypted bytes already: read through it (in read_request_head).
    if (!state_) {
      state_ = worker_.take_exchange_state();
    }
    co_return true;
  }
  if (state_ && requests_served_ >= 2) {
    // Warm (a connection that keeps sending requests): read straight into the buffer, which
    // costs no extra system call. If the client goes quiet, on_tick() cancels this read and
    // the buffer goes back to the worker. A connection with one request so far goes cold at
    // once, so many mostly-idle connections never hold buffers.
    idle_reading_ = true;
    idle_since_ = Clock::now();
    shrink_requested_ = false;
    auto buffer = state_->in.prepare(kReadChunk, kReadChunk);
    auto [error, n] = co_await stream_->socket().async_read_some(buffer, kAwait);
    idle_reading_ = false;
    if (!error) {
      state_->in.commit(n);
      co_return true;
    }
    if (error != asio::error::operation_aborted || !shrink_requested_ || closing_ ||
        timed_out(Phase::kIdle)) {
      co_return false;
    }
  }
  // Cold: wait for readability without holding a buffer.
  finish_exchange_state();
  auto [error] = co_await stream_->socket().async_wait(net::tcp::socket::wait_read, kAwait);
  if (error || closing_) {
    co_return false;
  }
  state_ = worker_.take_exchange_state();
  co_return true;
}

void ClientConnection::on_tick(Clock::time_point now) {
  if (idle_reading_ && !shrink_requested_ && now - idle_since_ >= kShrinkAfter) {
    shrink_requested_ = true;
    net::SysError ignored;
    stream_->socket().cancel(ignored);
  }
  if (awaiting_upstream_ && !watching_client_ && now - awaiting_since_ >= kWatchAfter) {
    watch_client_disconnect();
  }
  if (http2_) {
    http2_->on_tick(now);
  }
}

asio::awaitable<Result<size_t>> ClientConnection::read_request_head() {
  ExchangeState& state = *state_;
  const Snapshot& snapshot = worker_.snapshot();
  http1::RequestHeadParser parser(snapshot.request_limits);
  state.request.clear();
  // The state may have served another request: a head that fails to parse must not be logged
  // (or answered, for HEAD) as that one.
  state.log_method.clear();
  state.log_target.clear();
  request_start_ = Clock::now();
  for (;;) {
    auto parsed = parser.parse(state.in.readable(), state.request);
    if (!parsed || *parsed > 0) {
      co_return parsed;
    }
    if (!state.in.empty() && timer_.phase() != Phase::kHead) {
      set_deadline(snapshot.config.server.timeouts.header, Phase::kHead);
    }
    auto buffer = state.in.prepare(kReadChunk, snapshot.request_limits.max_head_bytes + kReadChunk);
    auto [error, n] = co_await stream_->async_read_some(buffer, kAwait);
    if (error) {
      if (timed_out(Phase::kHead)) {
        co_return fail(ErrorCode::kRequestTimeout, "the request head was not received in time");
      }
      co_return 0;  // closed, reset, or idle timeout: nothing to answer
    }
    if (state.in.empty()) {
      request_start_ = Clock::now();
    }
    state.in.commit(n);
  }
}

// Not a coroutine itself: it prepares the exchange and hands back serve_exchange()'s, which
// saves a coroutine frame per request.
asio::awaitable<Outcome> ClientConnection::serve_request(size_t head_size) {
  const http1::RequestHead& request = state_->request;
  ++requests_served_;
  record.reset(request_start_);
  record.request_body_done = request.framing == http1::BodyFraming::kNone;
  head_size_ = head_size;
  sent_continue_ = false;
  return serve_exchange(worker_, *this);
}

bool ClientConnection::keep_alive_after_this() const {
  const uint32_t max_requests = worker_.snapshot().config.server.limits.max_requests_per_connection;
  return !closing_ && !worker_.draining() && (max_requests == 0 || requests_served_ < max_requests);
}

asio::awaitable<Outcome> ClientConnection::send_reply(int status, std::string_view content_type,
                                                      std::string_view body,
                                                      std::span<const http1::Header> headers,
                                                      const Error* error) {
  if (record.client_gone) {
    complete(499, error);
    co_return Outcome::kClose;
  }
  ExchangeState& state = *state_;
  const http1::RequestHead& request = state.request;
  // After a malformed head the framing of what follows is in doubt: close. Later (a 404, a
  // filter's 401 or 429, an upstream error) the connection may stay if the body was read whole.
  const bool client_fault =
      error != nullptr && error->source() == ErrorSource::kClient && !record.routed;
  // A request body we did not read would be taken for the next request: close instead.
  const bool unread_body =
      request.framing != http1::BodyFraming::kNone && !record.request_body_done;
  const bool keep = !client_fault && !unread_body && request.keep_alive && keep_alive_after_this();
  state.head_out.clear();
  http1::write_local_response(status, content_type, body, keep, state.log_method == "HEAD",
                              state.head_out, headers);
  const bool written = co_await write_client(state.head_out);
  complete(status, error);
  co_return written&& keep ? Outcome::kKeepAlive : Outcome::kClose;
}

asio::awaitable<bool> ClientConnection::write_client(std::string_view data) {
  const asio::const_buffer buffer(data.data(), data.size());
  co_return co_await write_client(std::span<const asio::const_buffer>(&buffer, 1));
}

asio::awaitable<bool> ClientConnection::write_client(std::span<const asio::const_buffer> data) {
  set_deadline(worker_.snapshot().config.server.timeouts.idle, Phase::kClientWrite);
  auto [error, n] = co_await asio::async_write(*stream_, data, kAwait);
  co_return wrote(error, n);
}

bool ClientConnection::wrote(net::SysError error, size_t bytes) {
  record.bytes_sent += bytes;
  if (error) {
    record.client_gone = true;
  }
  return !error;
}

// Half-closes and reads (discarding) for a short while, so that a response is not destroyed by
// a TCP reset when the client still has unread bytes in flight (RFC 9112 §9.6).
asio::awaitable<void> ClientConnection::linger_close() {
  net::SysError ignored;
  // Over TLS too: the response's records are all on the wire, and what the client still sends
  // is drained as raw bytes (never decrypted), so that it does not turn into a reset.
  stream_->socket().shutdown(net::tcp::socket::shutdown_send, ignored);
  set_deadline(kLingerTimeout, Phase::kLinger);
  std::array<char, 4096> sink{};
  size_t discarded = 0;
  while (discarded < kLingerMaxBytes) {
    auto [error, n] = co_await stream_->socket().async_read_some(asio::buffer(sink), kAwait);
    if (error) {
      break;
    }
    discarded += n;
  }
}

void ClientConnection::finish_exchange_state() {
  if (state_ && state_->in.empty()) {
    worker_.give_back(std::move(state_));
  }
}

void ClientConnection::set_deadline(std::chrono::milliseconds timeout, Phase phase) {
  timer_.set(PhaseTimer::deadline_of(timeout, phase, record.deadline), phase, shared_from_this());
}

void ClientConnection::on_deadline(Phase phase) {
  net::SysError ignored;
  switch (phase) {
    case Phase::kUpstreamConnect:
    case Phase::kUpstreamFirstByte:
    case Phase::kUpstreamBody:
      if (record.upstream != nullptr) {
        record.upstream->abort();
      }
      break;
    case Phase::kClientWrite:
      if (record.upstream != nullptr) {
        record.upstream->abort();
      }
      stream_->close();
      break;
    default:
      stream_->socket().cancel(ignored);
      break;
  }
}

}  // namespace nexus::server

#include "server/client_connection.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "server/io_constants.h"
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

ClientConnection::ClientConnection(Worker& worker, net::tcp::socket socket, asio::ssl::context* tls)
    : worker_(worker), timer_(worker.io()) {
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
  if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) {
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
  while (ready && !closing_) {
    const bool has_request = co_await wait_for_request();
    if (!has_request) {
      break;
    }
    auto head = co_await read_request_head();
    if (!head || *head == 0) {
      if (!head) {
        Error error = std::move(head.error());
        co_await reply_error(std::move(error));
        linger = true;
      }
      break;
    }
    const Next next = co_await serve_request(*head);
    if (next == Next::kClose) {
      linger = !client_gone_;
      break;
    }
  }
  if (linger) {
    co_await linger_close();
  }
  timer_.cancel();
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
}

asio::awaitable<Result<size_t>> ClientConnection::read_request_head() {
  ExchangeState& state = *state_;
  const Snapshot& snapshot = worker_.snapshot();
  http1::RequestHeadParser parser(snapshot.request_limits);
  state.request.clear();
  request_start_ = Clock::now();
  for (;;) {
    auto parsed = parser.parse(state.in.readable(), state.request);
    if (!parsed || *parsed > 0) {
      co_return parsed;
    }
    if (!state.in.empty() && phase_ != Phase::kHead) {
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

asio::awaitable<ClientConnection::Next> ClientConnection::serve_request(size_t head_size) {
  ExchangeState& state = *state_;
  const Snapshot& snapshot = worker_.snapshot();
  const http1::RequestHead& request = state.request;
  ++requests_served_;
  body_bytes_received_ = 0;
  bytes_sent_ = 0;
  upstream_ms_ = 0;
  upstream_name_ = nullptr;
  request_body_done_ = request.framing == http1::BodyFraming::kNone;
  sent_continue_ = false;
  state.log_method.assign(request.method);
  state.log_target.assign(request.target);

  const config::Route* route =
      snapshot.router->match({request.method, request.host, request.path, request.headers});
  if (route == nullptr) {
    state.in.consume(head_size);  // answered here: the head's views are not needed any more
    Error error(ErrorCode::kNotFound, "no route for " + state.log_method + " " + state.log_target);
    co_return co_await reply_error(std::move(error));
  }
  if (const auto& direct = route->direct_response; direct.has_value()) {
    state.in.consume(head_size);
    co_return co_await reply_local(direct->status, direct->content_type, direct->body);
  }
  co_return co_await proxy(*route, head_size);  // consumes the head once it is forwarded
}

bool ClientConnection::keep_alive_after_this() const {
  const uint32_t max_requests = worker_.snapshot().config.server.limits.max_requests_per_connection;
  return !closing_ && !worker_.draining() && (max_requests == 0 || requests_served_ < max_requests);
}

asio::awaitable<ClientConnection::Next> ClientConnection::reply_error(Error error) {
  const std::string body = error_json(error);
  // After a client error the framing of what follows is in doubt: close. After an upstream
  // error the request was read completely (or we close anyway), so the connection may stay.
  const bool keep = error.source() != ErrorSource::kClient || error.code() == ErrorCode::kNotFound;
  const Next next = co_await send_local(error.http_status(), "application/json", body, keep);
  log_access(error.http_status(), &error);
  co_return next;
}

asio::awaitable<ClientConnection::Next> ClientConnection::reply_local(int status,
                                                                      std::string_view content_type,
                                                                      std::string_view body) {
  const Next next = co_await send_local(status, content_type, body, true);
  log_access(status, nullptr);
  co_return next;
}

asio::awaitable<ClientConnection::Next> ClientConnection::send_local(int status,
                                                                     std::string_view content_type,
                                                                     std::string_view body,
                                                                     bool keep_alive) {
  ExchangeState& state = *state_;
  const http1::RequestHead& request = state.request;
  // A request body we did not read would be taken for the next request: close instead.
  const bool unread_body = request.framing != http1::BodyFraming::kNone && !request_body_done_;
  const bool keep = keep_alive && !unread_body && request.keep_alive && keep_alive_after_this();
  state.head_out.clear();
  http1::write_local_response(status, content_type, body, keep, state.log_method == "HEAD",
                              state.head_out);
  const bool written = co_await write_client(state.head_out);
  if (!written) {
    co_return Next::kClose;
  }
  co_return keep ? Next::kKeepAlive : Next::kClose;
}

asio::awaitable<bool> ClientConnection::write_client(std::string_view data) {
  const asio::const_buffer buffer(data.data(), data.size());
  co_return co_await write_client(std::span<const asio::const_buffer>(&buffer, 1));
}

asio::awaitable<bool> ClientConnection::write_client(std::span<const asio::const_buffer> data) {
  set_deadline(worker_.snapshot().config.server.timeouts.idle, Phase::kClientWrite);
  auto [error, n] = co_await asio::async_write(*stream_, data, kAwait);
  bytes_sent_ += n;
  if (error) {
    client_gone_ = true;
  }
  co_return !error;
}

// Half-closes and reads (discarding) for a short while, so that a response is not destroyed by
// a TCP reset when the client still has unread bytes in flight (RFC 9112 §9.6).
asio::awaitable<void> ClientConnection::linger_close() {
  net::SysError ignored;
  if (stream_->is_tls()) {
    co_return;
  }
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

void ClientConnection::log_access(int status, const Error* error) {
  obs::AccessLog* log = worker_.access_log();
  if (log == nullptr || !state_) {
    return;
  }
  const auto now = Clock::now();
  obs::AccessRecord record;
  record.method = state_->log_method;
  record.target = state_->log_target;
  record.client = client_ip_;
  record.upstream = upstream_name_ != nullptr ? std::string_view(*upstream_name_) : "";
  record.error = error != nullptr ? error->code_name() : std::string_view{};
  record.status = status;
  record.bytes_received = body_bytes_received_;
  record.bytes_sent = bytes_sent_;
  record.duration_ms = std::chrono::duration<double, std::milli>(now - request_start_).count();
  record.upstream_duration_ms = upstream_ms_;
  log->write(record);
}

void ClientConnection::set_deadline(std::chrono::milliseconds timeout, Phase phase) {
  phase_ = phase;
  timed_out_ = false;
  deadline_ = timeout.count() == 0 ? Clock::time_point::max() : Clock::now() + timeout;
  if (phase >= Phase::kUpstreamConnect && phase <= Phase::kClientWrite &&
      exchange_deadline_ < deadline_) {
    deadline_ = exchange_deadline_;
  }
  if (deadline_ < timer_expiry_) {
    arm_timer(deadline_);
  }
}

void ClientConnection::arm_timer(Clock::time_point when) {
  timer_expiry_ = when;
  timer_.expires_at(when);  // cancels the wait armed for a later time
  timer_.async_wait([self = shared_from_this()](net::SysError error) {
    if (!error) {
      self->on_timer();
    }
  });
}

void ClientConnection::on_timer() {
  timer_expiry_ = Clock::time_point::max();
  if (deadline_ == Clock::time_point::max()) {
    return;
  }
  if (Clock::now() < deadline_) {
    arm_timer(deadline_);  // the deadline moved later since the timer was armed
    return;
  }
  timed_out_ = true;
  net::SysError ignored;
  switch (phase_) {
    case Phase::kUpstreamConnect:
    case Phase::kUpstreamFirstByte:
    case Phase::kUpstreamBody:
      if (upstream_ != nullptr) {
        upstream_->stream().close();
      }
      break;
    case Phase::kClientWrite:
      if (upstream_ != nullptr) {
        upstream_->stream().close();
      }
      stream_->close();
      break;
    default:
      stream_->socket().cancel(ignored);
      break;
  }
}

}  // namespace nexus::server

#include "proxy/upstream/http2_upstream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

namespace nexus::proxy {
namespace asio = boost::asio;
namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = size_t{16} * 1024;
constexpr size_t kWriteBatch = size_t{64} * 1024;

}  // namespace

Http2Upstream::Http2Upstream(std::unique_ptr<UpstreamConnection> connection,
                             const http2::ClientLimits& limits)
    : connection_(std::move(connection)),
      session_(limits),
      write_signal_(connection_->stream().get_executor()),
      ready_signal_(connection_->stream().get_executor()) {}

Http2Upstream::~Http2Upstream() = default;

Result<void> Http2Upstream::start() {
  if (auto started = session_.start(); !started) {
    return started;
  }
  auto self = shared_from_this();
  const auto executor = connection_->stream().get_executor();
  asio::co_spawn(
      executor, [self]() -> asio::awaitable<void> { co_await self->read_loop(); }, asio::detached);
  asio::co_spawn(
      executor, [self]() -> asio::awaitable<void> { co_await self->write_loop(); }, asio::detached);
  return {};
}

asio::awaitable<void> Http2Upstream::read_loop() {
  std::vector<char> buffer(kReadChunk);
  // What the upstream had already sent with its handshake.
  if (!connection_->in().empty()) {
    const std::string_view early = connection_->in().readable();
    const bool ok = session_.receive(early).has_value();
    connection_->in().consume(early.size());
    if (!ok) {
      close();
      co_return;
    }
  }
  while (!closed_ && session_.alive()) {
    auto [error, n] = co_await connection_->stream().async_read_some(asio::buffer(buffer), kAwait);
    if (error || !session_.receive({buffer.data(), n})) {
      break;
    }
    if (session_.settings_received()) {
      ready_signal_.cancel();
    }
    wake_writer();
  }
  close();
}

asio::awaitable<void> Http2Upstream::write_loop() {
  while (!closed_) {
    out_.clear();
    session_.produce(out_, kWriteBatch);
    if (out_.empty()) {
      if (!session_.alive()) {
        break;
      }
      write_signal_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await write_signal_.async_wait(kAwait);
      continue;
    }
    auto [error, n] = co_await asio::async_write(connection_->stream(), asio::buffer(out_), kAwait);
    if (error) {
      break;
    }
  }
  close();
}

asio::awaitable<bool> Http2Upstream::wait_ready() {
  while (!closed_ && !session_.settings_received()) {
    ready_signal_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await ready_signal_.async_wait(kAwait);
  }
  co_return !closed_;
}

void Http2Upstream::shutdown() {
  session_.shutdown();
  wake_writer();  // sends the GOAWAY; the loops end once no stream is left
}

void Http2Upstream::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  connection_->stream().close();
  write_signal_.cancel();
  ready_signal_.cancel();
  session_.fail_all();
}

}  // namespace nexus::proxy

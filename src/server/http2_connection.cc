#include "server/http2_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

#include "server/http2_exchange.h"
#include "server/io_constants.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Frames are copied out of nghttp2 into one buffer and written with one call per batch.
constexpr size_t kWriteBatch = size_t{64} * 1024;

}  // namespace

Http2Connection::Http2Connection(Worker& worker, net::Stream& stream, std::string client_ip)
    : worker_(worker),
      stream_(stream),
      client_ip_(std::move(client_ip)),
      session_(*this, worker.snapshot().http2_limits),
      write_signal_(worker.io()),
      done_signal_(worker.io()) {}

Http2Connection::~Http2Connection() = default;

asio::awaitable<void> Http2Connection::run(std::string_view received) {
  auto self = shared_from_this();
  last_activity_ = Clock::now();
  bool ok = session_.start().has_value() && session_.receive(received).has_value();
  asio::co_spawn(
      worker_.io(), [self]() -> asio::awaitable<void> { co_await self->write_loop(); },
      asio::detached);
  std::vector<char> buffer(kReadChunk);
  while (ok && reading_ && session_.alive()) {
    auto [error, n] = co_await stream_.async_read_some(asio::buffer(buffer), kAwait);
    if (error) {
      break;
    }
    last_activity_ = Clock::now();
    ok = session_.receive({buffer.data(), n}).has_value();
    wake_writer();
  }
  reading_ = false;
  if (!ok || session_.open_streams() > 0) {
    // The client is gone, or broke the protocol: nobody will read what the exchanges still
    // have to say.
    for (auto& [id, exchange] : exchanges_) {
      exchange->abort();
    }
  }
  wake_writer();
  while (!writer_done_ || !exchanges_.empty()) {
    done_signal_.expires_at(Clock::time_point::max());
    co_await done_signal_.async_wait(kAwait);
  }
}

asio::awaitable<void> Http2Connection::write_loop() {
  for (;;) {
    out_.clear();
    session_.produce(out_, kWriteBatch);
    if (out_.empty()) {
      if (!session_.alive()) {
        stop_reading();  // GOAWAY sent and the last stream done, or a fatal error
        break;
      }
      if (!reading_) {
        break;
      }
      write_signal_.expires_at(Clock::time_point::max());
      co_await write_signal_.async_wait(kAwait);
      continue;
    }
    writing_ = true;
    write_started_ = Clock::now();
    auto [error, n] = co_await asio::async_write(stream_, asio::buffer(out_), kAwait);
    writing_ = false;
    if (error) {
      stop_reading();
      break;
    }
    last_activity_ = Clock::now();
  }
  writer_done_ = true;
  done_signal_.cancel();
}

void Http2Connection::stop_reading() {
  if (reading_) {
    reading_ = false;
    net::SysError ignored;
    stream_.socket().cancel(ignored);
  }
}

void Http2Connection::wake_writer() { write_signal_.cancel(); }

void Http2Connection::shutdown() {
  session_.shutdown();
  wake_writer();
}

void Http2Connection::on_tick(Clock::time_point now) {
  const auto idle = worker_.snapshot().config.server.timeouts.idle;
  if (idle.count() == 0) {
    return;
  }
  if (writing_ && now - write_started_ >= idle) {
    // A write has not completed for the whole idle timeout: the client stopped reading.
    stop_reading();
    stream_.close();
    return;
  }
  if (exchanges_.empty() && now - last_activity_ >= idle) {
    shutdown();  // an idle connection: GOAWAY, then close
  }
}

void Http2Connection::on_exchange_done(int32_t stream_id) {
  exchanges_.erase(stream_id);
  done_signal_.cancel();
  wake_writer();
}

void Http2Connection::on_request(const std::shared_ptr<http2::ServerStream>& stream) {
  auto exchange = std::make_shared<Http2Exchange>(*this, stream);
  const int32_t id = stream->id();
  exchanges_[id] = exchange;
  asio::co_spawn(
      worker_.io(),
      [exchange, self = shared_from_this(), id]() -> asio::awaitable<void> {
        co_await exchange->run();
        self->on_exchange_done(id);
      },
      asio::detached);
}

void Http2Connection::on_request_body(http2::ServerStream& stream) {
  if (auto it = exchanges_.find(stream.id()); it != exchanges_.end()) {
    it->second->on_stream_event();
  }
}

void Http2Connection::on_response_writable(http2::ServerStream& stream) {
  if (auto it = exchanges_.find(stream.id()); it != exchanges_.end()) {
    it->second->on_stream_event();
  }
}

void Http2Connection::on_stream_closed(http2::ServerStream& stream, uint32_t error_code) {
  if (auto it = exchanges_.find(stream.id()); it != exchanges_.end()) {
    it->second->on_stream_closed(error_code);
  }
}

}  // namespace nexus::server

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

asio::awaitable<void> Http2Connection::run(std::string received) {
  auto self = shared_from_this();
  last_activity_ = Clock::now();
  bool ok = session_.start().has_value() && session_.receive(received).has_value();
  start_exchanges();
  asio::co_spawn(worker_.io(), flush_loop(self), asio::detached);
  std::vector<char> buffer(kReadChunk);
  while (ok && reading_ && session_.alive()) {
    auto [error, n] = co_await stream_.async_read_some(asio::buffer(buffer), kAwait);
    if (error) {
      break;
    }
    last_activity_ = Clock::now();
    ok = session_.receive({buffer.data(), n}).has_value();
    start_exchanges();
    wake_writer();
  }
  reading_ = false;
  // The client is gone, broke the protocol, or the session is finished: nobody will read what
  // exchanges still running have to say.
  for (auto& [id, exchange] : exchanges_) {
    exchange->abort();
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

// Called inside the codec (an nghttp2 callback): the exchange starts once receive() has returned
// (start_exchanges()), so that it never re-enters the codec from inside a callback.
void Http2Connection::on_request(const std::shared_ptr<http2::ServerStream>& stream) {
  auto exchange = std::make_shared<Http2Exchange>(*this, stream);
  exchanges_[stream->id()] = exchange;
  starting_.push_back(std::move(exchange));
}

void Http2Connection::start_exchanges() {
  for (auto& exchange : starting_) {
    asio::co_spawn(worker_.io(), serve_stream(shared_from_this(), std::move(exchange)),
                   asio::detached);
  }
  starting_.clear();
}

// A static coroutine whose parameters (kept in its frame) hold the connection and the exchange.
asio::awaitable<void> Http2Connection::serve_stream(std::shared_ptr<Http2Connection> self,
                                                    std::shared_ptr<Http2Exchange> exchange) {
  co_await exchange->run();
  self->on_exchange_done(exchange->stream_id());
}

asio::awaitable<void> Http2Connection::flush_loop(std::shared_ptr<Http2Connection> self) {
  co_await self->write_loop();
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

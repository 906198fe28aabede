// nexus_open_loop: an open-loop HTTP/1.1 load generator for latency at a fixed request rate.
//
//   nexus_open_loop --url http://127.0.0.1:PORT/path --rate 5000 --duration 10 [--warmup 2]
//                   [--connections 64] [--body FILE] [--header "name: value"]... [--log FILE]
//
// Request i is due at start + i / rate, evenly spaced. A due request goes out at once on an idle
// keep-alive connection, or waits for the first one to free up; its latency is counted from when
// it was due, not from when it was sent, so a server that stalls is charged for the requests it
// held back (no coordinated omission). h2load --rps, by contrast, fires every client's timer in
// the same instant: at 50 clients × 100/s it sends bursts of 50 requests every 10 ms, and the
// "latency at a fixed rate" it reports is mostly the time to drain a burst.
//
// Prints one line: requests, errors, latency p50/p90/p99/p99.9/max and the time to the first
// response byte (p50/p99), all in microseconds, for the requests due after the warm-up.
// --log writes "due_offset_us latency_us first_byte_us status" per measured request.
#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host, port, path = "/";
  double rate = 1000, duration = 10, warmup = 1;
  size_t connections = 64;
  std::string body;
  std::vector<std::string> headers;
  std::string log_file;
};

struct Sample {
  int64_t due_offset_us, latency_us, first_byte_us;
  unsigned status;
};

struct Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

class OpenLoop {
 public:
  OpenLoop(asio::io_context& io, Options options) : io_(io), options_(std::move(options)) {
    request_ = (options_.body.empty() ? "GET " : "POST ") + options_.path + " HTTP/1.1\r\nhost: ";
    request_ += options_.host + "\r\ncontent-length: " + std::to_string(options_.body.size());
    for (const auto& header : options_.headers) request_ += "\r\n" + header;
    request_ += "\r\n\r\n" + options_.body;
  }

  asio::awaitable<void> run() {
    tcp::resolver resolver(io_);
    auto endpoints =
        co_await resolver.async_resolve(options_.host, options_.port, asio::use_awaitable);
    for (size_t i = 0; i < options_.connections; ++i) {
      auto connection = std::make_unique<Connection>(io_);
      co_await asio::async_connect(connection->socket, endpoints, asio::use_awaitable);
      connection->socket.set_option(tcp::no_delay(true));
      idle_.push_back(connection.get());
      connections_.push_back(std::move(connection));
    }
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options_.rate));
    const auto total = static_cast<int64_t>((options_.warmup + options_.duration) * options_.rate);
    start_ = Clock::now();
    measured_from_ = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options_.warmup));
    asio::steady_timer timer(io_);
    for (int64_t i = 0; i < total; ++i) {
      const Clock::time_point due = start_ + interval * i;
      if (due > Clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(asio::use_awaitable);
      }
      dispatch(due);
    }
  }

  void report() const {
    std::vector<int64_t> latency, first_byte;
    for (const auto& s : samples_) {
      latency.push_back(s.latency_us);
      first_byte.push_back(s.first_byte_us);
    }
    std::ranges::sort(latency);
    std::ranges::sort(first_byte);
    auto at = [](const std::vector<int64_t>& v, double q) {
      return v.empty() ? int64_t{-1} : v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
    };
    std::printf(
        "requests %zu errors %zu p50_us %lld p90_us %lld p99_us %lld p999_us %lld max_us %lld "
        "first_byte_p50_us %lld first_byte_p99_us %lld\n",
        samples_.size(), errors_, static_cast<long long>(at(latency, 0.5)),
        static_cast<long long>(at(latency, 0.9)), static_cast<long long>(at(latency, 0.99)),
        static_cast<long long>(at(latency, 0.999)),
        static_cast<long long>(latency.empty() ? -1 : latency.back()),
        static_cast<long long>(at(first_byte, 0.5)), static_cast<long long>(at(first_byte, 0.99)));
    if (!options_.log_file.empty()) {
      std::ofstream log(options_.log_file);
      for (const auto& s : samples_) {
        log << s.due_offset_us << ' ' << s.latency_us << ' ' << s.first_byte_us << ' ' << s.status
            << '\n';
      }
    }
  }

  size_t errors() const { return errors_; }

 private:
  void dispatch(Clock::time_point due) {
    if (idle_.empty()) {
      waiting_.push_back(due);
      return;
    }
    Connection* connection = idle_.back();
    idle_.pop_back();
    asio::co_spawn(io_, serve(*connection, due), asio::detached);
  }

  // Sends requests on `connection` while any are due, then returns it to the idle list.
  asio::awaitable<void> serve(Connection& connection, Clock::time_point due) {
    for (;;) {
      co_await exchange(connection, due);
      if (!connection.socket.is_open() || waiting_.empty()) break;
      due = waiting_.front();
      waiting_.pop_front();
    }
    if (connection.socket.is_open()) idle_.push_back(&connection);
  }

  asio::awaitable<void> exchange(Connection& connection, Clock::time_point due) {
    boost::system::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await asio::async_write(connection.socket, asio::buffer(request_), token);
    if (connection.buffer.size() == 0 && !ec) {
      const size_t n =
          co_await connection.socket.async_read_some(connection.buffer.prepare(64 * 1024), token);
      connection.buffer.commit(n);
    }
    const Clock::time_point first_byte = Clock::now();
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) co_await http::async_read(connection.socket, connection.buffer, parser, token);
    const Clock::time_point done = Clock::now();
    if (ec) {
      ++errors_;
      connection.socket.close();
      co_return;
    }
    if (due < measured_from_) co_return;
    auto us = [](Clock::duration d) {
      return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    };
    samples_.push_back({us(due - measured_from_), us(done - due), us(first_byte - due),
                        parser.get().result_int()});
  }

  asio::io_context& io_;
  Options options_;
  std::string request_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<Clock::time_point> waiting_;
  Clock::time_point start_, measured_from_;
  std::vector<Sample> samples_;
  size_t errors_ = 0;
};

// Returns false on an unknown option, a missing value or a malformed URL or number.
bool parse_options(int argc, char** argv, Options& options) try {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--url") {
      // http://HOST:PORT/PATH, an IP literal or a name; no TLS, no IPv6 brackets.
      constexpr std::string_view kScheme = "http://";
      if (!value.starts_with(kScheme)) return false;
      const std::string rest = value.substr(kScheme.size());
      const size_t slash = rest.find('/');
      const std::string authority = rest.substr(0, slash);
      options.path = slash == std::string::npos ? "/" : rest.substr(slash);
      const size_t colon = authority.rfind(':');
      options.host = authority.substr(0, colon);
      options.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
    } else if (key == "--rate") {
      options.rate = std::stod(value);
    } else if (key == "--duration") {
      options.duration = std::stod(value);
    } else if (key == "--warmup") {
      options.warmup = std::stod(value);
    } else if (key == "--connections") {
      options.connections = std::stoul(value);
    } else if (key == "--body") {
      std::ifstream in(value, std::ios::binary);
      if (!in) return false;
      options.body.assign(std::istreambuf_iterator<char>(in), {});
    } else if (key == "--header") {
      options.headers.push_back(value);
    } else if (key == "--log") {
      options.log_file = value;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !options.host.empty() && options.rate > 0 && options.connections > 0;
} catch (const std::logic_error&) {  // std::stod / std::stoul on a malformed number
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(
        stderr,
        "usage: nexus_open_loop --url http://HOST:PORT/PATH --rate R --duration S "
        "[--warmup S] [--connections N] [--body FILE] [--header 'k: v']... [--log FILE]\n");
    return 2;
  }
  asio::io_context io(1);
  OpenLoop load(io, std::move(options));
  bool failed = false;
  asio::co_spawn(io, load.run(), [&](const std::exception_ptr& error) {
    if (error) failed = true;
  });
  io.run();
  if (failed) {
    std::fprintf(stderr, "nexus_open_loop: cannot connect\n");
    return 1;
  }
  load.report();
  return load.errors() == 0 ? 0 : 1;
}

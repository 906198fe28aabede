#include "net/control_http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <future>
#include <list>
#include <thread>

#include "net/tls.h"

namespace nexus::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr auto kRequestTimeout = std::chrono::seconds(30);  // head and body of one request
constexpr auto kIdleTimeout = std::chrono::seconds(60);     // a kept-alive connection, waiting
constexpr uint32_t kMaxHead = 64 * 1024;

// One connection's state, seen by stop(): an idle connection is closed at once, a busy one
// after its response.
struct Connection {
  tcp::socket* socket = nullptr;
  bool idle = true;
};

http::response<http::string_body> make_response(const ControlResponse& answer, bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(answer.status), 11};
  response.set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) {
    response.set(name, value);
  }
  response.set(http::field::cache_control, "no-store");  // a new key's secret is in a body
  response.keep_alive(keep_alive);
  response.body() = answer.body;
  response.prepare_payload();
  return response;
}

}  // namespace

class ControlHttpServer::Impl {
 public:
  Impl(ControlServerOptions options, ControlHandler handler, std::unique_ptr<ServerTls> tls)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        tls_(std::move(tls)),
        acceptor_(io_) {}

  Result<void> bind(const config::Listener& listen) {
    boost::system::error_code error;
    const auto address = asio::ip::make_address(listen.host, error);
    if (error) {
      return fail(ErrorCode::kInvalidConfig,
                  options_.name + " listener: bad address '" + listen.host + "'");
    }
    const tcp::endpoint endpoint(address, listen.port);
    acceptor_.open(endpoint.protocol(), error);
    if (!error) {
      acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    }
    if (!error) {
      acceptor_.bind(endpoint, error);
    }
    if (!error) {
      acceptor_.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
      return fail(ErrorCode::kInvalidConfig, options_.name + " listener " + listen.host + ":" +
                                                 std::to_string(listen.port) + ": " +
                                                 error.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return {};
  }

  void run() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    std::promise<void> finished;
    done_ = finished.get_future();
    thread_ = std::thread([this, finished = std::move(finished)]() mutable {
      io_.run();
      finished.set_value();
    });
  }

  [[nodiscard]] uint16_t port() const { return port_; }

  void stop(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) {
      return;
    }
    asio::post(io_, [this] { begin_stop(); });
    if (done_.wait_for(grace) == std::future_status::timeout) {
      io_.stop();  // responses still unfinished after the grace period are cut
    }
    thread_.join();
  }

 private:
  void begin_stop() {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (const Connection& connection : connections_) {
      if (connection.idle) {
        connection.socket->close(ignored);
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    while (!stopping_) {
      auto [error, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (error) {
        if (stopping_) {
          co_return;
        }
        spdlog::warn("{} listener: accept failed: {}", options_.name, error.message());
        continue;
      }
      if (tls_) {
        asio::co_spawn(io_, serve_tls(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(io_, serve_plain(std::move(socket)), asio::detached);
      }
    }
  }

  asio::awaitable<void> serve_plain(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, beast::get_lowest_layer(stream).socket());
  }

  asio::awaitable<void> serve_tls(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)),
                                                tls_->default_context());
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    auto [error] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (error) {
      co_return;
    }
    co_await serve(stream, beast::get_lowest_layer(stream).socket());
  }

  // Requests of one connection, in turn, until it closes, fails or the server stops.
  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream, tcp::socket& socket) {
    boost::system::error_code ignored;
    const std::string client_ip = socket.remote_endpoint(ignored).address().to_string();
    auto connection = connections_.insert(connections_.end(), Connection{&socket, true});
    beast::flat_buffer buffer;
    while (!stopping_) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_body);
      parser.header_limit(kMaxHead);
      connection->idle = buffer.size() == 0;
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      connection->idle = false;
      if (read_error == http::error::body_limit) {
        auto response = make_response(options_.too_large, false);
        co_await http::async_write(stream, response, kNoThrow);
        break;
      }
      if (read_error) {
        break;
      }
      const ControlResponse answer =
          handler_(ControlRequest{.message = parser.get(), .client_ip = client_ip});
      const bool keep_alive = parser.get().keep_alive() && !stopping_;
      auto response = make_response(answer, keep_alive);
      beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
      auto [write_error, written] = co_await http::async_write(stream, response, kNoThrow);
      if (write_error || !keep_alive) {
        break;
      }
    }
    connections_.erase(connection);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  ControlServerOptions options_;
  ControlHandler handler_;
  std::unique_ptr<ServerTls> tls_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  // Only the server's thread touches these (stop() posts to it).
  bool stopping_ = false;
  std::list<Connection> connections_;
  std::thread thread_;
  std::future<void> done_;
};

Result<std::unique_ptr<ControlHttpServer>> ControlHttpServer::start(const config::Listener& listen,
                                                                    ControlServerOptions options,
                                                                    ControlHandler handler) {
  std::unique_ptr<ServerTls> tls;
  if (listen.tls) {
    auto created = ServerTls::create(*listen.tls, false);
    if (!created) {
      return std::unexpected(created.error());
    }
    tls = std::move(*created);
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler), std::move(tls));
  if (auto bound = impl->bind(listen); !bound) {
    return std::unexpected(bound.error());
  }
  impl->run();
  return std::unique_ptr<ControlHttpServer>(new ControlHttpServer(std::move(impl)));
}

ControlHttpServer::ControlHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlHttpServer::~ControlHttpServer() {
  // A destructor must not throw: joining the thread can (std::system_error).
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("control listener: stopping failed: {}", e.what());
  }
}

uint16_t ControlHttpServer::port() const { return impl_->port(); }

void ControlHttpServer::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }

}  // namespace nexus::net

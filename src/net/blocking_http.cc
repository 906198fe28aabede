// Boost.Beast over Asio, run to completion on a private io_context so that one deadline
// (tcp_stream::expires_after) bounds every step; to the caller this is a synchronous call.
#include "net/blocking_http.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <optional>

namespace nexus::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Where to connect and what to send, from the request's URL.
struct Target {
  bool tls = false;
  std::string host;  // for resolving, SNI and the certificate check: "::1", not "[::1]"
  std::string port;
  http::request<http::string_body> message;
};

Result<Target> target_of(const BlockingRequest& request) {
  const auto url = boost::urls::parse_uri(request.url);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") ||
      url->host_address().empty()) {
    return fail(ErrorCode::kInvalidConfig, "expected an http:// or https:// URL");
  }
  const http::verb method = http::string_to_verb(request.method);
  if (method == http::verb::unknown) {
    return fail(ErrorCode::kInvalidConfig, "unknown HTTP method '" + request.method + "'");
  }
  Target target;
  target.tls = url->scheme() == "https";
  target.host = url->host_address();
  target.port = url->port().empty() ? (target.tls ? "443" : "80") : std::string(url->port());
  std::string path = url->encoded_path().empty() ? "/" : std::string(url->encoded_path());
  if (url->has_query()) {
    path += '?';
    path += url->encoded_query();
  }
  target.message = http::request<http::string_body>(method, path, 11);
  target.message.set(http::field::host, std::string(url->encoded_host_and_port()));
  for (const auto& [name, value] : request.headers) {
    target.message.set(name, value);
  }
  if (!request.body.empty()) {
    target.message.body() = request.body;
  }
  target.message.prepare_payload();
  return target;
}

// A step that failed ("connect: ..."); the deadline passing is a timeout whichever step it cut.
std::unexpected<Error> step_failed(ErrorCode code, std::string_view step,
                                   const boost::system::error_code& error) {
  std::string message(step);
  message += ": ";
  message += error.message();
  return fail(error == beast::error::timeout ? ErrorCode::kUpstreamTimeout : code,
              std::move(message));
}

template <typename Stream>
asio::awaitable<Result<BlockingResponse>> exchange(Stream& stream, const Target& target,
                                                   size_t max_body_bytes) {
  auto [write_error, written] = co_await http::async_write(stream, target.message, kNoThrow);
  if (write_error) {
    co_return step_failed(ErrorCode::kUpstreamConnectFailed, "send", write_error);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body_bytes);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_error) {
    co_return step_failed(ErrorCode::kUpstreamProtocolError, "response", read_error);
  }
  co_return BlockingResponse{.status = static_cast<int>(parser.get().result_int()),
                             .body = std::move(parser.get().body())};
}

asio::awaitable<Result<BlockingResponse>> run(const Target& target, const BlockingRequest& request,
                                              asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(target.host, target.port, kNoThrow);
  if (resolve_error) {
    co_return step_failed(ErrorCode::kUpstreamConnectFailed, "resolve", resolve_error);
  }
  if (tls == nullptr) {
    beast::tcp_stream stream(executor);
    stream.expires_after(request.timeout);
    auto [error, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (error) {
      co_return step_failed(ErrorCode::kUpstreamConnectFailed, "connect", error);
    }
    co_return co_await exchange(stream, target, request.max_body_bytes);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  beast::get_lowest_layer(stream).expires_after(request.timeout);
  // SNI, and the name the certificate must carry.
  if (SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str()) != 1 ||
      SSL_set1_host(stream.native_handle(), target.host.c_str()) != 1) {
    co_return fail(ErrorCode::kInternal, "TLS: cannot set the host name");
  }
  auto [error, endpoint] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
  if (error) {
    co_return step_failed(ErrorCode::kUpstreamConnectFailed, "connect", error);
  }
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (handshake_error) {
    co_return step_failed(ErrorCode::kUpstreamConnectFailed, "TLS", handshake_error);
  }
  co_return co_await exchange(stream, target, request.max_body_bytes);
}

}  // namespace

Result<BlockingResponse> blocking_http(const BlockingRequest& request) {
  const Result<Target> target = target_of(request);
  if (!target) {
    return std::unexpected(target.error());
  }
  // Asio and the TLS context may throw (allocation, a bad CA file): contained here, at the edge
  // of a call made off the request path.
  try {
    std::optional<asio::ssl::context> tls;
    if (target->tls) {
      tls.emplace(asio::ssl::context::tls_client);
      tls->set_verify_mode(asio::ssl::verify_peer);
      if (request.ca_file.empty()) {
        tls->set_default_verify_paths();
      } else {
        tls->load_verify_file(request.ca_file);
      }
    }
    asio::io_context io;
    Result<BlockingResponse> result = fail(ErrorCode::kUpstreamTimeout, "timed out");
    asio::co_spawn(io, run(*target, request, tls ? &*tls : nullptr),
                   [&result](const std::exception_ptr& failure, Result<BlockingResponse> value) {
                     if (!failure) {
                       result = std::move(value);
                     }
                   });
    // The stream's deadline ends each step; run_for is a backstop for the resolver.
    io.run_for(request.timeout + std::chrono::milliseconds(100));
    return result;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("HTTP call: ") + e.what());
  }
}

}  // namespace nexus::net

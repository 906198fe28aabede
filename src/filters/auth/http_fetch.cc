// Boost.Beast over Asio, run to completion on a private io_context so that one deadline
// (tcp_stream::expires_after) bounds every step; to the caller this is a synchronous call.
#include "filters/auth/http_fetch.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace nexus::filters::auth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

std::optional<Url> parse_url(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos;
  url.host = std::string(authority.substr(0, has_port ? colon : authority.size()));
  url.port = has_port ? std::string(authority.substr(colon + 1)) : (url.tls ? "443" : "80");
  if (url.host.starts_with('[') && url.host.ends_with(']')) {
    url.host = url.host.substr(1, url.host.size() - 2);
  }
  if (url.host.empty() || url.port.empty()) {
    return std::nullopt;
  }
  return url;
}

template <typename Stream>
asio::awaitable<Result<std::string>> exchange(Stream& stream, const Url& url,
                                              const FetchOptions& options) {
  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::accept, "application/json");
  request.set(http::field::user_agent, "nexus-auth");
  auto [write_error, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "send: " + write_error.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_error) {
    co_return fail(ErrorCode::kUpstreamProtocolError, "response: " + read_error.message());
  }
  if (parser.get().result_int() != 200) {
    co_return fail(ErrorCode::kUpstreamProtocolError,
                   "status " + std::to_string(parser.get().result_int()));
  }
  co_return std::move(parser.get().body());
}

asio::awaitable<Result<std::string>> get(const Url& url, const FetchOptions& options,
                                         asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(url.host, url.port, kNoThrow);
  if (resolve_error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "resolve: " + resolve_error.message());
  }
  if (tls == nullptr) {
    beast::tcp_stream stream(executor);
    stream.expires_after(options.timeout);
    auto [error, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (error) {
      co_return fail(ErrorCode::kUpstreamConnectFailed, "connect: " + error.message());
    }
    co_return co_await exchange(stream, url, options);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  // SNI, and the name the certificate must carry.
  if (SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1 ||
      SSL_set1_host(stream.native_handle(), url.host.c_str()) != 1) {
    co_return fail(ErrorCode::kInternal, "TLS: cannot set the host name");
  }
  auto [error, endpoint] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
  if (error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "connect: " + error.message());
  }
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (handshake_error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "TLS: " + handshake_error.message());
  }
  co_return co_await exchange(stream, url, options);
}

}  // namespace

Result<std::string> http_get(const std::string& url_text, const FetchOptions& options) {
  auto url = parse_url(url_text);
  if (!url) {
    return fail(ErrorCode::kInvalidConfig, "expected an http:// or https:// URL");
  }
  // Asio and the TLS context may throw (allocation, bad CA file): contained here, at the edge of
  // a background fetch.
  try {
    std::optional<asio::ssl::context> tls;
    if (url->tls) {
      tls.emplace(asio::ssl::context::tls_client);
      tls->set_verify_mode(asio::ssl::verify_peer);
      if (options.ca_file.empty()) {
        tls->set_default_verify_paths();
      } else {
        tls->load_verify_file(options.ca_file);
      }
    }
    asio::io_context io;
    Result<std::string> result = fail(ErrorCode::kUpstreamTimeout, "timed out");
    asio::co_spawn(io, get(*url, options, tls ? &*tls : nullptr),
                   [&result](const std::exception_ptr& failure, Result<std::string> value) {
                     if (!failure) {
                       result = std::move(value);
                     }
                   });
    // The stream's deadline ends each step; run_for is a backstop for the resolver.
    io.run_for(options.timeout + std::chrono::milliseconds(100));
    return result;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("fetch: ") + e.what());
  }
}

}  // namespace nexus::filters::auth

#include "cli/admin_client.h"

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
#include <optional>

namespace nexus::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxReply = size_t{64} * 1024 * 1024;

struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path_prefix;  // the base URL's own path, without a trailing '/'
};

std::optional<Endpoint> endpoint_of(const std::string& base_url) {
  const auto url = boost::urls::parse_uri(base_url);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    return std::nullopt;
  }
  Endpoint endpoint;
  endpoint.tls = url->scheme() == "https";
  endpoint.host = url->host_address();
  endpoint.port = url->has_port() ? std::string(url->port()) : (endpoint.tls ? "443" : "80");
  endpoint.path_prefix = url->path();
  while (endpoint.path_prefix.ends_with('/')) {
    endpoint.path_prefix.pop_back();
  }
  return endpoint;
}

struct Exchange {
  http::verb method;
  std::string target;
  std::string host;
  std::string key;
  std::string body;
};

template <typename Stream>
asio::awaitable<Result<AdminReply>> exchange(Stream& stream, const Exchange& call) {
  http::request<http::string_body> request{call.method, call.target, 11};
  request.set(http::field::host, call.host);
  request.set(http::field::accept, "application/json");
  request.set(http::field::user_agent, "nexus-cli");
  if (!call.key.empty()) {
    request.set(http::field::authorization, "Bearer " + call.key);
  }
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = call.body;
  }
  request.prepare_payload();
  auto [write_error, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "send: " + write_error.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReply);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_error) {
    co_return fail(ErrorCode::kUpstreamProtocolError, "response: " + read_error.message());
  }
  co_return AdminReply{.status = static_cast<int>(parser.get().result_int()),
                       .body = std::move(parser.get().body())};
}

asio::awaitable<Result<AdminReply>> run_call(const Endpoint& endpoint, const Exchange& call,
                                             std::chrono::milliseconds timeout,
                                             asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(endpoint.host, endpoint.port, kNoThrow);
  if (resolve_error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "resolve: " + resolve_error.message());
  }
  if (tls == nullptr) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    auto [error, connected] = co_await stream.async_connect(endpoints, kNoThrow);
    if (error) {
      co_return fail(ErrorCode::kUpstreamConnectFailed, "connect: " + error.message());
    }
    co_return co_await exchange(stream, call);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  beast::get_lowest_layer(stream).expires_after(timeout);
  if (SSL_set_tlsext_host_name(stream.native_handle(), endpoint.host.c_str()) != 1 ||
      SSL_set1_host(stream.native_handle(), endpoint.host.c_str()) != 1) {
    co_return fail(ErrorCode::kInternal, "TLS: cannot set the host name");
  }
  auto [error, connected] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
  if (error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "connect: " + error.message());
  }
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (handshake_error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "TLS: " + handshake_error.message());
  }
  co_return co_await exchange(stream, call);
}

}  // namespace

Result<AdminReply> call_admin(const AdminCall& call, std::string_view method,
                              const std::string& target, const std::string& body) {
  const std::optional<Endpoint> endpoint = endpoint_of(call.base_url);
  if (!endpoint) {
    return fail(ErrorCode::kInvalidConfig,
                "--admin-url: expected an http:// or https:// URL, got '" + call.base_url + "'");
  }
  const Exchange exchange_spec{.method = http::string_to_verb(method),
                               .target = endpoint->path_prefix + target,
                               .host = endpoint->host,
                               .key = call.key,
                               .body = body};
  // Asio and the TLS context may throw (allocation, no CA store): contained here, at the
  // edge of a command-line call.
  try {
    std::optional<asio::ssl::context> tls;
    if (endpoint->tls) {
      tls.emplace(asio::ssl::context::tls_client);
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_default_verify_paths();
    }
    asio::io_context io;
    Result<AdminReply> result = fail(ErrorCode::kUpstreamTimeout, "timed out");
    asio::co_spawn(io, run_call(*endpoint, exchange_spec, call.timeout, tls ? &*tls : nullptr),
                   [&result](const std::exception_ptr& failure, Result<AdminReply> value) {
                     if (!failure) {
                       result = std::move(value);
                     }
                   });
    io.run_for(call.timeout + std::chrono::milliseconds(100));
    return result;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("admin call: ") + e.what());
  }
}

}  // namespace nexus::cli

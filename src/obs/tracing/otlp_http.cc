// Boost.Beast over Asio, run to completion on a private io_context so that one deadline
// (tcp_stream::expires_after) bounds every step, as in filters/auth/http_fetch.cc.
#include "obs/tracing/otlp_http.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace nexus::obs::tracing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

using Headers = std::vector<std::pair<std::string, std::string>>;

// OTLP/HTTP: 429, 502, 503 and 504 are worth retrying; other failures are final.
SendResult result_of(unsigned status) {
  if (status >= 200 && status < 300) {
    return SendResult::kSent;
  }
  if (status == 429 || status == 502 || status == 503 || status == 504) {
    return SendResult::kRetry;
  }
  return SendResult::kRejected;
}

template <typename Stream>
asio::awaitable<SendResult> exchange(Stream& stream, const CollectorUrl& url,
                                     const Headers& headers, std::string_view body) {
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "nexus-otlp");
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.body() = std::string(body);
  request.prepare_payload();
  auto [write_error, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_error) {
    co_return SendResult::kRetry;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(size_t{1} << 20);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_error) {
    co_return SendResult::kRetry;
  }
  co_return result_of(parser.get().result_int());
}

asio::awaitable<SendResult> post(const CollectorUrl& url, const Headers& headers,
                                 std::string_view body, std::chrono::milliseconds timeout,
                                 asio::ssl::context* tls) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(url.host, url.port, kNoThrow);
  if (resolve_error) {
    co_return SendResult::kRetry;
  }
  if (tls == nullptr) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    auto [error, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (error) {
      co_return SendResult::kRetry;
    }
    co_return co_await exchange(stream, url, headers, body);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  beast::get_lowest_layer(stream).expires_after(timeout);
  if (SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1 ||
      SSL_set1_host(stream.native_handle(), url.host.c_str()) != 1) {
    co_return SendResult::kRejected;
  }
  auto [error, endpoint] =
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
  if (error) {
    co_return SendResult::kRetry;
  }
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (handshake_error) {
    co_return SendResult::kRetry;
  }
  co_return co_await exchange(stream, url, headers, body);
}

}  // namespace

Transport http_transport(CollectorUrl url, Headers headers) {
  // The TLS context is made once; Asio may throw making it (bad system CA store): then https
  // batches are refused, counted as dropped.
  std::shared_ptr<asio::ssl::context> tls;
  if (url.tls) {
    try {
      tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_default_verify_paths();
    } catch (const std::exception&) {
      tls = nullptr;
    }
  }
  return [url = std::move(url), headers = std::move(headers), tls](
             std::string_view body, std::chrono::milliseconds timeout) -> SendResult {
    if (url.tls && tls == nullptr) {
      return SendResult::kRejected;
    }
    // Asio may throw (allocation): contained here, at the edge of the exporter's thread.
    try {
      asio::io_context io;
      SendResult result = SendResult::kRetry;  // what a step cut short by the deadline means
      asio::co_spawn(io, post(url, headers, body, timeout, tls.get()),
                     [&result](const std::exception_ptr& failure, SendResult value) {
                       if (!failure) {
                         result = value;
                       }
                     });
      io.run_for(timeout + std::chrono::milliseconds(100));  // backstop for the resolver
      return result;
    } catch (const std::exception&) {
      return SendResult::kRetry;
    }
  };
}

}  // namespace nexus::obs::tracing

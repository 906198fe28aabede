#include "proxy/health/probe.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <limits>
#include <memory>
#include <string>

#include "http/http1/parser.h"

namespace nexus::proxy {
namespace asio = boost::asio;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = 4096;
const http1::ParserLimits kHeadLimits{};  // the defaults: a check's answer is small

// One check's connection and whether its deadline closed it; shared with the deadline's
// handler, which may run after the check has finished.
struct Attempt {
  std::unique_ptr<UpstreamConnection> connection;
  bool timed_out = false;
};

}  // namespace

config::Cluster without_connection_limit(const config::Cluster& cluster) {
  config::Cluster copy = cluster;
  copy.pool.max_connections = std::numeric_limits<uint32_t>::max();
  return copy;
}

asio::awaitable<Result<int>> probe(asio::io_context& io, ClusterRuntime& connector, size_t endpoint,
                                   std::string_view request, config::Duration timeout) {
  auto created = connector.create(endpoint);
  if (!created) {
    co_return std::unexpected(std::move(created.error()));
  }
  auto attempt = std::make_shared<Attempt>();
  attempt->connection = std::move(*created);
  UpstreamConnection& connection = *attempt->connection;
  // The timeout covers the whole check: closing the socket ends whatever step is pending.
  asio::steady_timer deadline(io, timeout);
  deadline.async_wait([attempt](boost::system::error_code error) {
    if (!error) {
      attempt->timed_out = true;
      attempt->connection->abort();
    }
  });
  const std::string timed_out_message =
      "no answer within " + std::to_string(timeout.count()) + "ms";

  auto opened = co_await connector.open(connection);
  if (!opened) {
    if (attempt->timed_out) {
      co_return fail(ErrorCode::kUpstreamTimeout, timed_out_message);
    }
    co_return std::unexpected(std::move(opened.error()));
  }
  auto [write_error, written] =
      co_await asio::async_write(connection.stream(), asio::buffer(request), kAwait);
  if (write_error) {
    if (attempt->timed_out) {
      co_return fail(ErrorCode::kUpstreamTimeout, timed_out_message);
    }
    co_return fail(ErrorCode::kUpstreamReset, "sending the check failed: " + write_error.message());
  }
  http1::ResponseHeadParser parser(kHeadLimits);
  http1::ResponseHead head;
  for (;;) {
    head.clear();
    auto parsed = parser.parse(connection.in().readable(), "GET", head);
    if (!parsed) {
      co_return std::unexpected(std::move(parsed.error()));
    }
    if (*parsed > 0 && head.status >= 200) {
      break;
    }
    if (*parsed > 0) {  // 100 Continue, 103 Early Hints: the final answer follows
      connection.in().consume(*parsed);
      parser.reset();
      continue;
    }
    auto buffer = connection.in().prepare(kReadChunk, kHeadLimits.max_head_bytes + kReadChunk);
    auto [read_error, n] = co_await connection.stream().async_read_some(buffer, kAwait);
    if (read_error) {
      if (attempt->timed_out) {
        co_return fail(ErrorCode::kUpstreamTimeout, timed_out_message);
      }
      co_return fail(ErrorCode::kUpstreamReset,
                     "closed before a complete response head: " + read_error.message());
    }
    connection.in().commit(n);
  }
  deadline.cancel();
  co_return head.status;
}

}  // namespace nexus::proxy

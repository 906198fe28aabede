// Getting an HTTP/1.1 connection for an exchange: a pooled one, a new one, or, when the
// cluster's pool is full and it has a bulkhead queue (pool.max_pending), one given back or a
// slot freed while the request waits its turn.
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "server/io_constants.h"
#include "server/proxy_exchange.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// A request in its cluster's queue. It is the exchange's record.upstream while it waits, so a
// deadline (queue_timeout, the route's total timeout) or the client leaving aborts the wait.
class QueuedRequest final : public proxy::Abortable {
 public:
  QueuedRequest(const asio::any_io_executor& executor, proxy::ClusterRuntime& cluster,
                size_t endpoint)
      : wake_(executor), waiter_(cluster.slots(), endpoint, [this] { wake(); }) {}
  QueuedRequest(const QueuedRequest&) = delete;
  QueuedRequest& operator=(const QueuedRequest&) = delete;
  ~QueuedRequest() = default;

  void abort() override {
    aborted_ = true;
    wake();
  }

  // Sleeps until the pool grants a slot or a connection, or abort().
  asio::awaitable<void> wait() {
    while (!aborted_ && waiter_.grant() == proxy::ConnectionSlots::Waiter::Grant::kNone) {
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(kAwait);
    }
  }

  [[nodiscard]] bool aborted() const { return aborted_; }
  proxy::ConnectionSlots::Waiter& waiter() { return waiter_; }

 private:
  // Called by the pool, possibly from a connection's destructor: must not throw.
  void wake() noexcept {
    try {  // Asio's timer cancel() reports errors by exception
      wake_.cancel();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing waits on the timer then
    }
  }

  asio::steady_timer wake_;
  proxy::ConnectionSlots::Waiter waiter_;
  bool aborted_ = false;
};

// Why a wait in the queue ended without a connection.
Error queue_failure(const Downstream& downstream, const proxy::ClusterRuntime& cluster) {
  const ExchangeRecord& record = downstream.record;
  if (record.client_gone) {
    return {ErrorCode::kBadRequest, "the client went away while waiting for a connection"};
  }
  if (Clock::now() >= record.deadline) {
    return {ErrorCode::kUpstreamTimeout,
            "the route's total timeout passed while waiting for a connection"};
  }
  std::string message = "cluster '";
  message += cluster.config().name;
  message += "' is at its connection limit (";
  message += std::to_string(cluster.config().pool.max_connections);
  message += "): no connection was free within its queue_timeout (";
  message += std::to_string(cluster.config().pool.queue_timeout.count());
  message += "ms)";
  return {ErrorCode::kUpstreamUnavailable, std::move(message)};
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<proxy::UpstreamConnection>>> connect_upstream(
    Downstream& downstream, proxy::ClusterRuntime& cluster, size_t endpoint, bool pooled) {
  ExchangeRecord& record = downstream.record;
  std::unique_ptr<proxy::UpstreamConnection> upstream;
  if (pooled) {
    upstream = cluster.take_idle(endpoint);
  }
  std::optional<QueuedRequest> queued;  // holds a granted slot until create() takes it
  if (!upstream && !cluster.make_room()) {
    if (!cluster.slots()->can_queue()) {
      co_return std::unexpected(cluster.full_pool_error());
    }
    queued.emplace(downstream.executor(), cluster, endpoint);
    record.upstream = &*queued;
    downstream.set_deadline(cluster.config().pool.queue_timeout, Phase::kUpstreamConnect);
    {
      const AwaitingUpstream awaiting(downstream);
      co_await queued->wait();
    }
    record.upstream = nullptr;
    if (queued->aborted()) {
      co_return std::unexpected(queue_failure(downstream, cluster));
    }
    upstream = queued->waiter().take_connection();  // null: a slot to open one with
  }
  if (!upstream) {
    auto created = cluster.create(endpoint, queued ? &queued->waiter() : nullptr);
    if (!created) {
      co_return std::unexpected(std::move(created.error()));
    }
    upstream = std::move(*created);
    record.upstream = upstream.get();
    downstream.set_deadline(cluster.config().connect_timeout, Phase::kUpstreamConnect);
    auto opened = co_await cluster.open(*upstream);
    if (!opened) {
      record.upstream = nullptr;
      if (downstream.timed_out(Phase::kUpstreamConnect)) {
        co_return fail(ErrorCode::kUpstreamTimeout, "connecting to the upstream timed out");
      }
      co_return std::unexpected(std::move(opened.error()));
    }
  }
  record.upstream = upstream.get();
  co_return upstream;
}

}  // namespace nexus::server

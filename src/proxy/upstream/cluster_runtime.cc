#include "proxy/upstream/cluster_runtime.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/tls.h"

namespace nexus::proxy {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kSweepInterval{200};
}  // namespace

ClusterRuntime::ClusterRuntime(asio::io_context& io, const config::Cluster& cluster,
                               asio::ssl::context* tls, uint64_t seed)
    : io_(io),
      cluster_(cluster),
      tls_(tls),
      lb_(make_load_balancer(cluster, seed)),
      retry_budget_(cluster.retry_budget),
      endpoints_(cluster.endpoints.size()),
      sweep_timer_(io),
      slots_(std::make_shared<ConnectionSlots>(cluster.pool.max_connections,
                                               cluster.pool.max_pending)) {
  for (size_t i = 0; i < cluster.endpoints.size(); ++i) {
    endpoints_[i].name =
        cluster.endpoints[i].host + ":" + std::to_string(cluster.endpoints[i].port);
    boost::system::error_code error;
    const auto address = asio::ip::make_address(cluster.endpoints[i].host, error);
    if (!error) {
      endpoints_[i].addresses.emplace_back(address, cluster.endpoints[i].port);
    }
    if (cluster.circuit_breaker.enabled) {
      endpoints_[i].breaker.emplace(cluster.circuit_breaker);
    }
  }
  schedule_sweep();
}

CircuitBreaker::Admission ClusterRuntime::admit(size_t endpoint,
                                                CircuitBreaker::Clock::time_point now) {
  auto& breaker = endpoints_[endpoint].breaker;
  return breaker ? breaker->allow(now) : CircuitBreaker::Admission::kAdmitted;
}

void ClusterRuntime::report(size_t endpoint, CircuitBreaker::Admission admission,
                            CircuitBreaker::Verdict verdict,
                            CircuitBreaker::Clock::time_point now) {
  if (auto& breaker = endpoints_[endpoint].breaker) {
    breaker->report(admission, verdict, now);
  }
}

AdaptiveTimeout& ClusterRuntime::first_byte_times(const config::AdaptiveTimeout& config) {
  for (const auto& held : first_byte_times_) {
    if (&held->config() == &config) {
      return *held;
    }
  }
  return *first_byte_times_.emplace_back(std::make_unique<AdaptiveTimeout>(config));
}

void ClusterRuntime::observe_first_byte(Clock::duration elapsed) {
  for (const auto& held : first_byte_times_) {
    held->observe(elapsed);
  }
}

CircuitBreaker::Clock::time_point ClusterRuntime::next_probe(
    CircuitBreaker::Clock::time_point now) const {
  auto earliest = CircuitBreaker::Clock::time_point::max();
  for (const EndpointState& state : endpoints_) {
    if (state.breaker && state.breaker->state() == CircuitBreaker::State::kOpen) {
      earliest = std::min(earliest, state.breaker->reopens_at());
    }
  }
  return earliest == CircuitBreaker::Clock::time_point::max() ? now : earliest;
}

ClusterRuntime::~ClusterRuntime() {
  try {  // Asio's timer cancel() reports errors by exception; a destructor must not throw
    shutdown();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing useful left to do with it
  }
}

std::unique_ptr<UpstreamConnection> ClusterRuntime::take_idle(size_t endpoint) {
  auto& idle = endpoints_[endpoint].idle;
  if (idle.empty()) {
    return nullptr;
  }
  auto connection = std::move(idle.back());
  idle.pop_back();
  connection->idle_generation = 0;
  if (connection->idle_watched) {
    connection->idle_watched = false;
    boost::system::error_code ignored;
    connection->stream().socket().cancel(ignored);  // stops watch_idle
  }
  return connection;
}

void ClusterRuntime::give_back(std::unique_ptr<UpstreamConnection> connection) {
  if (shut_down_) {
    return;
  }
  connection->mark_reused();
  if (const ConnectionSlots::Waiter* waiter = slots_->oldest(); waiter != nullptr) {
    if (waiter->endpoint() == connection->endpoint()) {
      slots_->hand_over(std::move(connection));
    }
    return;  // otherwise closed here: its slot goes to the oldest waiter
  }
  connection->idle_since = Clock::now();
  connection->idle_generation = next_generation_++;
  endpoints_[connection->endpoint()].idle.push_back(std::move(connection));
}

// A pooled connection should be silent: readability means the upstream closed it (or sent
// something unexpected). Either way it can no longer carry a request. The watch is armed by the
// sweeper only once a connection has been idle for a moment: arming it costs a system call, and
// a connection reused at once needs none (if the upstream closed it meanwhile, the one retry on
// a fresh connection covers it).
void ClusterRuntime::watch_idle(UpstreamConnection& connection) {
  connection.idle_watched = true;
  connection.stream().socket().async_wait(
      net::tcp::socket::wait_read,
      [this, endpoint = connection.endpoint(), pointer = &connection,
       generation = connection.idle_generation](boost::system::error_code error) {
        if (!error) {
          on_idle_readable(endpoint, pointer, generation);
        }
      });
}

void ClusterRuntime::on_idle_readable(size_t endpoint, UpstreamConnection* connection,
                                      uint64_t generation) {
  // Compare addresses before dereferencing: the connection may have been taken (and even freed)
  // after this handler was queued. A pooled one with the same generation is the one we watched.
  auto& idle = endpoints_[endpoint].idle;
  const auto it = std::ranges::find_if(
      idle, [connection](const auto& held) { return held.get() == connection; });
  if (it != idle.end() && (*it)->idle_generation == generation) {
    idle.erase(it);
  }
}

Result<std::unique_ptr<UpstreamConnection>> ClusterRuntime::create(
    size_t endpoint, ConnectionSlots::Waiter* waiter) {
  if (endpoints_[endpoint].addresses.empty()) {
    return fail(ErrorCode::kUpstreamUnavailable, "endpoint " + cluster_.endpoints[endpoint].host +
                                                     " of cluster '" + cluster_.name +
                                                     "' has no resolved address");
  }
  const bool granted = waiter != nullptr && waiter->claim_slot();
  if (!granted && !make_room()) {
    return std::unexpected(full_pool_error());
  }
  return std::make_unique<UpstreamConnection>(net::tcp::socket(io_), tls_, endpoint, slots_);
}

bool ClusterRuntime::make_room() {
  if (slots_->has_room()) {
    return true;
  }
  // Idle connections count against the limit too: one to another endpoint (or to this one, when
  // the caller wants a fresh connection) is closed rather than refusing the request. The
  // oldest goes, and when requests are waiting, the slot it frees is theirs.
  EndpointState* oldest = nullptr;
  for (EndpointState& state : endpoints_) {
    if (!state.idle.empty() &&
        (oldest == nullptr || state.idle.front()->idle_since < oldest->idle.front()->idle_since)) {
      oldest = &state;
    }
  }
  if (oldest != nullptr) {
    oldest->idle.erase(oldest->idle.begin());
  }
  return slots_->has_room();
}

Error ClusterRuntime::full_pool_error() const {
  std::string message = "cluster '";
  message += cluster_.name;
  message += "' is at its connection limit (";
  message += std::to_string(slots_->max_connections());
  message += ")";
  if (cluster_.pool.max_pending > 0) {
    message += " and ";
    message += std::to_string(slots_->waiting());
    message += slots_->waiting() == 1 ? " request is queued" : " requests are queued";
  }
  return {ErrorCode::kUpstreamUnavailable, std::move(message)};
}

asio::awaitable<Result<void>> ClusterRuntime::open(UpstreamConnection& connection) {
  auto& state = endpoints_[connection.endpoint()];
  auto& socket = connection.stream().socket();
  // A name may resolve to several addresses (IPv4 and IPv6, several hosts): start with the
  // next one in turn and fall through the others until one accepts.
  const size_t count = state.addresses.size();
  const size_t first = state.next_address++;
  boost::system::error_code error;
  std::string failures;
  for (size_t i = 0; i < count; ++i) {
    const auto address = state.addresses[(first + i) % count];
    socket.close(error);
    auto [connect_error] =
        co_await socket.async_connect(address, asio::as_tuple(asio::use_awaitable));
    error = connect_error;
    if (!error) {
      break;
    }
    failures += (failures.empty() ? "" : "; ") + address.address().to_string() + ":" +
                std::to_string(address.port()) + ": " + error.message();
    if (error == asio::error::operation_aborted || state.addresses.size() != count) {
      break;  // cancelled (connect timeout), or re-resolved meanwhile
    }
  }
  if (error) {
    co_return fail(ErrorCode::kUpstreamConnectFailed, "connect failed: " + failures);
  }
  if (series_.shard != nullptr) {
    series_.shard->add(series_.opened);
  }
  socket.set_option(net::tcp::no_delay(true), error);
  if (auto* tls = connection.stream().tls()) {
    const auto& endpoint = cluster_.endpoints[connection.endpoint()];
    if (auto prepared = net::prepare_client_ssl(tls->native_handle(), cluster_.tls, endpoint.host);
        !prepared) {
      co_return std::unexpected(prepared.error());
    }
    auto [handshake_error] = co_await tls->async_handshake(asio::ssl::stream_base::client,
                                                           asio::as_tuple(asio::use_awaitable));
    if (handshake_error) {
      co_return fail(
          ErrorCode::kUpstreamConnectFailed,
          "TLS handshake with " + endpoint.host + " failed: " + handshake_error.message());
    }
    if (cluster_.protocol == config::UpstreamProtocol::kHttp2 &&
        !net::negotiated_h2(tls->native_handle())) {
      co_return fail(ErrorCode::kUpstreamProtocolError,
                     endpoint.host + " did not agree to HTTP/2 (ALPN h2)");
    }
  }
  co_return Result<void>{};
}

std::shared_ptr<Http2Upstream> ClusterRuntime::take_http2(size_t endpoint) {
  auto& connections = endpoints_[endpoint].http2;
  std::erase_if(connections, [](const auto& held) { return held->closed(); });
  for (auto& held : connections) {
    if (held->usable()) {
      return held;
    }
  }
  return nullptr;
}

std::shared_ptr<ClusterRuntime::Http2Setup> ClusterRuntime::joinable_http2(size_t endpoint) {
  auto& setup = endpoints_[endpoint].http2_setup;
  // The server's stream limit is not known before its SETTINGS: assume ours.
  if (setup && setup->waiters + 1 < cluster_.pool.max_streams_per_connection) {
    return setup;
  }
  return nullptr;
}

std::shared_ptr<ClusterRuntime::Http2Setup> ClusterRuntime::start_http2(size_t endpoint) {
  auto setup = std::make_shared<Http2Setup>(io_);
  endpoints_[endpoint].http2_setup = setup;
  return setup;
}

void ClusterRuntime::finish_http2(size_t endpoint, const std::shared_ptr<Http2Setup>& setup,
                                  std::optional<Error> error) {
  setup->finished = true;
  setup->error = std::move(error);
  setup->done.cancel();
  if (endpoints_[endpoint].http2_setup == setup) {
    endpoints_[endpoint].http2_setup.reset();
  }
}

Result<std::shared_ptr<Http2Upstream>> ClusterRuntime::add_http2(
    std::unique_ptr<UpstreamConnection> connection) {
  http2::ClientLimits limits;
  limits.max_concurrent_streams = cluster_.pool.max_streams_per_connection;
  const size_t endpoint = connection->endpoint();
  auto upstream = std::make_shared<Http2Upstream>(std::move(connection), limits);
  if (auto started = upstream->start(); !started) {
    return std::unexpected(started.error());
  }
  upstream->idle_since = Clock::now();
  if (!shut_down_) {
    endpoints_[endpoint].http2.push_back(upstream);
  }
  return upstream;
}

void ClusterRuntime::set_addresses(size_t endpoint, std::vector<net::tcp::endpoint> addresses) {
  endpoints_[endpoint].addresses = std::move(addresses);
}

void ClusterRuntime::shutdown() {
  shut_down_ = true;
  sweep_timer_.cancel();
  for (auto& endpoint : endpoints_) {
    endpoint.idle.clear();
    for (auto& connection : endpoint.http2) {
      connection->shutdown();
    }
    endpoint.http2.clear();
  }
  publish_pool();
}

void ClusterRuntime::count_into(ClusterSeries series) {
  series_ = std::move(series);
  for (size_t i = 0; i < endpoints_.size() && i < series_.circuits.size(); ++i) {
    if (std::optional<CircuitBreaker>& breaker = endpoints_[i].breaker; breaker.has_value()) {
      breaker->count_into(series_.circuits[i]);
    }
  }
}

void ClusterRuntime::publish_pool() {
  if (series_.shard == nullptr) {
    return;
  }
  int64_t idle = 0;
  for (const EndpointState& endpoint : endpoints_) {
    idle += static_cast<int64_t>(endpoint.idle.size());
  }
  const int64_t in_use = std::max<int64_t>(static_cast<int64_t>(slots_->open()) - idle, 0);
  series_.shard->add_signed(series_.idle, idle - published_idle_);
  series_.shard->add_signed(series_.in_use, in_use - published_in_use_);
  published_idle_ = idle;
  published_in_use_ = in_use;
}

void ClusterRuntime::schedule_sweep() {
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](boost::system::error_code error) {
    if (!error && !shut_down_) {
      sweep();
      publish_pool();
      schedule_sweep();
    }
  });
}

// Closes pooled connections idle for longer than the pool's idle_timeout, and starts watching
// those idle for more than one sweep interval.
void ClusterRuntime::sweep() {
  const auto now = Clock::now();
  const bool expires = cluster_.pool.idle_timeout.count() > 0;
  const auto oldest_allowed = now - cluster_.pool.idle_timeout;
  for (auto& endpoint : endpoints_) {
    if (expires) {
      std::erase_if(endpoint.idle, [oldest_allowed](const auto& held) {
        return held->idle_since < oldest_allowed;
      });
    }
    for (auto& held : endpoint.idle) {
      if (!held->idle_watched && now - held->idle_since >= kSweepInterval) {
        watch_idle(*held);
      }
    }
    // HTTP/2 connections: forget dead ones, close those without streams for idle_timeout.
    std::erase_if(endpoint.http2, [&](const auto& held) {
      if (held->closed()) {
        return true;
      }
      if (!held->idle()) {
        held->idle_since = now;
        return false;
      }
      if (expires && held->idle_since < oldest_allowed) {
        held->shutdown();
        return true;
      }
      return false;
    });
  }
}

}  // namespace nexus::proxy

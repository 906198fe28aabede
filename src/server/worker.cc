#include "server/worker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/write.hpp>

#include "http/http1/head_writer.h"
#include "server/client_connection.h"

namespace nexus::server {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Spare exchange states (with their receive buffers) kept per worker, so a busy keep-alive
// connection does not allocate a buffer per request; bounded so that a past spike does not pin
// memory (at most about 1 MiB per worker).
constexpr size_t kMaxSpareStates = 64;
constexpr size_t kMaxSpareBuffer = size_t{32} * 1024;
constexpr std::chrono::milliseconds kTickInterval{50};

Result<std::unique_ptr<tcp::acceptor>> open_acceptor(asio::io_context& io,
                                                     const config::Listener& listener) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(listener.host, error);
  if (error) {
    return fail(ErrorCode::kInvalidConfig, "bad listen address " + listener.host);
  }
  const tcp::endpoint endpoint(address, listener.port);
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol(), error);
  if (!error) {
    acceptor->set_option(asio::socket_base::reuse_address(true), error);
  }
  if (!error) {
    // Every worker binds the same address; the kernel spreads new connections across them.
    const int on = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      error = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!error && address.is_v6()) {
    acceptor->set_option(asio::ip::v6_only(true), error);
  }
  if (!error) {
    acceptor->bind(endpoint, error);
  }
  if (!error) {
    acceptor->listen(asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    return fail(ErrorCode::kInvalidConfig, "cannot listen on " + listener.host + ":" +
                                               std::to_string(listener.port) + ": " +
                                               error.message());
  }
  return acceptor;
}

}  // namespace

Worker::Worker(size_t index, std::shared_ptr<const Snapshot> snapshot, SharedCounters& counters)
    : index_(index),
      io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      snapshot_(std::move(snapshot)),
      counters_(counters),
      tick_timer_(io_) {
  if (counters_.metrics != nullptr && counters_.registry != nullptr) {
    metrics_ =
        std::make_unique<WorkerMetrics>(*counters_.metrics, counters_.registry->shard(index));
  }
  for (size_t i = 0; i < snapshot_->clusters.size(); ++i) {
    clusters_.push_back(std::make_unique<proxy::ClusterRuntime>(
        io_, *snapshot_->clusters[i], snapshot_->cluster_tls[i].get(), index * 7919 + i + 1));
    if (i < counters_.health.size()) {
      clusters_.back()->watch_health(counters_.health[i].get());
    }
    if (metrics_) {
      clusters_.back()->count_into(metrics_->cluster_series(i));
    }
  }
  llm_routing_.reset(*snapshot_, index, counters_.llm_health.get());
  if (metrics_) {
    for (const Snapshot::LlmDeployment& deployment : snapshot_->deployments) {
      if (auto& breaker = llm_routing_.state(deployment.id).breaker) {
        breaker->count_into(metrics_->deployment_series(deployment.id));
      }
    }
  }
}

Worker::~Worker() {
  for (auto& cluster : clusters_) {
    cluster->shutdown();
  }
}

Result<void> Worker::listen() {
  for (const auto& listener : snapshot_->config.server.listen) {
    auto acceptor = open_acceptor(io_, listener);
    if (!acceptor) {
      return std::unexpected(acceptor.error());
    }
    acceptors_.push_back(std::move(*acceptor));
  }
  return {};
}

void Worker::run() {
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    accept_next(i);
  }
  schedule_tick();
  io_.run();
}

// The worker's coarse clock: housekeeping that would cost a system call per request if each
// connection did it at once (see ClientConnection::on_tick) is done for the few that need it.
void Worker::schedule_tick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](boost::system::error_code error) {
    if (error || (draining_ && connections_.empty())) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto* connection : connections_) {
      connection->on_tick(now);
    }
    if (index_ == 0 && snapshot_->config.server.limits.max_memory > 0) {
      counters_.load.resident_bytes.store(resident_bytes(), std::memory_order_relaxed);
    }
    schedule_tick();
  });
}

void Worker::accept_next(size_t listener) {
  acceptors_[listener]->async_accept(
      [this, listener](boost::system::error_code error, tcp::socket socket) {
        if (draining_) {
          return;
        }
        if (!error) {
          on_accept(listener, std::move(socket));
        } else if (error == asio::error::no_descriptors) {
          spdlog::warn("accept: out of file descriptors");
        }
        accept_next(listener);
      });
}

void Worker::on_accept(size_t listener, tcp::socket socket) {
  const uint32_t limit = snapshot_->config.server.limits.max_connections;
  if (counters_.connections.fetch_add(1, std::memory_order_relaxed) >= limit) {
    counters_.connections.fetch_sub(1, std::memory_order_relaxed);
    // Over the limit: a short 503 written without waiting (the socket buffer is empty), then
    // close. The client learns why instead of seeing a reset.
    static const std::string kOverloaded = [] {
      std::string out;
      http1::write_local_response(
          503, "application/json",
          error_json(Error(ErrorCode::kOverloaded, "too many open connections")), false, false,
          out);
      return out;
    }();
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kOverloaded), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    return;
  }
  auto* tls = snapshot_->listener_tls[listener].get();
  auto connection = std::make_shared<ClientConnection>(
      *this, std::move(socket), tls != nullptr ? &tls->default_context() : nullptr,
      snapshot_->config.server.listen[listener].http2);
  connections_.insert(connection.get());
  open_connections_.fetch_add(1, std::memory_order_relaxed);
  ClientConnection::start(std::move(connection));
}

void Worker::on_connection_closed(ClientConnection* connection) {
  connections_.erase(connection);
  open_connections_.fetch_sub(1, std::memory_order_relaxed);
  counters_.connections.fetch_sub(1, std::memory_order_relaxed);
  if (draining_ && connections_.empty()) {
    tick_timer_.cancel();
    for (auto& cluster : clusters_) {
      cluster->shutdown();  // the last pending timers: io_.run() returns once they are gone
    }
  }
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    draining_ = true;
    for (auto& acceptor : acceptors_) {
      boost::system::error_code ignored;
      acceptor->close(ignored);
    }
    // Copy: closing may remove entries.
    const std::vector<ClientConnection*> open(connections_.begin(), connections_.end());
    for (auto* connection : open) {
      connection->close_if_idle();
    }
    if (connections_.empty()) {
      tick_timer_.cancel();
      for (auto& cluster : clusters_) {
        cluster->shutdown();
      }
    }
  });
}

void Worker::stop() { io_.stop(); }

std::unique_ptr<ExchangeState> Worker::take_exchange_state() {
  if (spare_states_.empty()) {
    return std::make_unique<ExchangeState>();
  }
  auto state = std::move(spare_states_.back());
  spare_states_.pop_back();
  return state;
}

void Worker::give_back(std::unique_ptr<ExchangeState> state) {
  if (state->in.capacity() > kMaxSpareBuffer) {
    state->in.release_if_empty();  // grown for a large head: not worth keeping
  }
  if (spare_states_.size() < kMaxSpareStates) {
    spare_states_.push_back(std::move(state));
  }
}

}  // namespace nexus::server

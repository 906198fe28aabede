// One connection to an upstream endpoint, owned by a request while in use and by the worker's
// pool while idle.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "net/byte_buffer.h"
#include "net/stream.h"
#include "proxy/upstream/abortable.h"
#include "proxy/upstream/connection_slots.h"

namespace nexus::proxy {

class UpstreamConnection final : public Abortable {
 public:
  UpstreamConnection(net::tcp::socket socket, boost::asio::ssl::context* tls, size_t endpoint,
                     std::shared_ptr<ConnectionSlots> slots)
      : stream_(tls != nullptr ? std::make_unique<net::Stream>(std::move(socket), *tls)
                               : std::make_unique<net::Stream>(std::move(socket))),
        endpoint_(endpoint),
        slots_(std::move(slots)) {
    slots_->on_open();
  }
  ~UpstreamConnection() { slots_->on_close(); }
  void abort() override { stream_->close(); }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  net::Stream& stream() { return *stream_; }
  net::ByteBuffer& in() { return in_; }
  [[nodiscard]] size_t endpoint() const { return endpoint_; }

  // True once it has carried a complete exchange: a failure before any response byte may then
  // be a keep-alive connection the upstream closed meanwhile, and is worth one retry.
  [[nodiscard]] bool reused() const { return reused_; }
  void mark_reused() { reused_ = true; }

  // Pool bookkeeping.
  uint64_t idle_generation = 0;
  bool idle_watched = false;  // a readability wait is pending (see ClusterRuntime::sweep)
  std::chrono::steady_clock::time_point idle_since;

 private:
  std::unique_ptr<net::Stream> stream_;
  net::ByteBuffer in_;
  size_t endpoint_;
  // The owning cluster's count of open connections (same worker). Shared because a connection
  // held by an unfinished request may outlive the cluster at process exit.
  std::shared_ptr<ConnectionSlots> slots_;
  bool reused_ = false;
};

}  // namespace nexus::proxy

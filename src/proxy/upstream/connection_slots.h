// The bulkhead of one cluster, as one worker sees it: its open connections may not exceed
// pool.max_connections, and requests that find it full wait in a bounded FIFO queue
// (pool.max_pending) for a connection to be given back or closed, instead of failing at once.
//
// A slot freed while requests wait is promised to the oldest one, so a request arriving
// meanwhile cannot take it (no thundering herd, no overtaking). Used only on its worker's
// thread: no locks. Shared (shared_ptr) because an open connection counts itself out when it is
// destroyed, which may happen after the cluster at process exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>

namespace nexus::proxy {

class UpstreamConnection;

class ConnectionSlots {
 public:
  class Waiter;

  ConnectionSlots(uint32_t max_connections, uint32_t max_pending)
      : max_connections_(max_connections), max_pending_(max_pending) {}
  ConnectionSlots(const ConnectionSlots&) = delete;
  ConnectionSlots& operator=(const ConnectionSlots&) = delete;

  // Whether a request that is not queued may open a connection now: below the limit, counting
  // the slots promised to waiters.
  [[nodiscard]] bool has_room() const { return open_ + promised_ < max_connections_; }
  // Whether a request that found no room may wait for one (pool.max_pending).
  [[nodiscard]] bool can_queue() const { return queue_.size() < max_pending_; }
  [[nodiscard]] uint32_t max_connections() const { return max_connections_; }
  [[nodiscard]] size_t waiting() const { return queue_.size(); }
  [[nodiscard]] uint32_t open() const { return open_; }

  // Kept by UpstreamConnection's constructor and destructor. A connection closed while requests
  // wait gives its slot to the oldest.
  void on_open() { ++open_; }
  void on_close();

  // The request waiting longest (null: none), to which a connection given back goes directly.
  [[nodiscard]] Waiter* oldest() { return queue_.empty() ? nullptr : queue_.front(); }
  // Hands `connection` (pooled, to the oldest waiter's endpoint) to the oldest waiter.
  void hand_over(std::unique_ptr<UpstreamConnection> connection);

 private:
  // Promises free slots to the oldest waiters.
  void grant_free_slots();

  uint32_t max_connections_;
  uint32_t max_pending_;
  uint32_t open_ = 0;
  uint32_t promised_ = 0;  // granted to waiters that have not opened their connection yet
  std::list<Waiter*> queue_;
};

// A request in the queue, from construction (it must find no room and can_queue()) until it is
// granted a slot or a connection, or is destroyed (gave up: timeout, client gone). Lives in the
// waiting request; destroying it leaves the queue, and passes on what it was granted and did
// not use, so nothing leaks.
class ConnectionSlots::Waiter {
 public:
  enum class Grant { kNone, kSlot, kConnection };

  // `wake` is called (once) when the waiter is granted something; it must not destroy it.
  Waiter(std::shared_ptr<ConnectionSlots> slots, size_t endpoint, std::function<void()> wake);
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  [[nodiscard]] size_t endpoint() const { return endpoint_; }
  [[nodiscard]] Grant grant() const { return grant_; }
  // Granted a slot: the caller opens its connection now (the promise becomes the open count).
  bool claim_slot();
  // Granted a connection: the caller takes it (a pooled one, to this endpoint).
  std::unique_ptr<UpstreamConnection> take_connection();

 private:
  friend class ConnectionSlots;
  void granted(Grant grant);

  std::shared_ptr<ConnectionSlots> slots_;
  size_t endpoint_;
  std::function<void()> wake_;
  std::list<Waiter*>::iterator position_;
  bool queued_ = true;
  Grant grant_ = Grant::kNone;
  std::unique_ptr<UpstreamConnection> connection_;
};

}  // namespace nexus::proxy

#include "proxy/upstream/connection_slots.h"

#include "proxy/upstream/upstream_connection.h"

namespace nexus::proxy {

void ConnectionSlots::on_close() {
  --open_;
  grant_free_slots();
}

void ConnectionSlots::grant_free_slots() {
  while (has_room() && !queue_.empty()) {
    Waiter* waiter = queue_.front();
    queue_.pop_front();
    waiter->queued_ = false;
    ++promised_;
    waiter->granted(Waiter::Grant::kSlot);
  }
}

void ConnectionSlots::hand_over(std::unique_ptr<UpstreamConnection> connection) {
  Waiter* waiter = queue_.front();
  queue_.pop_front();
  waiter->queued_ = false;
  waiter->connection_ = std::move(connection);
  waiter->granted(Waiter::Grant::kConnection);
}

ConnectionSlots::Waiter::Waiter(std::shared_ptr<ConnectionSlots> slots, size_t endpoint,
                                std::function<void()> wake)
    : slots_(std::move(slots)), endpoint_(endpoint), wake_(std::move(wake)) {
  position_ = slots_->queue_.insert(slots_->queue_.end(), this);
}

ConnectionSlots::Waiter::~Waiter() {
  if (queued_) {
    slots_->queue_.erase(position_);
  }
  if (grant_ == Grant::kSlot) {  // promised and not used: the next waiter gets it
    --slots_->promised_;
    slots_->grant_free_slots();
  }
  connection_.reset();  // handed and not used: closing it frees its slot for the next waiter
}

bool ConnectionSlots::Waiter::claim_slot() {
  if (grant_ != Grant::kSlot) {
    return false;
  }
  grant_ = Grant::kNone;
  --slots_->promised_;
  return true;
}

std::unique_ptr<UpstreamConnection> ConnectionSlots::Waiter::take_connection() {
  if (grant_ == Grant::kConnection) {
    grant_ = Grant::kNone;
  }
  return std::move(connection_);
}

void ConnectionSlots::Waiter::granted(Grant grant) {
  grant_ = grant;
  if (wake_) {
    wake_();
  }
}

}  // namespace nexus::proxy

// One timer for a sequence of waits, each with its own deadline (see Downstream::set_deadline).
// It is re-armed only when a deadline is earlier than the one it is armed for, because moving
// the earliest timer of the loop costs a system call; when it fires before the deadline in
// force (which moved later meanwhile), it is armed again for that one.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "server/downstream.h"

namespace nexus::server {

class PhaseTimer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PhaseTimer(boost::asio::io_context& io) : timer_(io) {}

  // The deadline of a wait in `phase`: `timeout` from now (0: none), and in the phases that wait
  // on the upstream or the client's reading, no later than the exchange's own `deadline`.
  static Clock::time_point deadline_of(std::chrono::milliseconds timeout, Phase phase,
                                       Clock::time_point exchange_deadline) {
    Clock::time_point at = timeout.count() == 0 ? Clock::time_point::max() : Clock::now() + timeout;
    if (phase >= Phase::kUpstreamConnect && phase <= Phase::kClientWrite &&
        exchange_deadline < at) {
      at = exchange_deadline;
    }
    return at;
  }

  // The current wait is `phase` and must end by `deadline`. When it passes, owner->on_deadline()
  // is called; a pending timer keeps `owner` alive.
  template <typename Owner>
  void set(Clock::time_point deadline, Phase phase, const std::shared_ptr<Owner>& owner) {
    phase_ = phase;
    timed_out_ = false;
    deadline_ = deadline;
    if (deadline_ < expiry_) {
      arm(owner);
    }
  }

  [[nodiscard]] Phase phase() const { return phase_; }
  [[nodiscard]] bool timed_out(Phase phase) const { return timed_out_ && phase_ == phase; }

  // No deadline any more (the owner is done with waiting).
  void stop() {
    deadline_ = Clock::time_point::max();
    expiry_ = Clock::time_point::max();
    timer_.cancel();
  }

 private:
  template <typename Owner>
  void arm(const std::shared_ptr<Owner>& owner) {
    expiry_ = deadline_;
    timer_.expires_at(expiry_);  // cancels the wait armed for a later time
    timer_.async_wait([this, owner](boost::system::error_code error) {
      if (!error) {
        fire(owner);
      }
    });
  }

  template <typename Owner>
  void fire(const std::shared_ptr<Owner>& owner) {
    expiry_ = Clock::time_point::max();
    if (deadline_ == Clock::time_point::max()) {
      return;
    }
    if (Clock::now() < deadline_) {
      arm(owner);
      return;
    }
    timed_out_ = true;
    owner->on_deadline(phase_);
  }

  boost::asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();  // of the current wait
  Clock::time_point expiry_ = Clock::time_point::max();    // what the timer is armed for
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
};

}  // namespace nexus::server

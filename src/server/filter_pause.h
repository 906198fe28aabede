// How a filter's pause is waited out on a worker (filter::PauseSupport for the server): a timer
// that either expires (ctx.pause_for(), or the bound on how long a filter may hold a request) or
// is cancelled by the Resumer the filter was given (ctx.pause()). The Resumer may be called from
// any thread: it posts to the worker, and does nothing once the wait is over.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "http/filter/context.h"

namespace nexus::server {

// The longest a filter may keep a request paused without resuming it.
inline constexpr std::chrono::seconds kMaxFilterPause{60};

class FilterPause final : public filter::PauseSupport {
 public:
  struct Wake {
    explicit Wake(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    bool resumed = false;
  };

  explicit FilterPause(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  [[nodiscard]] std::shared_ptr<filter::Resumer> make_resumer() override;
  // The wait of the current pause (created on first use); forget() ends it.
  Wake& current();
  void forget() { wake_.reset(); }

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<Wake> wake_;
};

}  // namespace nexus::server

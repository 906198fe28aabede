#include "server/filter_pause.h"

#include <boost/asio/post.hpp>

namespace nexus::server {
namespace {

class TimerResumer final : public filter::Resumer {
 public:
  TimerResumer(std::weak_ptr<FilterPause::Wake> wake, boost::asio::any_io_executor executor)
      : wake_(std::move(wake)), executor_(std::move(executor)) {}

  void resume() override {
    boost::asio::post(executor_, [wake = wake_] {
      if (auto live = wake.lock()) {
        live->resumed = true;
        live->timer.cancel();
      }
    });
  }

 private:
  std::weak_ptr<FilterPause::Wake> wake_;
  boost::asio::any_io_executor executor_;
};

}  // namespace

FilterPause::Wake& FilterPause::current() {
  if (!wake_) {
    wake_ = std::make_shared<Wake>(executor_);
  }
  return *wake_;
}

std::shared_ptr<filter::Resumer> FilterPause::make_resumer() {
  current();
  return std::make_shared<TimerResumer>(wake_, executor_);
}

}  // namespace nexus::server

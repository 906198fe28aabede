#include "filters/fault/fault_filter.h"

#include <charconv>
#include <random>

namespace nexus::filters {
namespace {

constexpr std::string_view kDelayHeader = "x-nexus-fault-delay-ms";
constexpr std::string_view kAbortHeader = "x-nexus-fault-abort";

// True for `percentage` percent of calls. One generator per thread: no shared state.
bool roll(double percentage) {
  if (percentage >= 100) {
    return true;
  }
  if (percentage <= 0) {
    return false;
  }
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 100)(generator) < percentage;
}

std::optional<uint64_t> number(std::string_view text) {
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

class FaultFilter final : public filter::Filter {
 public:
  explicit FaultFilter(const FaultConfig& config) : config_(config) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    std::optional<std::chrono::milliseconds> delay;
    std::optional<int> abort;
    if (const auto& configured = config_.delay; configured && roll(configured->percentage)) {
      delay = configured->duration;
    }
    if (const auto& configured = config_.abort; configured && roll(configured->percentage)) {
      abort = configured->status;
    }
    if (config_.header_control) {
      const filter::HeaderMap& headers = *ctx.request_headers();
      if (const auto asked = number(headers.get(kDelayHeader)); asked.has_value()) {
        delay = std::min(std::chrono::milliseconds(*asked), config_.max_header_delay);
      }
      if (const auto asked = number(headers.get(kAbortHeader)); asked >= 200 && asked <= 599) {
        abort = static_cast<int>(asked.value_or(0));
      }
    }
    if (abort.has_value()) {
      ctx.reply(fault_abort_reply(abort.value_or(0)));
    }
    if (delay.has_value() && delay->count() > 0) {
      ctx.pause_for(*delay);
    }
    return abort || delay ? filter::FilterStatus::kStop : filter::FilterStatus::kContinue;
  }

 private:
  const FaultConfig& config_;
};

}  // namespace

filter::LocalReply fault_abort_reply(int status) {
  // The error makes the access log say why the exchange failed; the status is the configured one.
  filter::LocalReply reply = filter::LocalReply::from_error(
      Error(ErrorCode::kFaultInjected, "fault injected by the fault filter"));
  reply.status = status;
  return reply;
}

filter::ArenaPtr<filter::Filter> FaultFactory::create(filter::Arena& arena) const {
  return arena.make<FaultFilter>(config_);
}

}  // namespace nexus::filters

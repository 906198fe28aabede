#include "filters/rate_limit/rate_limit_filter.h"

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>

#include "http/filter/request_slots.h"

namespace nexus::filters {
namespace {

using rate_limit::Decision;
using rate_limit::KeyKind;
using rate_limit::LimitConfig;

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerMilli = 1'000'000;

int64_t seconds_up(int64_t ns) {
  return ns <= 0 ? 0 : (ns + kNanosPerSecond - 1) / kNanosPerSecond;
}

// The key of `limit` for this request, or nothing when the limit does not apply (a missing
// header with missing_header: skip). Identity keys are "id:<subject>", or "ip:<client ip>" for a
// request without identity, so that a subject named like an address never shares its counter.
// The view may point into `scratch` (reused, so that existing keys cost no allocation).
std::optional<std::string_view> key_for(filter::Context& ctx, const LimitConfig& limit,
                                        std::string& scratch) {
  switch (limit.key) {
    case KeyKind::kClientIp:
      return ctx.client_ip();
    case KeyKind::kIdentity: {
      const filter::Identity* identity = ctx.slots().get(filter::kIdentity);
      scratch.assign(identity != nullptr ? "id:" : "ip:");
      scratch.append(identity != nullptr ? std::string_view(identity->subject) : ctx.client_ip());
      return std::string_view(scratch);
    }
    case KeyKind::kRoute:
      return std::string_view(ctx.request().route);
    case KeyKind::kHeader: {
      const filter::HeaderMap* headers = ctx.request_headers();
      const std::string_view* value = headers != nullptr ? headers->find(limit.header) : nullptr;
      if (value == nullptr) {
        return limit.skip_missing_header ? std::nullopt : std::optional<std::string_view>("");
      }
      return *value;
    }
    case KeyKind::kGlobal:
      return std::string_view();
  }
  return std::nullopt;
}

// Fewer requests left is more restrictive; on a tie, the longer wait until reset.
bool more_restrictive(const Decision& a, const Decision& b) {
  return a.remaining != b.remaining ? a.remaining < b.remaining : a.reset_ns > b.reset_ns;
}

class RateLimitFilter final : public filter::Filter {
 public:
  explicit RateLimitFilter(const RateLimitFactory& factory) : factory_(factory) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override;

  filter::FilterStatus on_response_headers(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.response_headers();
    if (!shown_.has_value() || headers == nullptr) {
      return filter::FilterStatus::kContinue;
    }
    set_headers(*shown_,
                [&](std::string_view name, std::string_view value) { headers->set(name, value); });
    return filter::FilterStatus::kContinue;
  }

 private:
  // Calls set(name, value) for each header; the values are formatted on the stack (they run on
  // every request of a limited route).
  template <typename Set>
  static void set_headers(const Decision& d, Set&& set) {
    std::array<char, 24> digits{};
    const auto show = [&](std::string_view name, int64_t value) {
      const auto end = std::to_chars(digits.begin(), digits.end(), value).ptr;
      set(name, std::string_view(digits.data(), end));
    };
    show("x-ratelimit-limit", d.limit);
    show("x-ratelimit-remaining", d.remaining);
    show("x-ratelimit-reset", seconds_up(d.reset_ns));
  }

  // Gives back what limits [0, end) took: a later limit rejected the request.
  void roll_back(filter::Context& ctx, size_t end,
                 const std::array<Decision, rate_limit::kMaxLimits>& taken,
                 std::string& scratch) const {
    const auto& limits = factory_.config().limits;
    for (size_t i = 0; i < end; ++i) {
      if (!taken[i].allowed) {
        continue;  // skipped
      }
      if (auto key = key_for(ctx, limits[i], scratch)) {
        factory_.store(i).refund(*key, taken[i]);
      }
    }
  }

  void reject(filter::Context& ctx, const LimitConfig& limit, const Decision& d) const {
    filter::LocalReply reply = filter::LocalReply::from_error(
        Error(ErrorCode::kRateLimited, "rate limit '" + limit.name + "' exceeded"));
    reply.headers.emplace_back("retry-after",
                               std::to_string(std::max<int64_t>(1, seconds_up(d.retry_after_ns))));
    if (factory_.config().headers) {
      set_headers(d, [&](std::string_view name, std::string_view value) {
        reply.headers.emplace_back(std::string(name), std::string(value));
      });
    }
    ctx.reply(std::move(reply));
  }

  const RateLimitFactory& factory_;
  std::optional<Decision> shown_;  // the most restrictive limit's, for the response headers
};

filter::FilterStatus RateLimitFilter::on_request_headers(filter::Context& ctx) {
  thread_local std::string scratch;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(ctx.clock().steady().time_since_epoch())
          .count();
  const auto& limits = factory_.config().limits;
  std::array<Decision, rate_limit::kMaxLimits> taken{};
  int64_t delay_ns = 0;
  bool checked = false;  // some limit applied to the request (its key was found)
  for (size_t i = 0; i < limits.size(); ++i) {
    const std::optional<std::string_view> key = key_for(ctx, limits[i], scratch);
    if (!key.has_value()) {
      continue;
    }
    const Decision d = factory_.store(i).acquire(*key, now);
    if (!d.allowed) {
      roll_back(ctx, i, taken, scratch);
      reject(ctx, limits[i], d);
      if (filter::FilterMetrics* metrics = ctx.metrics(); metrics != nullptr) {
        metrics->rate_limit_decision(true);
      }
      return filter::FilterStatus::kStop;
    }
    checked = true;
    taken[i] = d;
    delay_ns = std::max(delay_ns, d.delay_ns);
    if (!shown_.has_value() || more_restrictive(d, *shown_)) {
      shown_ = d;
    }
  }
  if (filter::FilterMetrics* metrics = ctx.metrics(); metrics != nullptr && checked) {
    metrics->rate_limit_decision(false);
  }
  if (delay_ns > 0) {
    // Leaky bucket: hold the request until its turn (whole milliseconds, never early).
    ctx.pause_for(std::chrono::milliseconds((delay_ns + kNanosPerMilli - 1) / kNanosPerMilli));
    return filter::FilterStatus::kStop;
  }
  return filter::FilterStatus::kContinue;
}

}  // namespace

RateLimitFactory::RateLimitFactory(RateLimitConfig config) : config_(std::move(config)) {
  for (const LimitConfig& limit : config_.limits) {
    // One key only: a single shard holds it (max_keys means nothing there).
    const bool global = limit.key == KeyKind::kGlobal;
    stores_.push_back(std::make_unique<rate_limit::LimitStore>(
        limit.spec, global ? 1 : limit.max_keys, limit.when_full,
        global ? 1 : rate_limit::LimitStore::kMaxShards));
  }
}

filter::ArenaPtr<filter::Filter> RateLimitFactory::create(filter::Arena& arena) const {
  return arena.make<RateLimitFilter>(*this);
}

}  // namespace nexus::filters

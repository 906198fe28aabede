// Where the scopes' counters live: in this process (LocalLimiter, over each ScopeState's own
// counters), or in Redis, shared by every instance (RedisLimiter). Governance asks its limiter
// to admit and to settle; the scopes' limits and budgets (ScopeState::controls) come from the
// store either way.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "governance/scope_state.h"
#include "governance/store.h"
#include "nexus/core/result.h"

namespace nexus::governance {

// Why a request was not admitted: the error for the client, and when to retry (seconds, for
// Retry-After; 0: no time is known).
struct Refused {
  Error error;
  uint64_t retry_after_seconds = 0;
};

// A scope's refusal as the client reads it: 429 for rates, 402 for budgets, the reset time in the
// message and in seconds.
Refused refused_by(Refusal refusal, UnixMillis now);

using Scopes = std::span<const std::shared_ptr<ScopeState>>;

class Limiter {
 public:
  // Called exactly once, perhaps before admit() returns, on any thread.
  using Decided = std::function<void(std::optional<Refused>)>;

  virtual ~Limiter() = default;
  // Admits `demand` by every scope, or by none (what earlier scopes took is given back when a
  // later one refuses).
  virtual void admit(Scopes scopes, const Demand& demand, UnixMillis now, Decided decided) = 0;
  // An admitted request ended: it used `used_tokens` and cost `cost` (both 0 for one that never
  // reached a provider). Never blocks the caller.
  virtual void settle(Scopes scopes, const Demand& demand, uint64_t used_tokens, NanoUsd cost,
                      UnixMillis now) = 0;
  // What the counters say of `scope` now, when the limiter can tell without waiting (the admin
  // API's live state); nullopt: not known here.
  [[nodiscard]] virtual std::optional<ScopeView> view(const ScopeState& scope,
                                                      UnixMillis now) const {
    return std::nullopt;
  }
};

// Counters in this process: each scope's ScopeState, under its own mutex.
class LocalLimiter final : public Limiter {
 public:
  explicit LocalLimiter(std::shared_ptr<const TimeZone> zone) : zone_(std::move(zone)) {}
  void admit(Scopes scopes, const Demand& demand, UnixMillis now, Decided decided) override;
  void settle(Scopes scopes, const Demand& demand, uint64_t used_tokens, NanoUsd cost,
              UnixMillis now) override;
  [[nodiscard]] std::optional<ScopeView> view(const ScopeState& scope,
                                              UnixMillis now) const override {
    return scope.view(now, *zone_);
  }

 private:
  std::shared_ptr<const TimeZone> zone_;
};

// Logs that a scope's spend crossed its soft budget (once per period, the caller decides when).
void alert_soft_budget(const ScopeState& scope, NanoUsd spent);

}  // namespace nexus::governance

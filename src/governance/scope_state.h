// The live state of one scope (an organization, team, user or virtual key) in this process: its
// request and token counts this minute, its requests in flight, and its budget's spend and
// reservations in the current period. Shared by every worker, so each scope has a mutex; a
// request takes it once to be admitted and once to be settled, and scopes never lock each
// other (a request goes through its scopes one at a time), so there is no lock order to keep.
//
// Minutes are fixed, aligned to the wall clock (the same windows a Redis counter keyed by the
// minute has), so "100 requests per minute" admits exactly 100 from 12:00:00 to 12:00:59.
// A budget reservation is exact: admit() refuses a request whose worst-case cost, added to what
// the period has spent and what requests in flight have reserved, would pass the hard cap, so
// the spend can never exceed it, whatever the concurrency.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "governance/periods.h"
#include "governance/store.h"

namespace nexus::governance {

// What one request asks of a scope.
struct Demand {
  std::string model;    // the model name the client used
  uint64_t tokens = 0;  // estimated input + the most it may generate
  NanoUsd reserve = 0;  // the most it may cost
  int64_t minute = 0;   // the minute it was admitted in (UnixMillis / 60000)
  // Unique per admission in this process (Governance numbers them): a shared limiter names the
  // request's entries in flight by it, so that its settlement removes exactly those.
  uint64_t id = 0;
};

// Why a request is refused.
struct Refusal {
  enum class Kind : uint8_t { kRate, kBudget };
  Kind kind = Kind::kRate;
  std::string limit;  // what was hit, for the client: "rpm", "tpm", "max_parallel", "budget"
  std::string message;
  UnixMillis resets_at = 0;  // when the limit frees up (0: when a request in flight ends)
};

// What the admin API and metrics show of a scope.
struct ScopeView {
  Controls controls;
  uint64_t requests_this_minute = 0;
  uint64_t tokens_this_minute = 0;
  uint32_t in_flight = 0;
  PeriodBounds period;
  NanoUsd spent = 0;     // settled in the current period
  NanoUsd reserved = 0;  // held by requests in flight
};

class ScopeState {
 public:
  ScopeState(ScopeKind kind, std::string id) : kind_(kind), id_(std::move(id)) {}
  ScopeState(const ScopeState&) = delete;
  ScopeState& operator=(const ScopeState&) = delete;

  [[nodiscard]] ScopeKind kind() const { return kind_; }
  [[nodiscard]] const std::string& id() const { return id_; }

  // The scope's limits and budget (from the store, when keys are (re)loaded). `spent` is what
  // the ledger holds for `period`; it replaces the running count only when the period is new
  // to this state (a reload must not forget spend settled since the ledger was read).
  void configure(const Controls& controls, const PeriodBounds& period, NanoUsd spent);
  // The budget period the state counts spend for ({0, 0} before the first configure()).
  [[nodiscard]] PeriodBounds period() const;

  // Admits the request (counting it, reserving its cost) or says why not.
  std::optional<Refusal> admit(const Demand& demand, UnixMillis now, const TimeZone& zone);
  // Undoes admit() for a request that another scope refused.
  void cancel(const Demand& demand);
  // The request ended: the reservation is released, `cost` spent, and the minute's tokens
  // corrected from the estimate to `used_tokens`. Returns true when this spend crossed the
  // soft budget (the caller raises the alert once).
  bool settle(const Demand& demand, uint64_t used_tokens, NanoUsd cost, UnixMillis now,
              const TimeZone& zone);

  [[nodiscard]] ScopeView view(UnixMillis now, const TimeZone& zone) const;
  [[nodiscard]] Controls controls() const;
  [[nodiscard]] std::string describe() const;  // "team team_x"

 private:
  struct Window {
    int64_t minute = -1;
    uint64_t requests = 0;
    uint64_t tokens = 0;
    uint32_t in_flight = 0;
  };
  // The scope's window, and the window of the request's model when the scope limits it.
  Window* model_window(std::string_view model);
  static void roll(Window& window, int64_t minute);
  static std::optional<Refusal> check(const Limits& limits, const Window& window, uint64_t tokens,
                                      int64_t minute, std::string_view who);
  void roll_period(UnixMillis now, const TimeZone& zone);  // mutex_ held

  const ScopeKind kind_;
  const std::string id_;
  mutable std::mutex mutex_;
  Controls controls_;
  Window window_;
  std::vector<Window> model_windows_;  // parallel to controls_.model_limits
  PeriodBounds period_;
  NanoUsd spent_ = 0;
  NanoUsd reserved_ = 0;
  bool soft_alerted_ = false;
};

}  // namespace nexus::governance

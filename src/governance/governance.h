// Governance in the data plane: which virtual key a request carries, whether its limits and
// budgets admit it, and what it cost once it ended (docs/governance.md).
//
// One Governance per process, shared by every worker: the key directory is an immutable map
// swapped atomically (a request looks its key up without a lock), and each scope's counters
// have their own mutex (scope_state.h). The store is used only off the workers: when keys are
// (re)loaded (start-up, an admin change, a change another instance made, seen by polling) and
// by the ledger writer's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/cidr.h"
#include "governance/ledger_writer.h"
#include "governance/limiter.h"
#include "governance/periods.h"
#include "governance/scope_state.h"
#include "governance/store.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::governance {

// What a live virtual key grants: who it belongs to, what it may use, and the scopes whose
// limits and budgets it answers to (the key's own first, then its user's, team's, org's).
struct Grant {
  std::string key_id;
  std::string key_prefix;
  std::string user_id, team_id, org_id;
  std::vector<std::string> allowed_models;  // empty: every model
  CidrSet allowed_ips;                      // empty: any address
  UnixMillis expires_at = 0;                // 0: never
  UnixMillis revoked_at = 0;                // 0: never
  // The secret a rotation replaced maps to this same grant (same scopes, same counters) until
  // previous_valid_until; checked per request, as the directory is rebuilt only on changes.
  std::string previous_hash;
  UnixMillis previous_valid_until = 0;
  std::vector<std::shared_ptr<ScopeState>> scopes;

  [[nodiscard]] bool allows_model(std::string_view model) const;
};

class Governance;

// A request admitted by every scope of its key: what it reserved, until settled. Destroying an
// unsettled admission gives everything back (a request that never reached a provider).
class Admission {
 public:
  Admission() = default;
  Admission(Governance& owner, std::shared_ptr<const Grant> grant, Demand demand)
      : owner_(&owner), grant_(std::move(grant)), demand_(std::move(demand)) {}
  Admission(Admission&& other) noexcept
      : owner_(other.owner_), grant_(std::move(other.grant_)), demand_(std::move(other.demand_)) {}
  Admission& operator=(Admission&& other) noexcept;
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  ~Admission() { release(); }

  [[nodiscard]] bool active() const { return grant_ != nullptr; }
  [[nodiscard]] const Grant& grant() const { return *grant_; }
  [[nodiscard]] const Demand& demand() const { return demand_; }

 private:
  friend class Governance;
  void release();

  Governance* owner_ = nullptr;
  std::shared_ptr<const Grant> grant_;
  Demand demand_;
};

class Governance {
 public:
  // Opens the store (creating and migrating it), reads or makes the pepper, loads the keys and
  // the budgets' spend, and starts the ledger writer and the key refresher. `config_dir` is
  // where relative paths (a SQLite file, the pepper file) are resolved from.
  static Result<std::unique_ptr<Governance>> open(const config::Governance& config);
  // Ditto, on a store the caller made (tests, the admin API's own tests).
  static Result<std::unique_ptr<Governance>> open(const config::Governance& config,
                                                  std::unique_ptr<Store> store, std::string pepper);
  // Only open() can make one (a public constructor, for make_unique).
  class Passkey {
    friend class Governance;
    Passkey() = default;
  };
  Governance(Passkey /*only open() makes one*/, const config::Governance& config,
             std::unique_ptr<Store> store, std::string pepper,
             std::shared_ptr<const TimeZone> zone);
  Governance(const Governance&) = delete;
  Governance& operator=(const Governance&) = delete;
  // Writes the ledger's queue out (bounded) and stops the threads.
  ~Governance();

  // The key a request presented (the secret itself), checked against the directory, its
  // expiry, its revocation and its allowed addresses. Errors: 401 (unknown, expired, revoked),
  // 403 (an address the key does not allow).
  Result<std::shared_ptr<const Grant>> authenticate(std::string_view secret,
                                                    std::string_view client_ip,
                                                    UnixMillis now) const;

  // Admits a request to `model` that may use `tokens` and cost up to `reserve` (nano-USD), or
  // says which limit refuses it: 403 (model not allowed), 429 (rate limits, with the reset
  // time), 402 (budget), 503 (the ledger is too far behind to take more, or the shared
  // counters cannot be reached). `admitted` is called exactly once, perhaps before admit()
  // returns, on any thread.
  using Admitted = std::function<void(std::expected<Admission, Refused>)>;
  void admit(std::shared_ptr<const Grant> grant, std::string_view model, uint64_t tokens,
             NanoUsd reserve, UnixMillis now, Admitted admitted);
  // Settles an admitted request: its scopes learn what it used and cost, and `record` goes to
  // the ledger; `durable` is called on the ledger's thread once it is written (or failed).
  void settle(Admission& admission, UsageRecord record, LedgerWriter::Done durable);
  // Settles what no one settled (an exchange that ended before reaching a provider): nothing
  // used, nothing spent, and no ledger record.
  void release(Admission& admission);

  // Rereads the keys (and new scopes' spend) from the store: after an admin change here, or when
  // the store's generation moved (another instance's change).
  Result<void> reload_keys();

  [[nodiscard]] Store& store() { return *store_; }
  [[nodiscard]] const std::string& pepper() const { return pepper_; }
  [[nodiscard]] const TimeZone& time_zone() const { return *zone_; }
  [[nodiscard]] const config::Governance& config() const { return config_; }
  [[nodiscard]] LedgerWriter& ledger() { return *ledger_; }
  // The live state of a scope this process has seen (null: none).
  [[nodiscard]] std::shared_ptr<ScopeState> scope(ScopeKind kind, std::string_view id) const;
  // Its counters now, as the limiter knows them (the admin API's live state).
  [[nodiscard]] std::optional<ScopeView> live_view(ScopeKind kind, std::string_view id) const;

 private:
  using Directory = std::unordered_map<std::string, std::shared_ptr<const Grant>>;

  // The scope's state, made on first sight with its spend in the current period read from the
  // store (reload_keys() holds reload_mutex_).
  Result<std::shared_ptr<ScopeState>> scope_for(ScopeKind kind, const std::string& id,
                                                const Controls& controls, UnixMillis now);
  void refresh_loop();

  config::Governance config_;
  std::unique_ptr<Store> store_;
  std::string pepper_;
  std::shared_ptr<const TimeZone> zone_;
  std::unique_ptr<LedgerWriter> ledger_;
  std::unique_ptr<Limiter> limiter_;
  std::atomic<uint64_t> next_demand_id_{1};  // any worker admits: an atomic counter
  std::atomic<std::shared_ptr<const Directory>> directory_;

  std::mutex reload_mutex_;  // one reload at a time (admin thread, refresher)
  uint64_t generation_ = 0;
  mutable std::mutex scopes_mutex_;  // the map only; each state has its own mutex
  std::unordered_map<std::string, std::shared_ptr<ScopeState>> scopes_;

  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace nexus::governance

// The scopes' counters in Redis, shared by every instance (docs/governance.md, "Shared counters
// (Redis)"): one Lua script call admits a request by all of its scopes at once, another settles it,
// so two instances never both take the last request of a minute or the last dollar of a budget.
//
// Threads: admit() and settle() only queue the request (a short mutex, shared with this
// limiter's thread) and return; the limiter's own thread talks to Redis over one blocking
// connection, pipelining what has queued, and calls `decided` from there. A worker never waits
// for Redis.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "governance/limiter.h"
#include "governance/redis_connection.h"
#include "nexus/config/config.h"

namespace nexus::governance {

struct RedisLimiterOptions {
  RedisEndpoint endpoint;
  std::string display;  // redis://host:port/db, for logs
  std::chrono::milliseconds timeout{250};
  std::chrono::milliseconds lease{600'000};
  bool rate_limits_open = false;  // without Redis: admit rate-limited requests uncounted
  // Settlements that could not reach Redis are retried for this long, then logged as lost.
  std::chrono::milliseconds settle_retry{5000};
  size_t settle_queue = 100'000;     // the most settlements kept for a retry
  size_t admission_queue = 100'000;  // beyond this many waiting, admissions are refused (503)
};

class RedisLimiter final : public Limiter {
 public:
  // `store` (for rebuilding budgets from the ledger) must outlive the limiter.
  RedisLimiter(RedisLimiterOptions options, std::shared_ptr<const TimeZone> zone, Store& store);
  ~RedisLimiter() override;  // answers what is queued, then stops the thread
  RedisLimiter(const RedisLimiter&) = delete;
  RedisLimiter& operator=(const RedisLimiter&) = delete;

  void admit(Scopes scopes, const Demand& demand, UnixMillis now, Decided decided) override;
  void settle(Scopes scopes, const Demand& demand, uint64_t used_tokens, NanoUsd cost,
              UnixMillis now) override;

  // Whether the last attempt to use Redis succeeded (for tests and health).
  [[nodiscard]] bool available() const { return available_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    std::vector<std::shared_ptr<ScopeState>> scopes;
    Demand demand;
    UnixMillis now = 0;
    Decided decided;  // empty for a settlement
    uint64_t used_tokens = 0;
    NanoUsd cost = 0;
    std::chrono::steady_clock::time_point queued;
  };

  void enqueue(Job job);
  void run();
  void serve(std::vector<Job>& jobs);
  // Connects (when due) and loads the scripts; false while Redis cannot be reached.
  bool ensure_connected();
  void lose_connection(const std::string& why);
  // Runs the jobs' scripts, pipelined; returns how many were answered before the connection
  // broke.
  size_t run_pipelined(std::vector<Job>& jobs);
  void finish(Job& job, Result<RedisReply> reply);
  void finish_admission(Job& job, RedisReply reply);
  // One script call, EVALSHA falling back to EVAL when Redis lost the script.
  Result<RedisReply> eval(const std::string& sha, std::string_view script,
                          std::vector<std::string> args);
  // The budget counters of a period Redis does not have, from the ledger (HSETNX: every
  // instance rebuilding at once writes the same value, the first one wins).
  Result<void> rebuild_budget(const ScopeState& scope, UnixMillis now);
  // Without Redis: refuses the request (503) or, for rate limits under the open policy, admits
  // it uncounted.
  void decide_without_redis(Job& job);
  void keep_for_retry(Job job);
  void drop_expired_retries(bool all);

  std::vector<std::string> admit_args(const Job& job) const;
  std::vector<std::string> settle_args(const Job& job) const;
  [[nodiscard]] std::string member(const Demand& demand) const;

  const RedisLimiterOptions options_;
  const std::shared_ptr<const TimeZone> zone_;
  Store& store_;
  const std::string instance_;  // random, per limiter: the requests' ids in Redis are unique

  // The queue between callers and the thread (the only lock callers take).
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Job> queue_;
  bool stopping_ = false;

  // The thread's own state.
  std::unique_ptr<RedisConnection> connection_;
  std::string admit_sha_, settle_sha_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  bool outage_logged_ = false;
  std::deque<Job> retries_;            // settlements waiting for Redis
  std::atomic<bool> available_{true};  // written by the thread, read by anyone

  std::thread thread_;
};

// The LocalLimiter, or a RedisLimiter when `config.redis` is set.
std::unique_ptr<Limiter> make_limiter(const config::Governance& config,
                                      std::shared_ptr<const TimeZone> zone, Store& store);

}  // namespace nexus::governance

// Model routing for the LLM exchange: each worker's view of the deployments (latencies, load,
// breakers, cool-downs) and one request's plan through its model group, the group's fallbacks
// and its context fallback (docs/routing.md).
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "llm/routing/deployment_state.h"
#include "llm/routing/request_needs.h"
#include "proxy/health/endpoint_health.h"
#include "proxy/resilience/retry_budget.h"
#include "server/snapshot.h"

namespace nexus::server {

// Per worker: the state of every deployment of the snapshot, and each group's retry budget.
class LlmRouting {
 public:
  // `health`: the deployments' active health flags (null: none is checked).
  void reset(const Snapshot& snapshot, size_t worker_index,
             const proxy::EndpointHealth* health = nullptr);

  llm::routing::DeploymentState& state(size_t deployment) { return deployments_[deployment]; }
  proxy::RetryBudget& budget(size_t group) { return budgets_[group]; }
  std::minstd_rand& random() { return random_; }
  // False while the deployment's active health checks fail (health_check).
  [[nodiscard]] bool healthy(size_t deployment) const {
    return health_ == nullptr || health_->healthy(deployment);
  }

 private:
  const proxy::EndpointHealth* health_ = nullptr;
  std::vector<llm::routing::DeploymentState> deployments_;
  std::vector<proxy::RetryBudget> budgets_;
  std::minstd_rand random_;
};

// How an attempt at a deployment went, for its state and for what happens next.
enum class AttemptVerdict : uint8_t {
  kSuccess,
  kFailure,        // connect error, reset, timeout, malformed answer, 5xx: breaker counts it
  kRateLimited,    // 429: the deployment rests for Retry-After or rate_limit_cool_down
  kMisconfigured,  // 401/403: the deployment rests for misconfigured_cool_down
  kTooLong,        // the provider says the request exceeds the context window
  kClientError,    // any other 4xx: the client's request, which no deployment would take
  kNeutral,        // the client left, or a pool was full: says nothing of the deployment
};

// What finish() is told of an attempt.
struct AttemptOutcome {
  AttemptVerdict verdict = AttemptVerdict::kSuccess;
  std::chrono::steady_clock::duration first_byte{};  // to the head, or a stream's first bytes
  std::chrono::steady_clock::duration total{};
  uint64_t retry_after_seconds = 0;  // the provider's Retry-After (0: none)
  std::optional<uint64_t> tokens;    // used, when the provider reported usage
};

// One request's way through the deployments: the group's first (each tried at most once),
// then its fallbacks' in order; a request too long for a group moves to the group's
// context_fallback instead.
class AttemptPlan {
 public:
  using Clock = std::chrono::steady_clock;
  // Which deployments can serve the request's endpoint (e.g. count_tokens: Anthropic only).
  using Serves = bool (*)(const config::Provider& provider, int endpoint);

  AttemptPlan(const Snapshot& snapshot, LlmRouting& routing, const Snapshot::LlmGroup& group,
              Serves serves, int endpoint);

  // The next deployment to try (its in-flight count raised until finish()), or null when none
  // is left.
  const Snapshot::LlmDeployment* next(const llm::routing::RequestNeeds& needs,
                                      Clock::time_point now);
  // The attempt at the deployment next() returned is over. Returns whether another attempt
  // may follow.
  bool finish(const AttemptOutcome& outcome, Clock::time_point now);

  [[nodiscard]] uint32_t attempts() const { return attempts_; }
  // Why next() found nothing, when nothing was tried: for the client's error.
  // `endpoint`: the request's path, for the error of an endpoint no deployment serves.
  [[nodiscard]] Error none_left(const std::string& model_name, std::string_view endpoint) const;
  // When none was left because deployments rest: how long until the first is back (else 0).
  [[nodiscard]] std::chrono::seconds retry_after(Clock::time_point now) const;

 private:
  const Snapshot::LlmDeployment* choose(const Snapshot::LlmGroup& group,
                                        const llm::routing::RequestNeeds& needs,
                                        Clock::time_point now, bool& too_long);
  void queue_group(const Snapshot::LlmGroup& group);

  const Snapshot& snapshot_;
  LlmRouting& routing_;
  Serves serves_;
  int endpoint_;
  std::vector<const Snapshot::LlmGroup*> queue_;  // groups to try, in order
  size_t position_ = 0;
  std::vector<size_t> tried_;  // deployment ids
  const Snapshot::LlmDeployment* current_ = nullptr;
  proxy::CircuitBreaker::Admission admission_ = proxy::CircuitBreaker::Admission::kAdmitted;
  uint32_t attempts_ = 0;
  bool context_fallback_used_ = false;
  bool budget_spent_ = false;  // the retry budget stopped the failovers
  // What passed deployments over, for none_left().
  std::string lacking_;  // a capability no deployment had
  bool too_long_ = false;
  bool resting_ = false;
  Clock::time_point back_at_{};  // the earliest a resting deployment is back
  bool at_limit_ = false;
  bool at_capacity_ = false;
  uint64_t expected_tokens_ = 0;  // of the attempt in progress, counted against tpm
  bool unserved_ = false;
};

}  // namespace nexus::server

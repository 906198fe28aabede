#include "server/llm_routing.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "llm/routing/strategy.h"

namespace nexus::server {

namespace routing = llm::routing;
using Admission = proxy::CircuitBreaker::Admission;
using BreakerVerdict = proxy::CircuitBreaker::Verdict;

namespace {

// The longest rest a provider's Retry-After may impose on a deployment.
constexpr auto kMaxRetryAfter = std::chrono::seconds(300);

// Only a deployment with rpm, tpm or max_concurrent is counted in its shared usage window: the
// others never take its mutex, which every worker would otherwise contend for per request.
bool counts_usage(const config::Deployment& deployment) {
  return deployment.rpm != 0 || deployment.tpm != 0 || deployment.max_concurrent != 0;
}

// A deployment whose group has somewhere else to go: only then is it left out while it rests
// after a 429 or 401 (a lone deployment's clients get the provider's answer each time).
bool fails_over(const Snapshot::LlmDeployment& deployment) {
  const config::Model& group = *deployment.group;
  return group.deployments.size() > 1 || !group.fallbacks.empty();
}

}  // namespace

void LlmRouting::reset(const Snapshot& snapshot, size_t worker_index,
                       const proxy::EndpointHealth* health) {
  health_ = health;
  deployments_.assign(snapshot.deployments.size(), {});
  for (const Snapshot::LlmDeployment& deployment : snapshot.deployments) {
    if (deployment.group->circuit_breaker.enabled) {
      deployments_[deployment.id].breaker.emplace(deployment.group->circuit_breaker);
    }
  }
  budgets_.clear();
  budgets_.reserve(snapshot.models.size());
  std::vector<const config::Model*> groups(snapshot.models.size());
  for (const auto& [name, group] : snapshot.models) {
    groups[group.id] = group.model;
  }
  for (const config::Model* model : groups) {
    budgets_.emplace_back(model->retry_budget);
  }
  random_.seed(static_cast<uint32_t>(worker_index * 7919 + 17));
}

AttemptPlan::AttemptPlan(const Snapshot& snapshot, LlmRouting& routing,
                         const Snapshot::LlmGroup& group, Serves serves, int endpoint)
    : snapshot_(snapshot), routing_(routing), serves_(serves), endpoint_(endpoint) {
  queue_group(group);
  routing_.budget(group.id).on_first_attempt(Clock::now());
}

void AttemptPlan::queue_group(const Snapshot::LlmGroup& group) {
  queue_.push_back(&group);
  for (const Snapshot::LlmGroup* fallback : group.fallbacks) {
    if (std::ranges::find(queue_, fallback) == queue_.end()) {
      queue_.push_back(fallback);
    }
  }
}

const Snapshot::LlmDeployment* AttemptPlan::next(const routing::RequestNeeds& needs,
                                                 Clock::time_point now) {
  while (position_ < queue_.size() && !budget_spent_) {
    bool too_long = false;
    if (const Snapshot::LlmDeployment* chosen = choose(*queue_[position_], needs, now, too_long)) {
      current_ = chosen;
      tried_.push_back(chosen->id);
      ++routing_.state(chosen->id).in_flight;
      ++attempts_;
      return chosen;
    }
    const Snapshot::LlmGroup* longer = queue_[position_]->context_fallback;
    if (too_long && longer != nullptr && !context_fallback_used_) {
      context_fallback_used_ = true;
      queue_.resize(position_ + 1);
      queue_group(*longer);
    }
    ++position_;
  }
  return nullptr;
}

// The group's deployments that may take the request now, and the strategy's pick among them;
// a pick its breaker refuses (half-open, probes taken) is passed over for the next.
const Snapshot::LlmDeployment* AttemptPlan::choose(const Snapshot::LlmGroup& group,
                                                   const routing::RequestNeeds& needs,
                                                   Clock::time_point now, bool& too_long) {
  std::vector<routing::Candidate> candidates;
  std::vector<const Snapshot::LlmDeployment*> targets;
  for (const Snapshot::LlmDeployment& target : snapshot_.deployments_of(group)) {
    routing::DeploymentState& state = routing_.state(target.id);
    const config::Deployment& deployment = *target.deployment;
    if (std::ranges::find(tried_, target.id) != tried_.end()) {
      continue;
    }
    if (!serves_(*target.provider, endpoint_)) {
      unserved_ = true;
      continue;
    }
    if (group.inspects_requests) {
      if (std::string lack = routing::lacks(deployment.capabilities, needs); !lack.empty()) {
        too_long = too_long || routing::too_long(deployment.capabilities, needs);
        too_long_ = too_long_ || too_long;
        lacking_ = std::move(lack);
        continue;
      }
    }
    const bool open = state.breaker &&
                      state.breaker->state() == proxy::CircuitBreaker::State::kOpen &&
                      now < state.breaker->reopens_at();
    // Failing its active checks: out until they pass again (no panic mode, the group's
    // fallbacks are there for that); back at the next check at the earliest.
    if (!routing_.healthy(target.id)) {
      const Clock::time_point back = now + deployment.health_check.interval;
      back_at_ = resting_ ? std::min(back_at_, back) : back;
      resting_ = true;
      continue;
    }
    if (state.resting(now) || open) {
      const Clock::time_point back =
          std::max(state.resting_until, open ? state.breaker->reopens_at() : now);
      back_at_ = resting_ ? std::min(back_at_, back) : back;
      resting_ = true;
      continue;
    }
    routing::UsageWindow& usage = snapshot_.usage[target.id];
    if (!usage.has_room(deployment.rpm, deployment.tpm, needs.prompt_tokens + needs.max_output,
                        now)) {
      at_limit_ = true;
      continue;
    }
    if (!usage.has_capacity(deployment.max_concurrent)) {
      at_capacity_ = true;
      continue;
    }
    candidates.push_back(
        {.deployment = &deployment, .state = &state, .usage = &usage, .price = target.price});
    targets.push_back(&target);
  }
  // A failover is a retry: the group's budget bounds them, so that an outage of every
  // deployment does not multiply the requests sent to them.
  if (!candidates.empty() && attempts_ > 0 && !routing_.budget(group.id).try_spend(now)) {
    budget_spent_ = true;
    return nullptr;
  }
  while (!candidates.empty()) {
    const size_t i = routing::pick(*group.model, candidates, needs, routing_.random(), now);
    routing::DeploymentState& state = *candidates[i].state;
    admission_ = state.breaker ? state.breaker->allow(now) : Admission::kAdmitted;
    if (admission_ != Admission::kRefused) {
      const Snapshot::LlmDeployment* chosen = targets[i];
      expected_tokens_ = needs.prompt_tokens;
      if (counts_usage(*chosen->deployment)) {
        snapshot_.usage[chosen->id].add_request(expected_tokens_, now);
      }
      return chosen;
    }
    resting_ = true;
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(i));
    targets.erase(targets.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return nullptr;
}

bool AttemptPlan::finish(const AttemptOutcome& outcome, Clock::time_point now) {
  const AttemptVerdict verdict = outcome.verdict;
  const Clock::duration first_byte = outcome.first_byte;
  routing::DeploymentState& state = routing_.state(current_->id);
  --state.in_flight;
  if (counts_usage(*current_->deployment)) {
    snapshot_.usage[current_->id].end_request(expected_tokens_,
                                              outcome.tokens.value_or(expected_tokens_), now);
  }
  BreakerVerdict breaker = BreakerVerdict::kNeutral;
  bool again = true;
  switch (verdict) {
    case AttemptVerdict::kSuccess:
      state.first_byte.add(first_byte);
      state.total.add(outcome.total);
      breaker = BreakerVerdict::kSuccess;
      again = false;
      break;
    case AttemptVerdict::kFailure:
      breaker = BreakerVerdict::kFailure;
      // A failure after a long wait counts as slow for least_latency too: the wait is what
      // clients of this deployment saw.
      state.first_byte.add(first_byte);
      break;
    case AttemptVerdict::kRateLimited: {
      if (!fails_over(*current_)) {
        break;  // resting it would only turn the provider's 429s into Nexus's 503s
      }
      Clock::duration rest = current_->group->rate_limit_cool_down;
      if (outcome.retry_after_seconds > 0) {
        rest = std::min<Clock::duration>(std::chrono::seconds(outcome.retry_after_seconds),
                                         kMaxRetryAfter);
      }
      state.resting_until = now + rest;
      break;
    }
    case AttemptVerdict::kMisconfigured:
      if (!fails_over(*current_)) {
        break;
      }
      if (!state.misconfigured || !state.resting(now)) {
        spdlog::error(
            "model '{}': provider '{}' refused Nexus's credentials for '{}' (401/403); the "
            "deployment is left out for {} ms: check its api_key",
            current_->group->name, current_->provider->name, current_->upstream_model(),
            current_->group->misconfigured_cool_down.count());
      }
      state.misconfigured = true;
      state.resting_until = now + current_->group->misconfigured_cool_down;
      break;
    case AttemptVerdict::kTooLong: {
      breaker = BreakerVerdict::kSuccess;  // it answered, correctly
      const Snapshot::LlmGroup& group = *queue_[position_];
      again = group.context_fallback != nullptr && !context_fallback_used_;
      if (again) {
        context_fallback_used_ = true;
        queue_.resize(position_ + 1);
        queue_group(*group.context_fallback);
        ++position_;
      }
      break;
    }
    case AttemptVerdict::kClientError:
      breaker = BreakerVerdict::kSuccess;
      again = false;
      break;
    case AttemptVerdict::kNeutral:
      break;
  }
  if (state.breaker) {
    state.breaker->report(admission_, breaker, now);
  }
  if (verdict == AttemptVerdict::kSuccess && state.misconfigured) {
    state.misconfigured = false;
  }
  current_ = nullptr;
  return again;
}

std::chrono::seconds AttemptPlan::retry_after(Clock::time_point now) const {
  if (!resting_) {
    return std::chrono::seconds(at_capacity_ ? 1 : 0);
  }
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(back_at_ - now));
}

Error AttemptPlan::none_left(const std::string& model_name, std::string_view endpoint) const {
  const std::string model = "model '" + model_name + "'";
  if (unserved_ && !resting_ && !at_limit_ && lacking_.empty()) {
    return {ErrorCode::kBadRequest,
            model + " does not serve " + std::string(endpoint) +
                ": the providers of its deployments do not offer it",
            "model"};
  }
  if (too_long_ && !resting_ && !at_limit_) {
    return {ErrorCode::kBadRequest,
            "the request is too long for every deployment of " + model + ": none has " + lacking_,
            "messages"};
  }
  if (!lacking_.empty() && !resting_ && !at_limit_) {
    return {ErrorCode::kBadRequest,
            "no deployment of " + model + " can serve this request: it needs " + lacking_};
  }
  if (at_limit_ && !resting_ && !at_capacity_) {
    return {ErrorCode::kRateLimited,
            "every deployment of " + model + " is at its requests or tokens per minute limit"};
  }
  if (at_capacity_ && !resting_) {
    return {ErrorCode::kUpstreamUnavailable,
            "every deployment of " + model + " is at its limit of concurrent requests"};
  }
  return {ErrorCode::kUpstreamUnavailable,
          "every deployment of " + model +
              " is unavailable for now (failing, rate limited or misconfigured)"};
}

}  // namespace nexus::server

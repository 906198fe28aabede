// Governance on the LLM path (docs/governance.md): the virtual key a request carries, its
// admission by every scope's limits and budget before any provider is called, and its
// settlement once the answer is known: the scopes learn what it used, the ledger records it,
// and a successful answer's last bytes wait until that record is durable (so a response a client
// received whole is never missing from the ledger, even after a kill -9).
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <thread>

#include "governance/governance.h"
#include "governance/key_secret.h"
#include "llm/pricing/price_table.h"
#include "server/io_constants.h"
#include "server/llm_exchange.h"
#include "server/server_metrics.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

namespace {

governance::UnixMillis wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The secret from "Authorization: Bearer <key>" or x-api-key (Anthropic's SDKs).
std::string_view presented_key(const http1::RequestHead& request) {
  if (const auto* authorization = http1::find_header(request.headers, "authorization")) {
    std::string_view value = authorization->value;
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() > kBearer.size() &&
        std::equal(kBearer.begin(), kBearer.end(), value.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      value.remove_prefix(kBearer.size());
      return value;
    }
  }
  if (const auto* api_key = http1::find_header(request.headers, "x-api-key")) {
    return api_key->value;
  }
  return {};
}

// A conservative count of generated tokens when the provider reported none (a stream the
// client left): three bytes per token, more tokens than English text has (about four) and
// about as many as CJK text has (one character of three bytes).
uint64_t tokens_in_text(uint64_t bytes) { return (bytes + 2) / 3; }

// Tokens an image may cost at most: Anthropic scales images to about 1,600, OpenAI's largest
// high-detail image is 765 (gpt-4o) or about 2,500 (patch-based models), Gemini 3 at most 1,120.
constexpr uint64_t kMediaTokensBound = 8192;

AdmissionDecision decision_of(const governance::Refused& refused) {
  switch (refused.error.code()) {
    case ErrorCode::kRateLimited:
      return AdmissionDecision::kRateLimited;
    case ErrorCode::kBudgetExceeded:
      return AdmissionDecision::kBudgetExceeded;
    default:
      return AdmissionDecision::kUnavailable;
  }
}

}  // namespace

std::optional<Error> LlmExchange::authenticate_key() {
  governance::Governance* governance = worker_.governance();
  if (governance == nullptr) {
    return std::nullopt;
  }
  const std::string_view secret = presented_key(downstream_.state().request);
  auto grant = governance->authenticate(secret, downstream_.client_ip(), wall_now());
  if (!grant) {
    return std::move(grant.error());
  }
  grant_ = std::move(*grant);
  request_id_ = governance::generate_id("req");
  return std::nullopt;
}

bool LlmExchange::may_list_model(std::string_view model) const {
  return grant_ == nullptr || grant_->allows_model(model);
}

governance::NanoUsd LlmExchange::worst_case_cost(const Snapshot::LlmGroup& group,
                                                 uint64_t output) const {
  const Snapshot& snapshot = worker_.snapshot();
  // No prompt has more tokens than its body has bytes, but an image, a document or audio is
  // counted by its pixels or pages, not by its bytes (a URL is a few). With media the bound is
  // the deployment's context window when configured (a provider refuses more), else the bytes
  // plus a generous per-item allowance (docs/governance.md says where that may fall short).
  const uint64_t text_bound = body_.size();
  auto input_bound = [&](const config::Deployment& deployment) {
    if (needs_.media == 0) {
      return text_bound;
    }
    if (deployment.capabilities.context_window != 0) {
      return deployment.capabilities.context_window;
    }
    return text_bound + (needs_.media * kMediaTokensBound);
  };
  governance::NanoUsd most = 0;
  auto consider = [&](const Snapshot::LlmGroup& candidate) {
    for (size_t i = candidate.first; i < candidate.first + candidate.count; ++i) {
      const Snapshot::LlmDeployment& deployment = snapshot.deployments[i];
      if (deployment.price != nullptr) {
        most = std::max(
            most, llm::pricing::worst_case(*deployment.price, input_bound(*deployment.deployment),
                                           output, needs_.media));
      }
    }
  };
  consider(group);
  for (const Snapshot::LlmGroup* fallback : group.fallbacks) {
    consider(*fallback);
  }
  if (group.context_fallback != nullptr) {
    consider(*group.context_fallback);
  }
  return most;
}

asio::awaitable<std::optional<governance::Refused>> LlmExchange::admit_request(
    const Snapshot::LlmGroup& group, std::string model) {
  governance::Governance* governance = worker_.governance();
  if (governance == nullptr || grant_ == nullptr) {
    co_return std::nullopt;
  }
  const uint64_t output =
      needs_.max_output != 0 ? needs_.max_output : governance->config().default_max_tokens;
  // Limits count the estimate; the budget reserves a bound, never less than the cost.
  const governance::NanoUsd reserve = worst_case_cost(group, output);
  // Decided at once on this thread (counters in this process), or later on another (Redis):
  // then the decision is posted here and wakes the exchange. The timer that waits is made only
  // in the second case (before this coroutine suspends, so before the posted decision runs).
  using Decision = std::expected<governance::Admission, governance::Refused>;
  struct Pending {
    std::optional<Decision> decision;
    std::optional<asio::steady_timer> wake;
    void decide(Decision decided) {
      decision = std::move(decided);
      if (wake) {
        wake->cancel();
      }
    }
  };
  auto pending = std::make_shared<Pending>();
  auto executor = downstream_.executor();
  const auto worker_thread = std::this_thread::get_id();
  governance->admit(grant_, model, needs_.prompt_tokens + output, reserve, wall_now(),
                    [pending, executor, worker_thread](Decision decided) {
                      if (std::this_thread::get_id() == worker_thread) {
                        pending->decide(std::move(decided));
                        return;
                      }
                      asio::post(executor, [pending, decided = std::move(decided)]() mutable {
                        pending->decide(std::move(decided));
                      });
                    });
  if (!pending->decision.has_value()) {
    asio::steady_timer& wake =
        pending->wake.emplace(executor, asio::steady_timer::time_point::max());
    co_await wake.async_wait(kAwait);
  }
  std::optional<Decision>& decided = pending->decision;
  if (!decided.has_value()) {
    co_return governance::Refused{
        .error = Error(ErrorCode::kInternal, "the request's admission was never decided")};
  }
  Decision& result = *decided;
  if (WorkerMetrics* metrics = worker_.metrics(); metrics != nullptr) {
    metrics->admission(result ? AdmissionDecision::kAdmitted : decision_of(result.error()));
  }
  if (!result.has_value()) {
    co_return std::move(result.error());
  }
  admission_ = std::move(*result);
  co_return std::nullopt;
}

governance::UsageRecord LlmExchange::usage_record(int status) const {
  governance::UsageRecord record{.request_id = request_id_, .time = wall_now()};
  const governance::Grant& grant = admission_.grant();
  record.key_id = grant.key_id;
  record.user_id = grant.user_id;
  record.team_id = grant.team_id;
  record.org_id = grant.org_id;
  record.model = admission_.demand().model;
  record.status = status;
  record.latency_ms =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - downstream_.record.start)
                                .count());
  if (answered_by_ == nullptr) {
    return record;
  }
  record.provider = answered_by_->provider->name;
  record.deployment_model = answered_by_->upstream_model();
  if (const auto& usage = downstream_.record.llm.usage) {
    record.usage = *usage;
  } else if (generated_bytes_ > 0) {
    // The stream was cut before the provider said what it used: bill what was generated.
    record.usage = {.input = needs_.prompt_tokens, .output = tokens_in_text(generated_bytes_)};
    record.usage_estimated = true;
  }
  // A provider charges what it answered or streamed, not an error it returned: a failed
  // request costs nothing (not even a per-request or per-image fee).
  const bool answered = (status >= 200 && status < 300) ||
                        downstream_.record.llm.usage.has_value() || record.usage_estimated;
  if (answered_by_->price != nullptr && answered) {
    // Images are in the usage as input tokens for most models; a model priced per image
    // (`per_image`) is charged for each image, document or audio part of the prompt too.
    record.cost = llm::pricing::cost(*answered_by_->price, record.usage, needs_.media);
  }
  return record;
}

asio::awaitable<void> LlmExchange::settle_usage(int status, bool wait_until_durable) {
  governance::Governance* governance = worker_.governance();
  if (governance == nullptr || !admission_.active()) {
    co_return;
  }
  governance::UsageRecord record = usage_record(status);
  if (!wait_until_durable) {
    governance->settle(admission_, std::move(record), nullptr);
    co_return;
  }
  // The ledger's thread wakes this exchange by cancelling the timer on its worker's thread.
  auto durable = std::make_shared<asio::steady_timer>(downstream_.executor(),
                                                      asio::steady_timer::time_point::max());
  auto executor = downstream_.executor();
  governance->settle(admission_, std::move(record),
                     [durable, executor](const Result<void>& written) {
                       if (!written) {
                         spdlog::error(
                             "governance: the usage ledger could not be written (it "
                             "is retried): {}",
                             written.error().message());
                       }
                       asio::post(executor, [durable] { durable->cancel(); });
                     });
  co_await durable->async_wait(kAwait);
}

void LlmExchange::record_metrics() {
  WorkerMetrics* metrics = worker_.metrics();
  if (metrics == nullptr || answered_by_ == nullptr) {
    return;
  }
  const ExchangeRecord& record = downstream_.record;
  const auto now = std::chrono::steady_clock::now();
  WorkerMetrics::LlmOutcome outcome{
      .deployment = static_cast<size_t>(answered_by_ - worker_.snapshot().deployments.data()),
      .usage = record.llm.usage ? &*record.llm.usage : nullptr,
      .total = now - record.start,
      .team = grant_ != nullptr ? std::string_view(grant_->team_id) : std::string_view()};
  if (first_token_at_) {
    outcome.first_token = *first_token_at_ - record.start;
  }
  if (answered_by_->price != nullptr && outcome.usage != nullptr) {
    outcome.cost_nano_usd = static_cast<uint64_t>(std::max<governance::NanoUsd>(
        0, llm::pricing::cost(*answered_by_->price, *outcome.usage, needs_.media)));
  }
  metrics->llm_done(outcome);
}

}  // namespace nexus::server

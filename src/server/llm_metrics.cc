#include "server/llm_metrics.h"

#include <map>
#include <string>

#include "governance/governance.h"
#include "obs/tracing/tracer.h"
#include "server/server_metrics.h"

namespace nexus::server {
namespace metrics = obs::metrics;

namespace {

constexpr double kNanosPerSecond = 1e9;
constexpr double kNanoUsdPerUsd = 1e9;
constexpr uint32_t kTeamCap = 200;  // teams seen at run time; more fold into "other"

// Bucket bounds the GenAI semantic conventions advise for each instrument.
std::vector<double> token_buckets() {
  return {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};
}
std::vector<double> operation_buckets() {
  return {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
}
std::vector<double> first_token_buckets() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
}
std::vector<double> per_token_buckets() {
  return {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5};
}

uint64_t nanos(std::chrono::steady_clock::duration elapsed) {
  const auto count = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  return count > 0 ? static_cast<uint64_t>(count) : 0;
}

// Value index of each name, in first-seen order (two deployments of one provider share it).
uint32_t index_of(std::map<std::string, uint32_t, std::less<>>& seen,
                  std::vector<std::string>& names, const std::string& name) {
  const auto [at, added] = seen.emplace(name, static_cast<uint32_t>(names.size()));
  if (added) {
    names.push_back(name);
  }
  return at->second;
}

metrics::FamilySpec seconds_histogram(std::string name, std::string help,
                                      std::vector<metrics::LabelSpec> labels,
                                      std::vector<double> buckets) {
  return {.name = std::move(name),
          .help = std::move(help),
          .unit = "seconds",
          .type = metrics::Type::kHistogram,
          .labels = std::move(labels),
          .buckets = std::move(buckets),
          .scale = kNanosPerSecond};
}

}  // namespace

Result<void> declare_llm_families(metrics::Registry& registry, const Snapshot& snapshot,
                                  LlmFamilies& out) {
  std::vector<std::string> providers;
  std::vector<std::string> models;
  std::map<std::string, uint32_t, std::less<>> provider_index;
  std::map<std::string, uint32_t, std::less<>> model_index;
  out.deployments.reserve(snapshot.deployments.size());
  for (const Snapshot::LlmDeployment& deployment : snapshot.deployments) {
    out.deployments.push_back(
        {.provider = index_of(provider_index, providers, deployment.provider->name),
         .model = index_of(model_index, models, deployment.group->name)});
  }
  const metrics::LabelSpec provider{.name = "gen_ai_provider_name", .values = providers};
  const metrics::LabelSpec model{.name = "gen_ai_request_model", .values = models};
  auto tokens = registry.add(
      {.name = "gen_ai_client_token_usage",
       .help = "Tokens per LLM request, as the provider reported them, by type.",
       .type = metrics::Type::kHistogram,
       .labels = {provider, model, {.name = "gen_ai_token_type", .values = {"input", "output"}}},
       .buckets = token_buckets()});
  auto duration = registry.add(seconds_histogram(
      "gen_ai_client_operation_duration_seconds",
      "An LLM request, from its first byte to the end of its answer (stream included).",
      {provider, model}, operation_buckets()));
  auto first_token = registry.add(seconds_histogram(
      "gen_ai_server_time_to_first_token_seconds",
      "Streamed LLM requests: from the request's first byte to the provider's first token.",
      {provider, model}, first_token_buckets()));
  auto per_token = registry.add(seconds_histogram(
      "gen_ai_server_time_per_output_token_seconds",
      "Streamed LLM requests: the time after the first token divided by the other tokens.",
      {provider, model}, per_token_buckets()));
  auto cost = registry.add(
      {.name = "nexus_llm_cost_usd",
       .help = "What LLM requests cost at the deployments' prices, in USD, by model and team "
               "(team: none without governance).",
       .labels = {{.name = "model", .values = models},
                  {.name = "team", .values = {"none"}, .cap = kTeamCap}},
       .scale = kNanoUsdPerUsd});
  auto decisions = registry.add(
      {.name = "nexus_governance_decisions",
       .help = "Admissions of governed LLM requests: admitted, or refused and why.",
       .labels = {{.name = "decision",
                   .values = {"admitted", "rate_limited", "budget_exceeded", "unavailable"}}}});
  for (const auto* added : {&tokens, &duration, &first_token, &per_token, &cost, &decisions}) {
    if (!*added) {
      return std::unexpected(added->error());
    }
  }
  out.tokens = *tokens;
  out.duration = *duration;
  out.first_token = *first_token;
  out.per_output_token = *per_token;
  out.cost = *cost;
  out.decisions = *decisions;
  if (auto declared = declare_provider_auth_failures(registry, snapshot, out); !declared) {
    return declared;
  }
  return {};
}

Result<void> declare_background_families(metrics::Registry& registry,
                                         governance::Governance* governance,
                                         const obs::tracing::Tracer* tracer) {
  struct Counted {
    std::string name;
    std::string help;
    metrics::Type type;
    metrics::ReadValue read;
  };
  std::vector<Counted> counted;
  if (governance != nullptr) {
    governance::LedgerWriter* ledger = &governance->ledger();
    auto stat = [ledger](auto field) {
      return [ledger, field] { return static_cast<double>(ledger->stats().*field); };
    };
    using Stats = governance::LedgerWriter::Stats;
    counted.push_back({"nexus_ledger_pending_records",
                       "Usage records waiting to be written to the ledger (back-pressure).",
                       metrics::Type::kGauge, stat(&Stats::pending)});
    counted.push_back({"nexus_ledger_records_written", "Usage records committed to the ledger.",
                       metrics::Type::kCounter, stat(&Stats::records_written)});
    counted.push_back({"nexus_ledger_commit_failures",
                       "Ledger transactions that failed (their records are retried).",
                       metrics::Type::kCounter, stat(&Stats::commit_failures)});
    counted.push_back({"nexus_ledger_abandoned_records",
                       "Usage records never written (left at a shutdown's deadline).",
                       metrics::Type::kCounter, stat(&Stats::abandoned)});
  }
  if (tracer != nullptr) {
    counted.push_back({"nexus_tracing_exported_spans", "Spans the collector accepted.",
                       metrics::Type::kCounter,
                       [tracer] { return static_cast<double>(tracer->exported_spans()); }});
    counted.push_back({"nexus_tracing_dropped_spans",
                       "Spans dropped: the export queue was full or the collector refused them.",
                       metrics::Type::kCounter,
                       [tracer] { return static_cast<double>(tracer->dropped_spans()); }});
  }
  for (Counted& family : counted) {
    auto added = registry.add_callback(
        {.name = std::move(family.name), .help = std::move(family.help), .type = family.type},
        std::move(family.read));
    if (!added) {
      return added;
    }
  }
  return {};
}

void WorkerMetrics::llm_done(const LlmOutcome& outcome) {
  const LlmFamilies& llm = families_.llm_;
  if (outcome.deployment >= llm.deployments.size()) {
    return;
  }
  const LlmFamilies::Labels labels = llm.deployments[outcome.deployment];
  const uint32_t both[] = {labels.provider, labels.model};
  shard_.observe(llm.duration->histogram_at(both), nanos(outcome.total));
  if (outcome.usage != nullptr) {
    const uint32_t input[] = {labels.provider, labels.model, 0};
    const uint32_t output[] = {labels.provider, labels.model, 1};
    shard_.observe(llm.tokens->histogram_at(input), outcome.usage->input);
    shard_.observe(llm.tokens->histogram_at(output), outcome.usage->output);
  }
  if (outcome.first_token) {
    shard_.observe(llm.first_token->histogram_at(both), nanos(*outcome.first_token));
    const uint64_t after_first = outcome.usage != nullptr ? outcome.usage->output : 0;
    if (after_first > 1) {
      shard_.observe(llm.per_output_token->histogram_at(both),
                     nanos(outcome.total - *outcome.first_token) / (after_first - 1));
    }
  }
  if (outcome.cost_nano_usd > 0) {
    shard_.add(cost_series(outcome.team)[labels.model], outcome.cost_nano_usd);
  }
}

void WorkerMetrics::admission(AdmissionDecision decision) {
  const uint32_t index[] = {static_cast<uint32_t>(decision)};
  shard_.add(families_.llm_.decisions->series_at(index));
}

const std::vector<metrics::SeriesId>& WorkerMetrics::cost_series(std::string_view team) {
  std::string_view name = team.empty() ? std::string_view("none") : team;
  if (auto found = team_cost_.find(name); found != team_cost_.end()) {
    return found->second;
  }
  // Past the cap the family folds new teams into "other": so does this cache, which stays bounded.
  if (team_cost_.size() >= kTeamCap) {
    name = metrics::kOtherValue;
    if (auto other = team_cost_.find(name); other != team_cost_.end()) {
      return other->second;
    }
  }
  metrics::Family& family = *families_.llm_.cost;
  const std::vector<std::string>& models = family.spec().labels[0].values;
  std::vector<metrics::SeriesId> series;
  series.reserve(models.size());
  for (const std::string& model : models) {
    const std::string_view values[] = {model, name};
    series.push_back(family.series(values));
  }
  return team_cost_.emplace(std::string(name), std::move(series)).first->second;
}

}  // namespace nexus::server

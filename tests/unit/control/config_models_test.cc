// The `models` section: model groups with deployments, strategies, fallbacks and A/B splits,
// and the errors their references report.
#include <gtest/gtest.h>

#include <string>

#include "control/config/loader.h"
#include "llm/pricing/price_table.h"

namespace nexus::control {
namespace {

#define HEAD                                                                            \
  "server: { listen: [\"127.0.0.1:8080\"] }\n"                                          \
  "routes: [{ match: { prefix: /v1/ }, llm: {} }]\n"                                    \
  "providers:\n"                                                                        \
  "  a: { type: openai_compatible, base_url: \"http://127.0.0.1:1/v1\", api_key: k }\n" \
  "  b: { type: anthropic, base_url: \"http://127.0.0.1:2/v1\", api_key: k }\n"         \
  "models:\n"

Result<config::Config> load(const std::string& yaml) { return load_config_text(yaml, "m.yaml"); }

TEST(ConfigModels, GroupWithDeploymentsAndPolicies) {
  auto loaded = load(HEAD
                     "  - name: gpt\n"
                     "    strategy: cost\n"
                     "    latency_ceiling: 2s\n"
                     "    fallbacks: [claude]\n"
                     "    context_fallback: claude\n"
                     "    deployments:\n"
                     "      - { provider: a, model: gpt-4o, weight: 3, rpm: 100, tpm: 5000,\n"
                     "          context_window: 128000, vision: false,\n"
                     "          price: { input: 2.5, output: 10 } }\n"
                     "      - { provider: a }\n"
                     "  - { name: claude, provider: b, model: claude-x, tools: false }\n"
                     "  - name: ab\n"
                     "    split: [{ model: gpt, percent: 90 }, { model: claude, percent: 10 }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->models.size(), 3U);
  const config::Model& gpt = loaded->models[0];
  EXPECT_EQ(gpt.strategy, config::RoutingStrategy::kCost);
  EXPECT_EQ(gpt.latency_ceiling, std::chrono::seconds(2));
  EXPECT_EQ(gpt.fallbacks, std::vector<std::string>{"claude"});
  EXPECT_EQ(gpt.context_fallback, "claude");
  EXPECT_TRUE(gpt.circuit_breaker.enabled);  // two deployments: on by default
  ASSERT_EQ(gpt.deployments.size(), 2U);
  const config::Deployment& first = gpt.deployments[0];
  EXPECT_EQ(first.model, "gpt-4o");
  EXPECT_EQ(first.weight, 3U);
  EXPECT_EQ(first.rpm, 100U);
  EXPECT_EQ(first.tpm, 5000U);
  EXPECT_EQ(first.capabilities.context_window, 128000U);
  EXPECT_FALSE(first.capabilities.vision);
  EXPECT_TRUE(first.capabilities.tools);
  ASSERT_NE(first.price, nullptr);
  EXPECT_EQ(first.price->tokens.input, 2'500'000);  // micro-USD per million tokens
  EXPECT_EQ(first.price->tokens.output, 10'000'000);
  EXPECT_EQ(gpt.deployments[1].model, "gpt");  // defaults to the group's name
  const config::Model& claude = loaded->models[1];
  ASSERT_EQ(claude.deployments.size(), 1U);
  EXPECT_FALSE(claude.deployments[0].capabilities.tools);
  EXPECT_FALSE(claude.circuit_breaker.enabled);  // alone, without fallbacks: off by default
  const config::Model& ab = loaded->models[2];
  ASSERT_EQ(ab.split.size(), 2U);
  EXPECT_EQ(ab.split[1].model, "claude");
  EXPECT_EQ(ab.split[1].percent, 10U);
  EXPECT_TRUE(ab.deployments.empty());
}

TEST(ConfigModels, DeploymentsOfLeftOutProvidersAreDropped) {
  auto loaded = load(
      "server: { listen: [\"127.0.0.1:8080\"] }\n"
      "routes: [{ match: { prefix: /v1/ }, llm: {} }]\n"
      "providers:\n"
      "  e: { type: echo }\n"
      "  o: { type: openai, api_key: \"${NEXUS_TEST_UNSET_KEY:-}\", optional: true }\n"
      "models:\n"
      "  - { name: m, deployments: [{ provider: e }, { provider: o }], fallbacks: [gone] }\n"
      "  - { name: gone, provider: o }\n"
      "  - { name: ab, split: [{ model: m, percent: 50 }, { model: gone, percent: 50 }] }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->models.size(), 2U);
  EXPECT_EQ(loaded->models[0].deployments.size(), 1U);
  EXPECT_TRUE(loaded->models[0].fallbacks.empty());
  ASSERT_EQ(loaded->models[1].split.size(), 1U);
  EXPECT_EQ(loaded->models[1].split[0].model, "m");
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;
};

const BadCase kBad[] = {
    {"unknown strategy", HEAD "  - { name: m, provider: a, strategy: fastest }\n",
     "m.yaml:7: models[0].strategy: unknown value 'fastest' (expected weighted, round_robin, "
     "least_busy, least_latency, cost, usage)"},
    {"unknown fallback", HEAD "  - { name: m, provider: a, fallbacks: [n] }\n",
     "m.yaml:7: models[0].fallbacks: unknown model 'n'"},
    {"fallback to itself", HEAD "  - { name: m, provider: a, fallbacks: [m] }\n",
     "m.yaml:7: models[0].fallbacks: a model cannot refer to itself"},
    {"context fallback to a split",
     HEAD "  - { name: m, provider: a, context_fallback: s }\n"
          "  - { name: s, split: [{ model: m, percent: 100 }] }\n",
     "m.yaml:7: models[0].context_fallback: 's' is a split, not a model with deployments"},
    {"split not adding up",
     HEAD "  - { name: m, provider: a }\n"
          "  - { name: s, split: [{ model: m, percent: 60 }] }\n",
     "m.yaml:8: models[1].split: the variants' percentages add up to 60, not 100"},
    {"split with deployments",
     HEAD "  - { name: s, provider: a, split: [{ model: m, percent: 100 }] }\n",
     "m.yaml:7: models[0]: unknown key 'provider' (expected one of: name, split)"},
    {"deployment of an unknown provider",
     HEAD "  - { name: m, deployments: [{ provider: a }, { provider: z }] }\n",
     "m.yaml:7: models[0].deployments[1].provider: unknown provider 'z' (not defined in "
     "providers)"},
    {"weight on the short form", HEAD "  - { name: m, provider: a, weight: 2 }\n",
     "m.yaml:7: models[0]: unknown key 'weight' (expected one of: name, strategy, exploration, "
     "latency_ceiling, fallbacks, context_fallback, circuit_breaker, rate_limit_cool_down, "
     "misconfigured_cool_down, retry_budget, provider, model, rpm, tpm, max_concurrent, "
     "context_window, tools, "
     "vision, json_schema, price, health_check)"},
    {"price not a number", HEAD "  - { name: m, provider: a, price: { input: x, output: 1 } }\n",
     "m.yaml:7: models[0].price.input: expected a number from 0 to 10000, got 'x'"},
    {"price without output", HEAD "  - { name: m, provider: a, price: { input: 1 } }\n",
     "m.yaml:7: models[0].price.output: required key is missing"},
    {"price cache rate not a number",
     HEAD "  - { name: m, provider: a, price: { input: 1, output: 2, cache_read: x } }\n",
     "m.yaml:7: models[0].price.cache_read: expected a number from 0 to 10000, got 'x'"},
    {"price names no model",
     HEAD "  - { name: m, provider: a, price: { model: x, input: 1, output: 2 } }\n",
     "m.yaml:7: models[0].price: unknown key 'model' (expected one of: input, output, "
     "cache_read, cache_write, reasoning, per_request, per_image, long_context, batch)"},
    {"exploration too large", HEAD "  - { name: m, provider: a, exploration: 0.9 }\n",
     "m.yaml:7: models[0].exploration: expected a number from 0 to 0.5, got '0.9'"},
    {"empty deployments", HEAD "  - { name: m, deployments: [] }\n",
     "m.yaml:7: models[0].deployments: must list at least one entry"},
    {"health check not a mapping", HEAD "  - { name: m, provider: a, health_check: often }\n",
     "m.yaml:7: models[0].health_check: expected true, false or a mapping (interval, timeout, "
     "...)"},
    {"health check with a path",
     HEAD "  - { name: m, deployments: [{ provider: a, health_check: { path: /x } }] }\n",
     "m.yaml:7: models[0].deployments[0].health_check: unknown key 'path' (expected one of: "
     "interval, timeout, unhealthy_threshold, healthy_threshold)"},
    {"health check interval of zero",
     HEAD "  - { name: m, provider: a, health_check: { interval: 0s } }\n",
     "m.yaml:7: models[0].health_check.interval: must be above 0"},
    {"health check threshold of zero",
     HEAD "  - { name: m, provider: a, health_check: { healthy_threshold: 0 } }\n",
     "m.yaml:7: models[0].health_check.healthy_threshold: expected an integer from 1 to "
     "1000000, got '0'"},
};

// Provider types whose health check would not be free, or is not implemented: refused with
// the reason.
#define UNCHECKED_HEAD                                                                   \
  "server: { listen: [\"127.0.0.1:8080\"] }\n"                                           \
  "routes: [{ match: { prefix: /v1/ }, llm: {} }]\n"                                     \
  "providers:\n"                                                                         \
  "  e: { type: echo }\n"                                                                \
  "  w: { type: bedrock, region: eu-west-3, access_key_id: AK, secret_access_key: S }\n" \
  "  v: { type: vertex, project: p, location: us-central1, api_key: t }\n"               \
  "  z: { type: azure_openai, base_url: \"https://r.openai.azure.com/openai\",\n"        \
  "       tenant_id: t.onmicrosoft.com, client_id: app, client_secret: s }\n"            \
  "models:\n"

const BadCase kUnchecked[] = {
    {"echo", UNCHECKED_HEAD "  - { name: m, provider: e, health_check: true }\n",
     "m.yaml:10: models[0].health_check: not for type: echo (it answers in-process: there is "
     "nothing to reach)"},
    {"bedrock", UNCHECKED_HEAD "  - { name: m, provider: w, health_check: true }\n",
     "m.yaml:10: models[0].health_check: not supported for type: bedrock (its model list is on "
     "another host, bedrock.<region>.amazonaws.com, and needs a SigV4 signature of its own); "
     "passive health (circuit_breaker) covers it"},
    {"vertex", UNCHECKED_HEAD "  - { name: m, provider: v, health_check: {} }\n",
     "m.yaml:10: models[0].health_check: not supported for type: vertex (listing models needs "
     "Vertex AI's v1beta1 API and an OAuth access token); passive health (circuit_breaker) "
     "covers it"},
    {"fetched token", UNCHECKED_HEAD "  - { name: m, provider: z, health_check: true }\n",
     "m.yaml:10: models[0].health_check: not supported with a fetched OAuth token (the checks "
     "do not fetch tokens); passive health (circuit_breaker) covers it"},
};

TEST(ConfigModels, ErrorsNameFileLineAndKey) {
  for (const BadCase& bad : kBad) {
    auto loaded = load(bad.yaml);
    ASSERT_FALSE(loaded.has_value()) << bad.name;
    EXPECT_EQ(loaded.error().message(), bad.message) << bad.name;
  }
}

TEST(ConfigModels, HealthChecksOfProvidersWithoutAFreeCallAreRefused) {
  for (const BadCase& bad : kUnchecked) {
    auto loaded = load(bad.yaml);
    ASSERT_FALSE(loaded.has_value()) << bad.name;
    EXPECT_EQ(loaded.error().message(), bad.message) << bad.name;
  }
  // Off, they are fine.
  auto loaded = load(UNCHECKED_HEAD "  - { name: m, provider: w, health_check: false }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->models[0].deployments[0].health_check.enabled);
}

TEST(ConfigModels, HealthChecksAreOffUnlessSet) {
  auto loaded =
      load(HEAD
           "  - name: gpt\n"
           "    deployments:\n"
           "      - { provider: a, model: gpt-4o,\n"
           "          health_check: { interval: 30s, timeout: 5s, unhealthy_threshold: 3,\n"
           "                          healthy_threshold: 2 } }\n"
           "      - { provider: a, model: gpt-4o-mini }\n"
           "  - { name: claude, provider: b, health_check: true }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::HealthCheck& set = loaded->models[0].deployments[0].health_check;
  EXPECT_TRUE(set.enabled);
  EXPECT_EQ(set.interval, std::chrono::seconds(30));
  EXPECT_EQ(set.timeout, std::chrono::seconds(5));
  EXPECT_EQ(set.unhealthy_threshold, 3U);
  EXPECT_EQ(set.healthy_threshold, 2U);
  EXPECT_FALSE(loaded->models[0].deployments[1].health_check.enabled);
  // true: the defaults (a minute apart, 10 s to answer, out after 2 failures, back after 1).
  const config::HealthCheck& defaults = loaded->models[1].deployments[0].health_check;
  EXPECT_TRUE(defaults.enabled);
  EXPECT_EQ(defaults.interval, std::chrono::seconds(60));
  EXPECT_EQ(defaults.timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults.unhealthy_threshold, 2U);
  EXPECT_EQ(defaults.healthy_threshold, 1U);
  // 2xx and 429 pass; 401, 403 and 5xx do not.
  ASSERT_EQ(defaults.expected_status.size(), 2U);
  EXPECT_EQ(defaults.expected_status[0].first, 200);
  EXPECT_EQ(defaults.expected_status[0].last, 299);
  EXPECT_EQ(defaults.expected_status[1].first, 429);
  EXPECT_EQ(defaults.expected_status[1].last, 429);
}

}  // namespace
}  // namespace nexus::control

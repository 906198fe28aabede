// The `models` section: model groups with deployments, strategies, fallbacks and A/B splits,
// and the errors their references report.
#include <gtest/gtest.h>

#include <string>

#include "control/config/loader.h"

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
  ASSERT_TRUE(first.price.has_value());
  EXPECT_DOUBLE_EQ(first.price.value_or(config::Price{}).input, 2.5);
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
     "vision, json_schema, price)"},
    {"price not a number", HEAD "  - { name: m, provider: a, price: { input: x, output: 1 } }\n",
     "m.yaml:7: models[0].price.input: expected a number from 0 to 10000, got 'x'"},
    {"exploration too large", HEAD "  - { name: m, provider: a, exploration: 0.9 }\n",
     "m.yaml:7: models[0].exploration: expected a number from 0 to 0.5, got '0.9'"},
    {"empty deployments", HEAD "  - { name: m, deployments: [] }\n",
     "m.yaml:7: models[0].deployments: must list at least one entry"},
};

TEST(ConfigModels, ErrorsNameFileLineAndKey) {
  for (const BadCase& bad : kBad) {
    auto loaded = load(bad.yaml);
    ASSERT_FALSE(loaded.has_value()) << bad.name;
    EXPECT_EQ(loaded.error().message(), bad.message) << bad.name;
  }
}

}  // namespace
}  // namespace nexus::control

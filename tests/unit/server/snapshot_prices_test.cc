// Each deployment's price is resolved once, when the snapshot is built: its own `price`, else
// the table's for its provider kind and upstream model, echo free, anything else unpriced.
#include <gtest/gtest.h>

#include "control/config/loader.h"
#include "server/snapshot.h"

namespace nexus::server {
namespace {

constexpr const char* kConfig = R"(
server: { listen: ["127.0.0.1:8080"] }
routes: [{ match: { prefix: /v1/ }, llm: {} }]
providers:
  openai: { type: openai, api_key: k }
  groq: { type: openai_compatible, preset: groq, api_key: k }
  echo: { type: echo }
  self: { type: openai_compatible, base_url: "http://127.0.0.1:1/v1", api_key: k }
models:
  - name: gpt
    strategy: cost
    deployments:
      - { provider: openai, model: gpt-4o-2024-08-06 }
      - { provider: openai, model: gpt-4o, price: { input: 1, output: 2 } }
  - { name: llama, provider: groq, model: llama-3.3-70b-versatile }
  - { name: echo, provider: echo }
  - { name: mine, provider: self, model: my-model }
)";

TEST(SnapshotPrices, ResolvedOncePerDeployment) {
  auto config = control::load_config_text(kConfig, "s.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  auto snapshot = build_snapshot(std::move(*config));
  ASSERT_TRUE(snapshot.has_value()) << snapshot.error().message();
  const auto& deployments = (*snapshot)->deployments;
  ASSERT_EQ(deployments.size(), 5U);
  // The table's gpt-4o entry prices its dated snapshots.
  ASSERT_NE(deployments[0].price, nullptr);
  EXPECT_EQ(deployments[0].price->tokens.input, 2'500'000);
  EXPECT_EQ(deployments[0].price, (*snapshot)->config.prices->find("openai", "gpt-4o"));
  // Its own price wins over the table's, and lives in the snapshot's config.
  ASSERT_NE(deployments[1].price, nullptr);
  EXPECT_EQ(deployments[1].price, deployments[1].deployment->price.get());
  EXPECT_EQ(deployments[1].price->tokens.input, 1'000'000);
  // An openai_compatible provider is looked up by its preset.
  ASSERT_NE(deployments[2].price, nullptr);
  EXPECT_EQ(deployments[2].price->tokens.input, 590'000);
  // Echo answers in-process: free, not unpriced.
  ASSERT_NE(deployments[3].price, nullptr);
  EXPECT_EQ(llm::pricing::cost(*deployments[3].price, llm::Usage{.input = 100, .output = 100}), 0);
  EXPECT_EQ(deployments[4].price, nullptr);
}

}  // namespace
}  // namespace nexus::server

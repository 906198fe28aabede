// `nexus prices check` and `list`: what they write, from a loaded config.
#include "cli/prices.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "control/config/loader.h"

namespace nexus::cli {
namespace {

TEST(PricesCli, CheckListsEveryUnpricedDeployment) {
  auto config = control::load_config_text(R"(
server: { listen: ["127.0.0.1:8080"] }
routes: [{ match: { prefix: /v1/ }, llm: {} }]
providers:
  openai: { type: openai, api_key: k }
  azure: { type: azure_openai, base_url: "https://x.openai.azure.com", api_key: k }
  self: { type: openai_compatible, base_url: "http://127.0.0.1:1/v1", api_key: k }
models:
  - name: gpt
    deployments:
      - { provider: openai, model: gpt-4o }
      - { provider: azure, model: my-gpt-4o }
      - { provider: azure, model: priced-gpt-4o, price: { input: 2.5, output: 10 } }
  - { name: mine, provider: self, model: my-model }
)",
                                          "c.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  std::ostringstream out;
  EXPECT_EQ(write_unpriced(*config, out), 2U);
  EXPECT_EQ(out.str(),
            "model gpt: provider azure (azure_openai), model my-gpt-4o: no price\n"
            "model mine: provider self (openai_compatible), model my-model: no price\n");
}

// Sets an environment variable for a scope, then puts back what was there (other tests read
// the same keys).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

TEST(PricesCli, TheQuickstartIsPricedWithEveryProvider) {
  const ScopedEnv openai("OPENAI_API_KEY", "test-key");
  const ScopedEnv anthropic("ANTHROPIC_API_KEY", "test-key");
  const ScopedEnv gemini("GEMINI_API_KEY", "test-key");
  const ScopedEnv aws_key("AWS_ACCESS_KEY_ID", "test-key");
  const ScopedEnv aws_secret("AWS_SECRET_ACCESS_KEY", "test-key");
  auto config = control::load_config_file(NEXUS_SOURCE_DIR "/examples/quickstart.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  ASSERT_GT(config->models.size(), 5U);  // the optional providers are in
  std::ostringstream out;
  EXPECT_EQ(write_unpriced(*config, out), 0U) << out.str();
}

TEST(PricesCli, ListWritesTheSourcesAndEveryEntry) {
  llm::pricing::PriceTable table;
  table.add_source("test table");
  llm::pricing::ModelPrice price;
  price.tokens = {.input = 3'000'000, .output = 15'000'000, .cache_read = 300'000};
  price.long_context = llm::pricing::LongContextTier{
      .above_input_tokens = 200000, .rates = {.input = 6'000'000, .output = 22'500'000}};
  price.batch = llm::pricing::TokenRates{.input = 1'500'000, .output = 7'500'000};
  table.set("anthropic", "claude", {.price = price, .dated_snapshots = true});
  llm::pricing::ModelPrice fee;
  fee.per_request = 2'000'000;
  table.set("", "rerank", {.price = fee});
  std::ostringstream out;
  write_price_table(table, out);
  EXPECT_EQ(out.str(),
            "# test table\n"
            "# USD per million tokens; provider '*': any provider\n"
            "* rerank: in 0.0 out 0.0 per_request 0.002\n"
            "anthropic claude (and its dated snapshots): in 3.0 out 15.0 cache_read 0.3; above "
            "200000 input tokens: in 6.0 out 22.5; batch: in 1.5 out 7.5\n");
}

}  // namespace
}  // namespace nexus::cli

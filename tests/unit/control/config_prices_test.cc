// The `prices` section and deployments' own `price`: the built-in table by default, entries and
// a price file that override or extend it, every rate key read exactly, and the provider kind
// prices are looked up by.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "control/config/loader.h"
#include "llm/pricing/price_table.h"

namespace nexus::control {
namespace {

using llm::pricing::ModelPrice;

#define HEAD                                   \
  "server: { listen: [\"127.0.0.1:8080\"] }\n" \
  "routes: [{ match: {}, direct_response: {} }]\n"

Result<config::Config> load(const std::string& yaml) { return load_config_text(yaml, "p.yaml"); }

int64_t input_of(const config::Config& config, std::string_view provider, std::string_view model) {
  const ModelPrice* price = config.prices->find(provider, model);
  return price == nullptr ? -1 : price->tokens.input;
}

TEST(ConfigPrices, WithoutASectionTheBuiltInTableIsShared) {
  auto loaded = load(HEAD);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_NE(loaded->prices, nullptr);
  auto builtin = builtin_price_table();
  ASSERT_TRUE(builtin.has_value());
  EXPECT_EQ(loaded->prices.get(), builtin->get());  // not copied
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4o"), 2'500'000);
}

TEST(ConfigPrices, EntriesOverrideAndExtendTheBuiltInTable) {
  auto loaded = load(HEAD
                     "prices:\n"
                     "  models:\n"
                     "    - { provider: openai, model: gpt-4o, input: 2, output: 8 }\n"
                     "    - provider: [groq, together]\n"
                     "      model: my-llama\n"
                     "      aliases: [my-llama-latest]\n"
                     "      dated_snapshots: true\n"
                     "      input: 0.0375\n"
                     "      output: 0.15\n"
                     "    - { model: self-hosted, input: 0, output: 0, per_request: 0.0001 }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4o"), 2'000'000);     // overridden
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4o-mini"), 150'000);  // the built-in's
  EXPECT_EQ(input_of(*loaded, "groq", "my-llama"), 37'500);
  EXPECT_EQ(input_of(*loaded, "together", "my-llama-latest"), 37'500);
  EXPECT_EQ(input_of(*loaded, "groq", "my-llama-2025-01-31"), 37'500);
  EXPECT_EQ(input_of(*loaded, "groq", "my-llama-latest-2025-01-31"), -1);  // aliases are exact
  EXPECT_EQ(input_of(*loaded, "mistral", "my-llama"), -1);
  ASSERT_NE(loaded->prices->find("anything", "self-hosted"), nullptr);  // any provider
  EXPECT_EQ(loaded->prices->find("anything", "self-hosted")->per_request, 100'000);
  ASSERT_EQ(loaded->prices->sources().size(), 2U);
  EXPECT_EQ(loaded->prices->sources()[1], "p.yaml, prices.models");
  // The built-in table itself is untouched.
  auto builtin = builtin_price_table();
  ASSERT_TRUE(builtin.has_value());
  EXPECT_EQ((*builtin)->find("openai", "gpt-4o")->tokens.input, 2'500'000);
}

TEST(ConfigPrices, BuiltinFalseKeepsOnlyTheConfiguredEntries) {
  auto loaded = load(HEAD
                     "prices:\n"
                     "  builtin: false\n"
                     "  models: [{ provider: openai, model: gpt-4o, input: 1, output: 1 }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->prices->size(), 1U);
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4o-mini"), -1);
}

TEST(ConfigPrices, EveryPriceKeyOfADeployment) {
  auto loaded =
      load(HEAD
           "providers: { g: { type: gemini, api_key: k, base_url: \"http://127.0.0.1:1\" } }\n"
           "models:\n"
           "  - name: m\n"
           "    provider: g\n"
           "    price:\n"
           "      input: 1.25\n"
           "      output: 10\n"
           "      cache_read: 0.125\n"
           "      cache_write: 1.5\n"
           "      reasoning: 12\n"
           "      per_request: 0.001\n"
           "      per_image: 0.039\n"
           "      long_context: { above_input_tokens: 200000, input: 2.5, output: 15 }\n"
           "      batch: { input: 0.625, output: 5 }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const auto& price = loaded->models.at(0).deployments.at(0).price;
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->tokens, (llm::pricing::TokenRates{.input = 1'250'000,
                                                     .output = 10'000'000,
                                                     .cache_read = 125'000,
                                                     .cache_write = 1'500'000,
                                                     .reasoning = 12'000'000}));
  EXPECT_EQ(price->per_request, 1'000'000);
  EXPECT_EQ(price->per_image, 39'000'000);
  ASSERT_TRUE(price->long_context.has_value());
  const auto tier = price->long_context.value_or(llm::pricing::LongContextTier{});
  EXPECT_EQ(tier.above_input_tokens, 200'000U);
  EXPECT_EQ(tier.rates, (llm::pricing::TokenRates{.input = 2'500'000, .output = 15'000'000}));
  ASSERT_TRUE(price->batch.has_value());
  EXPECT_EQ(price->batch.value_or(llm::pricing::TokenRates{}).output, 5'000'000);
}

TEST(ConfigPrices, ProviderKindIsTheTypeOrThePreset) {
  auto loaded =
      load(HEAD
           "providers:\n"
           "  o: { type: openai, api_key: k }\n"
           "  c: { type: openai_compatible, base_url: \"http://127.0.0.1:1/v1\", api_key: k }\n"
           "  q: { type: openai_compatible, preset: groq, api_key: k }\n"
           "  b: { type: bedrock, region: us-east-1, access_key_id: a,\n"
           "       secret_access_key: s }\n"
           "  e: { type: echo }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->providers.at("o").kind, "openai");
  EXPECT_EQ(loaded->providers.at("c").kind, "openai_compatible");
  EXPECT_EQ(loaded->providers.at("q").kind, "groq");
  EXPECT_EQ(loaded->providers.at("b").kind, "bedrock");
  EXPECT_EQ(loaded->providers.at("e").kind, "echo");
}

// A fresh directory under /tmp for a config and its price file, removed afterwards.
class PriceFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("nexus_prices_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
};

TEST_F(PriceFiles, AFileIsAppliedBeforeTheSectionsOwnEntries) {
  const std::string file = write("negotiated.yaml",
                                 "version: \"2026-01-15\"\n"
                                 "models:\n"
                                 "  - { provider: openai, model: gpt-4o, input: 2, output: 8 }\n"
                                 "  - { provider: openai, model: gpt-4.1, input: 1, output: 4 }\n");
  const std::string config = write("nexus.yaml", HEAD
                                   "prices:\n"
                                   "  file: negotiated.yaml\n"  // next to the config
                                   "  models:\n"
                                   "    - { provider: openai, model: gpt-4.1, input: 1.5, "
                                   "output: 6 }\n");
  auto loaded = load_config_file(config);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4o"), 2'000'000);     // the file's
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4.1"), 1'500'000);    // the section's, last
  EXPECT_EQ(input_of(*loaded, "openai", "gpt-4o-mini"), 150'000);  // the built-in's
  ASSERT_EQ(loaded->prices->sources().size(), 3U);
  EXPECT_EQ(loaded->prices->sources()[1], file + ", version 2026-01-15");
}

TEST_F(PriceFiles, ErrorsInAPriceFileNameThatFileLineAndKey) {
  const std::string file = write("prices.yaml",
                                 "version: \"1\"\n"
                                 "models:\n"
                                 "  - { provider: openai, model: a, input: 1, output: 1 }\n"
                                 "  - { provider: openai, model: b, input: 1.5e3, output: 1 }\n");
  const std::string config = write("nexus.yaml", HEAD "prices: { file: prices.yaml }\n");
  auto loaded = load_config_file(config);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().message(),
            file + ":4: models[1].input: expected a number from 0 to 10000, got '1.5e3'");
  write("prices.yaml", "models: []\n");
  loaded = load_config_file(config);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().message(), file + ":1: version: required key is missing");
  write("prices.yaml", "version: 1\nmodels: [\n");
  loaded = load_config_file(config);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().message().starts_with(file + ":")) << loaded.error().message();
  EXPECT_NE(loaded.error().message().find("syntax error"), std::string::npos);
}

}  // namespace
}  // namespace nexus::control

// The price table shipped in the binary (data/prices.yaml): it loads, its entries are sane (a
// typo such as a cache read dearer than input fails here), and a few list prices are checked
// to the micro-dollar, with the lookups deployments rely on.
#include "llm/pricing/builtin_prices.h"

#include <gtest/gtest.h>

#include <string>

#include "control/config/loader.h"
#include "llm/pricing/price_table.h"

namespace nexus::llm::pricing {
namespace {

const PriceTable& builtin() {
  static const auto kTable = control::builtin_price_table();
  EXPECT_TRUE(kTable.has_value()) << (kTable ? "" : kTable.error().message());
  static const PriceTable kEmpty;
  return kTable ? **kTable : kEmpty;
}

TEST(PricingBuiltin, LoadsWithItsVersion) {
  ASSERT_EQ(builtin().sources().size(), 1U);
  EXPECT_EQ(builtin().sources()[0], "data/prices.yaml (built in), version 2026-07-24");
  EXPECT_GT(builtin().size(), 100U);
  EXPECT_NE(builtin_prices_yaml().find("LIST prices"), std::string_view::npos);
  // Parsed once: every call shares the same table.
  auto again = control::builtin_price_table();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->get(), &builtin());
}

TEST(PricingBuiltin, EveryEntryIsSane) {
  for (const auto& [provider, models] : builtin().entries()) {
    for (const auto& [model, entry] : models) {
      std::string name = provider;
      name += ' ';
      name += model;
      SCOPED_TRACE(name);
      const ModelPrice& price = entry.price;
      EXPECT_FALSE(provider.empty());  // the shipped table names the provider of every price
      EXPECT_GT(price.tokens.input + price.per_request, 0);
      EXPECT_LE(price.tokens.cache_read_rate(), price.tokens.input);
      EXPECT_GE(price.tokens.cache_write_rate(), price.tokens.input);
      EXPECT_LE(price.tokens.output, 200'000'000);  // $200 per million: nothing costs more
      if (price.long_context) {
        const TokenRates& tier = price.long_context->rates;
        EXPECT_GE(tier.input, price.tokens.input);
        EXPECT_GE(tier.output, price.tokens.output);
        EXPECT_GE(tier.cache_read_rate(), price.tokens.cache_read_rate());
        EXPECT_GE(price.long_context->above_input_tokens, 100'000U);
      }
      if (price.batch) {
        EXPECT_LE(price.batch->input, price.tokens.input);
        EXPECT_LE(price.batch->output, price.tokens.output);
      }
    }
  }
}

TEST(PricingBuiltin, ListPricesAndLookups) {
  const PriceTable& table = builtin();
  const ModelPrice* gpt4o = table.find("openai", "gpt-4o-2024-08-06");  // a dated snapshot
  ASSERT_NE(gpt4o, nullptr);
  EXPECT_EQ(gpt4o->tokens,
            (TokenRates{.input = 2'500'000, .output = 10'000'000, .cache_read = 1'250'000}));
  ASSERT_TRUE(gpt4o->batch.has_value());
  EXPECT_EQ(gpt4o->batch.value_or(TokenRates{}).input, 1'250'000);
  // Its first snapshot has a price of its own.
  ASSERT_NE(table.find("openai", "gpt-4o-2024-05-13"), nullptr);
  EXPECT_EQ(table.find("openai", "gpt-4o-2024-05-13")->tokens.input, 5'000'000);

  for (const char* claude : {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929",
                             "claude-sonnet-4-20250514", "claude-sonnet-4-0"}) {
    SCOPED_TRACE(claude);
    const ModelPrice* sonnet = table.find("anthropic", claude);
    ASSERT_NE(sonnet, nullptr);
    EXPECT_EQ(sonnet->tokens, (TokenRates{.input = 3'000'000,
                                          .output = 15'000'000,
                                          .cache_read = 300'000,
                                          .cache_write = 3'750'000}));
    const auto tier = sonnet->long_context.value_or(LongContextTier{});
    EXPECT_EQ(tier.above_input_tokens, 200'000U);
    EXPECT_EQ(tier.rates.output, 22'500'000);
  }

  for (const char* kind : {"gemini", "vertex"}) {
    const ModelPrice* pro = table.find(kind, "gemini-2.5-pro");
    ASSERT_NE(pro, nullptr) << kind;
    EXPECT_EQ(pro->tokens.input, 1'250'000);
    EXPECT_EQ(pro->long_context.value_or(LongContextTier{}).rates.input, 2'500'000);
  }
  // Gemini 2.0 Flash is the one model Vertex AI prices above the Gemini API.
  const ModelPrice* flash2_api = table.find("gemini", "gemini-2.0-flash-001");
  const ModelPrice* flash2_vertex = table.find("vertex", "gemini-2.0-flash-001");
  ASSERT_NE(flash2_api, nullptr);
  ASSERT_NE(flash2_vertex, nullptr);
  EXPECT_EQ(flash2_api->tokens,
            (TokenRates{.input = 100'000, .output = 400'000, .cache_read = 25'000}));
  EXPECT_EQ(flash2_vertex->tokens,
            (TokenRates{.input = 150'000, .output = 600'000, .cache_read = 37'500}));
  // $0.0375 per million (Gemini 1.5 Flash, cached input over 128K tokens): exact.
  const ModelPrice* flash = table.find("gemini", "gemini-1.5-flash");
  ASSERT_NE(flash, nullptr);
  EXPECT_EQ(flash->long_context.value_or(LongContextTier{}).rates.cache_read, 37'500);

  // The quickstart's Bedrock model, a cross-region inference profile id.
  const ModelPrice* bedrock = table.find("bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0");
  ASSERT_NE(bedrock, nullptr);
  EXPECT_EQ(bedrock->tokens.output, 15'000'000);
  EXPECT_NE(table.find("groq", "llama-3.3-70b-versatile"), nullptr);
  EXPECT_NE(table.find("deepseek", "deepseek-chat"), nullptr);
  // Mistral by dated ids: Large 3 and Large 2.1 differ fourfold; "-latest" moves, so it is not
  // priced.
  ASSERT_NE(table.find("mistral", "mistral-large-2512"), nullptr);
  EXPECT_EQ(table.find("mistral", "mistral-large-2512")->tokens.input, 500'000);
  ASSERT_NE(table.find("mistral", "mistral-large-2411"), nullptr);
  EXPECT_EQ(table.find("mistral", "mistral-large-2411")->tokens.input, 2'000'000);
  EXPECT_EQ(table.find("mistral", "mistral-large-latest"), nullptr);
  const ModelPrice* rerank = table.find("cohere", "rerank-v3.5");
  ASSERT_NE(rerank, nullptr);
  EXPECT_EQ(rerank->per_request, 2'000'000);  // $2 per 1,000 searches
  // Not guessed: another provider, an unknown suffix.
  EXPECT_EQ(table.find("azure_openai", "gpt-4o"), nullptr);
  EXPECT_EQ(table.find("openai", "gpt-4o-search-preview"), nullptr);
}

// The rates the 2026 verification was asked to look at hardest, as the sources give them.
TEST(PricingBuiltin, VerifiedCacheRates) {
  const PriceTable& table = builtin();
  const ModelPrice* opus = table.find("anthropic", "claude-opus-4-5-20251101");
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->tokens, (TokenRates{.input = 5'000'000,
                                      .output = 25'000'000,
                                      .cache_read = 500'000,
                                      .cache_write = 6'250'000}));
  // Gemini 2.5 cached input at a tenth of input (the 2025 launch page said $0.31 for Pro).
  const ModelPrice* pro = table.find("gemini", "gemini-2.5-pro");
  ASSERT_NE(pro, nullptr);
  EXPECT_EQ(pro->tokens.cache_read, 125'000);
  EXPECT_EQ(pro->long_context.value_or(LongContextTier{}).rates.cache_read, 250'000);
  ASSERT_NE(table.find("vertex", "gemini-2.5-flash"), nullptr);
  EXPECT_EQ(table.find("vertex", "gemini-2.5-flash")->tokens.cache_read, 30'000);
  ASSERT_NE(table.find("gemini", "gemini-2.5-flash-lite"), nullptr);
  EXPECT_EQ(table.find("gemini", "gemini-2.5-flash-lite")->tokens.cache_read, 10'000);
  // Amazon Nova reads its cache at a quarter of input.
  const ModelPrice* nova = table.find("bedrock", "us.amazon.nova-pro-v1:0");
  ASSERT_NE(nova, nullptr);
  EXPECT_EQ(nova->tokens.cache_read, 200'000);
  ASSERT_NE(table.find("bedrock", "amazon.nova-micro-v1:0"), nullptr);
  EXPECT_EQ(table.find("bedrock", "amazon.nova-micro-v1:0")->tokens.cache_read, 8'750);
}

}  // namespace
}  // namespace nexus::llm::pricing

// The cost of a request from its normalized usage: which rate each kind of token gets, the
// long-context tier, rounding once at the end, and the worst case a budget reserves; then how
// the table finds a model's price.
#include "llm/pricing/price_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

namespace nexus::llm::pricing {
namespace {

// USD per million tokens -> micro-USD per million tokens (whole micro-dollars only).
constexpr MicroUsdPerMtok usd(int64_t micro) { return micro; }

ModelPrice price(MicroUsdPerMtok input, MicroUsdPerMtok output) {
  ModelPrice out;
  out.tokens.input = input;
  out.tokens.output = output;
  return out;
}

TEST(PricingCost, UncachedInputAndPlainOutputAtTheirRates) {
  // $2.50 in, $10 out per million: 1000 in, 200 out
  // = 1000 x 2,500,000 + 200 x 10,000,000 pico = 4,500,000,000 pico = 4,500,000 nano ($0.0045).
  EXPECT_EQ(cost(price(usd(2'500'000), usd(10'000'000)), Usage{.input = 1000, .output = 200}),
            4'500'000);
  EXPECT_EQ(cost(price(usd(2'500'000), usd(10'000'000)), Usage{}), 0);
}

TEST(PricingCost, CacheAndReasoningRatesDefaultToInputAndOutput) {
  const ModelPrice plain = price(usd(3'000'000), usd(15'000'000));
  const Usage usage{
      .input = 1000, .output = 100, .cache_read = 600, .cache_write = 300, .reasoning = 40};
  // Without their own rates the details change nothing:
  // 1000 x 3,000,000 + 100 x 15,000,000 = 4,500,000,000 pico -> 4,500,000 nano.
  EXPECT_EQ(cost(plain, usage), 4'500'000);
  ModelPrice split = plain;
  split.tokens.cache_read = usd(300'000);     // $0.30
  split.tokens.cache_write = usd(3'750'000);  // $3.75
  split.tokens.reasoning = usd(20'000'000);   // $20
  // uncached 100 x 3,000,000 = 300,000,000; read 600 x 300,000 = 180,000,000;
  // write 300 x 3,750,000 = 1,125,000,000; plain output 60 x 15,000,000 = 900,000,000;
  // reasoning 40 x 20,000,000 = 800,000,000; sum 3,305,000,000 pico -> 3,305,000 nano.
  EXPECT_EQ(cost(split, usage), 3'305'000);
}

TEST(PricingCost, RoundsUpOnceAtTheEnd) {
  // $0.0375 per million: one token is 37,500 pico = 37.5 nano -> 38.
  const ModelPrice tiny = price(usd(37'500), usd(37'500));
  EXPECT_EQ(cost(tiny, Usage{.input = 1}), 38);
  // Two tokens: 75,000 pico = 75 nano exactly (not 38 + 38: no rounding per part).
  EXPECT_EQ(cost(tiny, Usage{.input = 1, .output = 1}), 75);
  // One pico over a whole nano still costs the next nano.
  EXPECT_EQ(cost(price(usd(1'001), 0), Usage{.input = 1}), 2);
  EXPECT_EQ(cost(price(usd(1'000), 0), Usage{.input = 1}), 1);
}

TEST(PricingCost, PerRequestAndPerImageFees) {
  ModelPrice fees = price(usd(1'000'000), 0);
  fees.per_request = 2'000'000;  // $0.002
  fees.per_image = 40'000'000;   // $0.04
  // 10 tokens x 1,000,000 pico = 10,000 nano, + 2,000,000 + 3 x 40,000,000 nano.
  EXPECT_EQ(cost(fees, Usage{.input = 10}, 3), 122'010'000);
}

TEST(PricingCost, TheLongContextTierPricesTheWholeRequest) {
  ModelPrice pro = price(usd(1'250'000), usd(10'000'000));  // Gemini 2.5 Pro
  pro.tokens.cache_read = usd(125'000);
  pro.long_context = LongContextTier{
      .above_input_tokens = 200'000,
      .rates = {.input = usd(2'500'000), .output = usd(15'000'000), .cache_read = usd(250'000)}};
  // At the threshold: base rates. 200,000 x 1,250,000 + 1000 x 10,000,000
  // = 260,000,000,000 pico -> 260,000,000 nano ($0.26).
  EXPECT_EQ(cost(pro, Usage{.input = 200'000, .output = 1000}), 260'000'000);
  // One token over: every token at the tier's rates, cached ones included.
  // uncached 100,001 x 2,500,000 = 250,002,500,000; read 100,000 x 250,000 = 25,000,000,000;
  // output 1000 x 15,000,000 = 15,000,000,000; sum 290,002,500,000 pico -> 290,002,500 nano.
  EXPECT_EQ(cost(pro, Usage{.input = 200'001, .output = 1000, .cache_read = 100'000}), 290'002'500);
}

TEST(PricingCost, InconsistentDetailsAreChargedAsReported) {
  // Parts larger than their whole: the parts are charged, the remainder is 0 (never negative).
  // $1 and $2 per million tokens: 1,000 and 2,000 nano per token.
  const ModelPrice p = price(usd(1'000'000), usd(2'000'000));
  EXPECT_EQ(cost(p, Usage{.input = 5, .cache_read = 8}), 8'000);   // 8 cached tokens
  EXPECT_EQ(cost(p, Usage{.output = 5, .reasoning = 8}), 10'000);  // reasoning capped at 5
}

TEST(PricingCost, HugeCountsSaturateInsteadOfWrapping) {
  const ModelPrice dear = price(usd(10'000'000'000), usd(10'000'000'000));  // $10,000
  const uint64_t most = uint64_t{1} << 53;
  EXPECT_EQ(cost(dear, Usage{.input = most, .output = most}), std::numeric_limits<NanoUsd>::max());
  EXPECT_EQ(worst_case(dear, most, most), std::numeric_limits<NanoUsd>::max());
}

TEST(PricingWorstCase, TakesTheDearestRateOfEachSide) {
  ModelPrice claude = price(usd(3'000'000), usd(15'000'000));
  claude.tokens.cache_write = usd(3'750'000);
  claude.tokens.cache_read = usd(300'000);
  claude.per_request = 7;
  // 1000 x 3,750,000 + 500 x 15,000,000 = 11,250,000,000 pico -> 11,250,000 + 7 nano.
  EXPECT_EQ(worst_case(claude, 1000, 500), 11'250'007);
  claude.tokens.reasoning = usd(30'000'000);
  EXPECT_EQ(worst_case(claude, 1000, 500), 18'750'007);
  // Over the tier's threshold the tier's rates count.
  claude.long_context = LongContextTier{
      .above_input_tokens = 1000, .rates = {.input = usd(6'000'000), .output = usd(22'500'000)}};
  EXPECT_EQ(worst_case(claude, 1000, 500), 18'750'007);  // cannot cross it
  // 1001 x 6,000,000 + 500 x 30,000,000 (the base reasoning rate is dearer still)
  // = 21,006,000,000 pico -> 21,006,000 + 7 nano.
  EXPECT_EQ(worst_case(claude, 1001, 500), 21'006'007);
}

TEST(PricingWorstCase, IsNeverBelowTheCostOfAUsageWithinItsBounds) {
  std::mt19937_64 random(20251201);
  auto rate = [&] { return static_cast<MicroUsdPerMtok>(random() % 30'000'000); };
  auto maybe = [&]() -> std::optional<MicroUsdPerMtok> {
    if (random() % 2 == 0) {
      return std::nullopt;
    }
    return rate();
  };
  auto rates = [&] {
    return TokenRates{.input = rate(),
                      .output = rate(),
                      .cache_read = maybe(),
                      .cache_write = maybe(),
                      .reasoning = maybe()};
  };
  for (int round = 0; round < 2000; ++round) {
    ModelPrice p{.tokens = rates(), .per_request = static_cast<NanoUsd>(random() % 1000)};
    if (random() % 2 == 0) {
      p.long_context = LongContextTier{.above_input_tokens = random() % 5000, .rates = rates()};
    }
    const uint64_t max_input = random() % 10'000;
    const uint64_t max_output = random() % 10'000;
    const NanoUsd reserved = worst_case(p, max_input, max_output, 2);
    for (int draw = 0; draw < 20; ++draw) {
      Usage usage;
      usage.input = random() % (max_input + 1);
      usage.cache_read = random() % (usage.input + 1);
      usage.cache_write = random() % (usage.input - usage.cache_read + 1);
      usage.output = random() % (max_output + 1);
      usage.reasoning = random() % (usage.output + 1);
      ASSERT_LE(cost(p, usage, static_cast<uint32_t>(random() % 3)), reserved)
          << "round " << round << " input " << usage.input << " output " << usage.output;
    }
    // The bounds themselves, all uncached, are within it too.
    ASSERT_LE(cost(p, Usage{.input = max_input, .output = max_output}, 2), reserved);
  }
}

TEST(PricingTable, DateSuffixes) {
  EXPECT_EQ(strip_date_suffix("gpt-4o-2024-08-06"), "gpt-4o");
  EXPECT_EQ(strip_date_suffix("claude-sonnet-4-20250514"), "claude-sonnet-4");
  EXPECT_EQ(strip_date_suffix("gpt-4o"), std::nullopt);
  EXPECT_EQ(strip_date_suffix("gpt-3.5-turbo-0125"), std::nullopt);
  EXPECT_EQ(strip_date_suffix("gemini-1.5-pro-002"), std::nullopt);
  EXPECT_EQ(strip_date_suffix("-20250514"), std::nullopt);  // no name before it
  EXPECT_EQ(strip_date_suffix("model-2024-8-06x"), std::nullopt);
  EXPECT_EQ(strip_date_suffix("anthropic.claude-3-haiku-20240307-v1:0"), std::nullopt);
}

TEST(PricingTable, LookupIsExactThenProviderlessThenDatedSnapshotsWhenAllowed) {
  PriceTable table;
  table.set("openai", "gpt-4o", {.price = price(1, 1), .dated_snapshots = true});
  table.set("openai", "gpt-4o-2024-05-13", {.price = price(2, 2)});
  table.set("openai", "o1", {.price = price(3, 3)});  // no dated snapshots
  table.set("", "llama-3-70b", {.price = price(4, 4), .dated_snapshots = true});
  table.set("groq", "llama-3-70b", {.price = price(5, 5)});
  auto input_of = [&](std::string_view provider, std::string_view model) -> int64_t {
    const ModelPrice* found = table.find(provider, model);
    return found == nullptr ? -1 : found->tokens.input;
  };
  EXPECT_EQ(input_of("openai", "gpt-4o"), 1);
  EXPECT_EQ(input_of("openai", "gpt-4o-2024-08-06"), 1);  // a dated snapshot
  EXPECT_EQ(input_of("openai", "gpt-4o-2024-05-13"), 2);  // its own entry first
  EXPECT_EQ(input_of("openai", "o1-2024-12-17"), -1);     // the entry does not say so
  EXPECT_EQ(input_of("openai", "gpt-4o-mini"), -1);       // no prefix guessing
  EXPECT_EQ(input_of("azure_openai", "gpt-4o"), -1);      // another provider kind
  EXPECT_EQ(input_of("groq", "llama-3-70b"), 5);          // the provider's own first
  EXPECT_EQ(input_of("together", "llama-3-70b"), 4);      // then the provider-less one
  EXPECT_EQ(input_of("together", "llama-3-70b-20240101"), 4);
  EXPECT_EQ(table.size(), 5U);
  table.set("openai", "gpt-4o", {.price = price(9, 9)});  // replaced, not added
  EXPECT_EQ(input_of("openai", "gpt-4o"), 9);
  EXPECT_EQ(input_of("openai", "gpt-4o-2024-08-06"), -1);  // the new entry has no snapshots
  EXPECT_EQ(table.size(), 5U);
}

}  // namespace
}  // namespace nexus::llm::pricing

// Pricing golden tests: recorded provider responses and streams that carry cached, cache-write
// and reasoning tokens (../shared/fixtures/providers), decoded by the providers' own decoders
// into llm::Usage and priced with a fixed price written here, to the exact nano-dollar.
//
// Units in the arithmetic comments: a rate of $R per million tokens is R x 1,000,000 pico-USD
// per token; a sum in pico-USD is divided by 1,000 and rounded up once to nano-USD.
#include <gtest/gtest.h>

#include <string>

#include "../../providers/bedrock_stream_support.h"
#include "../../providers/stream_test_support.h"
#include "llm/pricing/price_table.h"
#include "providers/anthropic/response_decoder.h"
#include "providers/anthropic/stream_decoder.h"
#include "providers/bedrock/response_decoder.h"
#include "providers/gemini/response_decoder.h"
#include "providers/gemini/stream_decoder.h"
#include "providers/openai/response_decoder.h"
#include "providers/openai/stream_decoder.h"

namespace nexus::llm::pricing {
namespace {

using providers::testing::fixture;

// Rates in micro-USD per million tokens: $2.50 is 2'500'000.
struct Rates {
  MicroUsdPerMtok input;
  MicroUsdPerMtok output;
  std::optional<MicroUsdPerMtok> cache_read = std::nullopt;
  std::optional<MicroUsdPerMtok> cache_write = std::nullopt;
  std::optional<MicroUsdPerMtok> reasoning = std::nullopt;
};

ModelPrice priced(const Rates& r) {
  return ModelPrice{.tokens = {.input = r.input,
                               .output = r.output,
                               .cache_read = r.cache_read,
                               .cache_write = r.cache_write,
                               .reasoning = r.reasoning}};
}

template <typename Decode>
Usage body_usage(const std::string& name, Decode decode) {
  auto response = decode(fixture(name));
  EXPECT_TRUE(response.has_value()) << name;
  return response ? response->usage : Usage{};
}

template <typename Decoder>
Usage stream_usage(const std::string& name) {
  return providers::testing::aggregated<Decoder>(name).usage;
}

Usage bedrock_stream_usage(const std::string& name) {
  const auto decoded =
      providers::bedrock::testing::decode_bytes(providers::bedrock::testing::recorded_bytes(name));
  EXPECT_EQ(decoded.error, "") << name;
  StreamAggregator aggregator;
  for (const auto& event : decoded.events) {
    aggregator.add(providers::testing::view(event));
  }
  return aggregator.response().usage;
}

// {input, output, cache_read, cache_write, reasoning}
using U = Usage;

TEST(PricingGolden, OpenAiCachedPromptTokens) {
  // gpt-4.1's rates: $2 input, $0.50 cached input, $8 output; cache writes cost plain input.
  const ModelPrice gpt41 = priced({.input = 2'000'000, .output = 8'000'000, .cache_read = 500'000});
  // The cache read back: prompt_tokens 4020 with cached_tokens 4012.
  const Usage read = body_usage("openai/pydantic__test_openai_chat_prompt_cache_e2e.1.json",
                                providers::openai::decode_response);
  ASSERT_EQ(read, (U{4020, 4, 4012, 0, 0}));
  // 8 x 2,000,000 + 4012 x 500,000 + 4 x 8,000,000
  // = 16,000,000 + 2,006,000,000 + 32,000,000 = 2,054,000,000 pico -> 2,054,000 nano.
  EXPECT_EQ(cost(gpt41, read), 2'054'000);
  // The cache written (cache_write_tokens 4012): no extra charge, all 4020 at the input rate.
  const Usage written = body_usage("openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json",
                                   providers::openai::decode_response);
  ASSERT_EQ(written, (U{4020, 4, 0, 4012, 0}));
  // 4020 x 2,000,000 + 4 x 8,000,000 = 8,072,000,000 pico -> 8,072,000 nano.
  EXPECT_EQ(cost(gpt41, written), 8'072'000);
}

TEST(PricingGolden, OpenAiStreamedUsageChunkWithCachedTokens) {
  // gpt-4o: $2.50 input, $1.25 cached, $10 output.
  const Usage usage = stream_usage<providers::openai::StreamDecoder>(
      "openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.sse");
  ASSERT_EQ(usage, (U{1420, 100, 1280, 0, 0}));
  // 140 x 2,500,000 + 1280 x 1,250,000 + 100 x 10,000,000
  // = 350,000,000 + 1,600,000,000 + 1,000,000,000 = 2,950,000,000 pico -> 2,950,000 nano.
  EXPECT_EQ(
      cost(priced({.input = 2'500'000, .output = 10'000'000, .cache_read = 1'250'000}), usage),
      2'950'000);
}

TEST(PricingGolden, OpenAiReasoningTokens) {
  const Usage usage = body_usage("openai/pydantic__test_system_prompt_role_o1_mini.json",
                                 providers::openai::decode_response);
  ASSERT_EQ(usage, (U{30, 212, 0, 0, 192}));
  // o1-mini ($1.10 / $4.40): reasoning is output.
  // 30 x 1,100,000 + 212 x 4,400,000 = 33,000,000 + 932,800,000 = 965,800,000 pico -> 965,800.
  EXPECT_EQ(cost(priced({.input = 1'100'000, .output = 4'400'000}), usage), 965'800);
  // Were reasoning priced apart ($10): 20 plain output tokens and 192 reasoning ones.
  // 33,000,000 + 20 x 4,400,000 + 192 x 10,000,000 = 33,000,000 + 88,000,000 + 1,920,000,000
  // = 2,041,000,000 pico -> 2,041,000 nano.
  EXPECT_EQ(cost(priced({.input = 1'100'000, .output = 4'400'000, .reasoning = 10'000'000}), usage),
            2'041'000);
}

// Claude Sonnet's rates: $3 input, $15 output, $3.75 cache write (5 min), $0.30 cache read.
const ModelPrice kSonnet = priced(
    {.input = 3'000'000, .output = 15'000'000, .cache_read = 300'000, .cache_write = 3'750'000});

TEST(PricingGolden, AnthropicCacheReadsAndWritesOutsideInputTokens) {
  // input_tokens 10, cache_read_input_tokens 1, cache_creation_input_tokens 2, output 21.
  const Usage small = body_usage("anthropic/ddtrace__completion_anthropic.json",
                                 providers::anthropic::decode_response);
  ASSERT_EQ(small, (U{13, 21, 1, 2, 0}));
  // 10 x 3,000,000 + 1 x 300,000 + 2 x 3,750,000 + 21 x 15,000,000
  // = 30,000,000 + 300,000 + 7,500,000 + 315,000,000 = 352,800,000 pico -> 352,800 nano.
  EXPECT_EQ(cost(kSonnet, small), 352'800);
  const Usage both = body_usage(
      "anthropic/pydantic__test_anthropic_to_google_deferred_capability_history_replay.2.json",
      providers::anthropic::decode_response);
  ASSERT_EQ(both, (U{1160, 110, 1069, 85, 0}));
  // 6 x 3,000,000 + 1069 x 300,000 + 85 x 3,750,000 + 110 x 15,000,000
  // = 18,000,000 + 320,700,000 + 318,750,000 + 1,650,000,000 = 2,307,450,000 pico
  // -> 2,307,450 nano.
  EXPECT_EQ(cost(kSonnet, both), 2'307'450);
}

TEST(PricingGolden, AnthropicStreamedCacheRead) {
  const Usage usage = stream_usage<providers::anthropic::StreamDecoder>(
      "anthropic/ddtrace__anthropic_completion_stream_cache_read.sse");
  ASSERT_EQ(usage, (U{1042, 100, 1031, 0, 0}));
  // 11 x 3,000,000 + 1031 x 300,000 + 100 x 15,000,000
  // = 33,000,000 + 309,300,000 + 1,500,000,000 = 1,842,300,000 pico -> 1,842,300 nano.
  EXPECT_EQ(cost(kSonnet, usage), 1'842'300);
}

TEST(PricingGolden, AnthropicThinkingTokensInsideOutput) {
  const Usage usage = body_usage("anthropic/vercel__anthropic-claude-opus-5-reasoning-high.1.json",
                                 providers::anthropic::decode_response);
  ASSERT_EQ(usage, (U{51, 1699, 0, 0, 139}));
  // $5 / $25, thinking at the output rate: 51 x 5,000,000 + 1699 x 25,000,000
  // = 255,000,000 + 42,475,000,000 = 42,730,000,000 pico -> 42,730,000 nano.
  EXPECT_EQ(cost(priced({.input = 5'000'000, .output = 25'000'000}), usage), 42'730'000);
}

TEST(PricingGolden, GeminiCachedContentAndThoughts) {
  // promptTokenCount 3520 includes cachedContentTokenCount 3512; thoughtsTokenCount 51 is
  // outside candidatesTokenCount 2.
  const Usage usage = body_usage("google/pydantic__test_google_model_cached_content.2.json",
                                 providers::gemini::decode_response);
  ASSERT_EQ(usage, (U{3520, 53, 3512, 0, 51}));
  // gemini-2.5-flash: $0.30 input, $0.03 cached, $2.50 output (thinking included):
  // 8 x 300,000 + 3512 x 30,000 + 53 x 2,500,000
  // = 2,400,000 + 105,360,000 + 132,500,000 = 240,260,000 pico -> 240,260 nano.
  EXPECT_EQ(cost(priced({.input = 300'000, .output = 2'500'000, .cache_read = 30'000}), usage),
            240'260);
}

TEST(PricingGolden, GeminiThoughtsInWholeAndStreamedResponses) {
  const Usage whole =
      body_usage("google/vercel__google-reasoning.json", providers::gemini::decode_response);
  ASSERT_EQ(whole, (U{9, 311, 0, 0, 282}));
  // gemini-3-pro-preview, under 200K tokens: $2 / $12.
  // 9 x 2,000,000 + 311 x 12,000,000 = 18,000,000 + 3,732,000,000 = 3,750,000,000 pico
  // -> 3,750,000 nano.
  EXPECT_EQ(cost(priced({.input = 2'000'000, .output = 12'000'000}), whole), 3'750'000);
  // A Vertex AI stream: promptTokenCount 5, candidatesTokenCount 1, thoughtsTokenCount 100.
  const Usage streamed = stream_usage<providers::gemini::StreamDecoder>(
      "google/pydantic__test_google_vertex_service_tier_flex_stream.sse");
  ASSERT_EQ(streamed, (U{5, 101, 0, 0, 100}));
  // At $0.50 / $3: 5 x 500,000 + 101 x 3,000,000 = 2,500,000 + 303,000,000 = 305,500,000 pico
  // -> 305,500 nano.
  EXPECT_EQ(cost(priced({.input = 500'000, .output = 3'000'000}), streamed), 305'500);
}

TEST(PricingGolden, BedrockCacheWriteOutsideInputTokens) {
  // Nova Lite: inputTokens 10, cacheWriteInputTokens 1298, outputTokens 2 (total 1310).
  const Usage usage =
      body_usage("bedrock/pydantic__test_bedrock_cache_point_adds_cache_control_nova-lite.json",
                 providers::bedrock::decode_response);
  ASSERT_EQ(usage, (U{1308, 2, 0, 1298, 0}));
  // Nova Lite's $0.06 / $0.24, cache writes at the input rate:
  // 1308 x 60,000 + 2 x 240,000 = 78,480,000 + 480,000 = 78,960,000 pico -> 78,960 nano.
  EXPECT_EQ(cost(priced({.input = 60'000, .output = 240'000, .cache_read = 15'000}), usage),
            78'960);
  // With a cache write rate of its own ($0.075):
  // 10 x 60,000 + 1298 x 75,000 + 2 x 240,000 = 600,000 + 97,350,000 + 480,000
  // = 98,430,000 pico -> 98,430 nano.
  EXPECT_EQ(cost(priced({.input = 60'000, .output = 240'000, .cache_write = 75'000}), usage),
            98'430);
}

TEST(PricingGolden, BedrockReasoningInsideOutputTokens) {
  // Claude Sonnet 4 with thinking, streamed: Bedrock reports no reasoning count, the thinking
  // is inside outputTokens (inputTokens 36, outputTokens 73).
  const Usage usage =
      bedrock_stream_usage("bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream");
  ASSERT_EQ(usage, (U{36, 73, 0, 0, 0}));
  // 36 x 3,000,000 + 73 x 15,000,000 = 108,000,000 + 1,095,000,000 = 1,203,000,000 pico
  // -> 1,203,000 nano.
  EXPECT_EQ(cost(kSonnet, usage), 1'203'000);
  // gpt-oss-120b with reasoning, whole: inputTokens 74, outputTokens 26; at $0.15 / $0.60:
  // 74 x 150,000 + 26 x 600,000 = 11,100,000 + 15,600,000 = 26,700,000 pico -> 26,700 nano.
  const Usage oss = body_usage("bedrock/pydantic__test_bedrock_thinking_true_openai_variant.json",
                               providers::bedrock::decode_response);
  ASSERT_EQ(oss, (U{74, 26, 0, 0, 0}));
  EXPECT_EQ(cost(priced({.input = 150'000, .output = 600'000}), oss), 26'700);
}

}  // namespace
}  // namespace nexus::llm::pricing

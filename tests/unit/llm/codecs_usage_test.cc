// Usage metering on the passthrough path: a streamed OpenAI request is made to ask for its
// usage, and the usage of a whole provider body is read without translating the body.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../providers/stream_test_support.h"
#include "llm/codecs.h"

namespace nexus::llm {
namespace {

using providers::testing::fixture;

bool includes_usage(const boost::json::object& request) {
  const auto* options = request.if_contains("stream_options");
  return options != nullptr && options->as_object().at("include_usage").as_bool();
}

TEST(AskStreamUsage, AStreamAsksForUsageAndTheAnswerSaysWhetherTheClientDid) {
  boost::json::object plain = boost::json::parse(R"({"model":"m","stream":true})").as_object();
  EXPECT_FALSE(ask_stream_usage(plain));
  EXPECT_TRUE(includes_usage(plain));

  boost::json::object other_options =
      boost::json::parse(R"({"stream":true,"stream_options":{"include_obfuscation":false}})")
          .as_object();
  EXPECT_FALSE(ask_stream_usage(other_options));
  EXPECT_TRUE(includes_usage(other_options));
  EXPECT_FALSE(other_options.at("stream_options").as_object().at("include_obfuscation").as_bool());

  boost::json::object asked =
      boost::json::parse(R"({"stream":true,"stream_options":{"include_usage":true}})").as_object();
  EXPECT_TRUE(ask_stream_usage(asked));
  EXPECT_TRUE(includes_usage(asked));
}

TEST(AskStreamUsage, AWholeAnswerIsLeftAlone) {
  boost::json::object whole = boost::json::parse(R"({"model":"m","stream":false})").as_object();
  EXPECT_FALSE(ask_stream_usage(whole));
  EXPECT_EQ(whole.if_contains("stream_options"), nullptr);
}

TEST(DecodeUpstreamUsage, RecordedBodiesOfBothApis) {
  const auto openai = decode_upstream_usage(
      Wire::kOpenAi, fixture("openai/pydantic__test_openai_chat_prompt_cache_e2e.0.json"));
  EXPECT_EQ(openai, (Usage{.input = 4020, .output = 4, .cache_write = 4012}));

  // Anthropic leaves cache reads and writes out of input_tokens; the IR's input has them all.
  const auto anthropic = decode_upstream_usage(
      Wire::kAnthropic, fixture("anthropic/ddtrace__completion_anthropic.json"));
  EXPECT_EQ(anthropic, (Usage{.input = 13, .output = 21, .cache_read = 1, .cache_write = 2}));
}

TEST(DecodeUpstreamUsage, NothingWhenTheBodyHasNoValidUsage) {
  const Wire openai = Wire::kOpenAi;
  EXPECT_FALSE(decode_upstream_usage(openai, "not json").has_value());
  EXPECT_FALSE(decode_upstream_usage(openai, R"({"id":"x"})").has_value());
  EXPECT_FALSE(decode_upstream_usage(openai, R"({"usage":null})").has_value());
  EXPECT_FALSE(decode_upstream_usage(openai, R"({"usage":{"prompt_tokens":-1}})").has_value());
}

}  // namespace
}  // namespace nexus::llm

// Usage metering on the passthrough path: a streamed OpenAI request is made to ask for its
// usage, and the usage of a whole provider body is read without translating the body.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../providers/stream_test_support.h"
#include "llm/codecs.h"
#include "llm/usage_scan.h"

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

// The scan finds the usage of every recorded whole answer of both APIs, where a full parse does.
TEST(FindTopLevelUsage, AgreesWithAFullParseOnEveryRecordedAnswer) {
  size_t found = 0;
  for (const std::string provider : {"openai", "anthropic", "groq", "mistral", "deepseek"}) {
    const boost::json::value index = boost::json::parse(fixture(provider + "/INDEX.json"));
    for (const boost::json::value& entry : index.as_array()) {
      const std::string file(entry.at("file").as_string());
      if (!file.ends_with(".json") || entry.at("status") != 200) {
        continue;
      }
      const std::string body = fixture(provider + "/" + file);
      boost::system::error_code ec;
      const boost::json::value whole = boost::json::parse(body, ec);
      const boost::json::value* usage =
          ec || !whole.is_object() ? nullptr : whole.as_object().if_contains("usage");
      const auto text = find_top_level_usage(body);
      if (usage == nullptr || !usage->is_object()) {
        EXPECT_FALSE(text.has_value()) << file;
        continue;
      }
      if (text) {  // not found: the caller parses the whole answer, which is still right
        EXPECT_EQ(boost::json::parse(*text), *usage) << file;
        ++found;
      }
    }
  }
  EXPECT_GT(found, 20U);  // the scan is the common case
}

TEST(FindTopLevelUsage, OnlyTheOutermostObjectsUsage) {
  EXPECT_EQ(find_top_level_usage(R"({"a":1,"usage":{"n":{"x":[1]}},"fp":"}{\"","z":null} )"),
            R"({"n":{"x":[1]}})");
  // A nested "usage" after the real one, or an object after it: not trusted.
  EXPECT_FALSE(find_top_level_usage(R"({"usage":{"n":1},"x":{"usage":{"n":9}}})").has_value());
  EXPECT_FALSE(find_top_level_usage(R"({"usage":{"n":1},"x":{"y":2}})").has_value());
  // "usage" inside a string, or as a string value: not a key.
  EXPECT_FALSE(find_top_level_usage(R"({"text":"say "usage":{"n":1}"})").has_value());
  EXPECT_FALSE(find_top_level_usage(R"({"k":"usage"})").has_value());
  EXPECT_FALSE(find_top_level_usage(R"({"usage":{"n":1})").has_value());  // cut short
  // decode_upstream_usage still finds the outermost usage when the scan gives up.
  EXPECT_EQ(
      decode_upstream_usage(Wire::kOpenAi,
                            R"({"usage":{"prompt_tokens":3},"x":{"usage":{"prompt_tokens":9}}})"),
      (Usage{.input = 3}));
}

}  // namespace
}  // namespace nexus::llm

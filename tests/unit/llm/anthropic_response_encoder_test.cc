// The Anthropic dialect's response encoder: recorded Anthropic bodies decoded by the provider's
// decoder and written back must say what the original said (content, stop_reason, usage); a
// response from an OpenAI-shaped upstream in Anthropic's words; error bodies.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "../providers/stream_test_support.h"
#include "llm/dialects/anthropic/messages_response.h"
#include "providers/anthropic/response_decoder.h"

namespace nexus::dialects::anthropic {
namespace {

std::string encoded(const llm::Response& response) {
  std::string out;
  encode_messages_response(response, out);
  return out;
}

uint64_t count(const boost::json::object& usage, std::string_view key) {
  const boost::json::value* value = usage.if_contains(key);
  return value != nullptr && !value->is_null() ? value->to_number<uint64_t>() : 0;
}

const std::vector<std::string> kBodies = {
    "ddtrace__anthropic_v1_messages_post_c247d326.json",
    "ddtrace__completion_anthropic.json",
    "pydantic__test_anthropic_to_google_deferred_capability_history_replay.0.json",
    "pydantic__test_anthropic_to_google_deferred_capability_history_replay.1.json",
    "pydantic__test_anthropic_to_google_deferred_capability_history_replay.2.json",
    "vercel__anthropic-claude-opus-5-reasoning-high.1.json",
    "vercel__anthropic-json-tool.1.json",
    "vercel__anthropic-mcp.1.json",
    "vercel__anthropic-web-fetch-tool.error.json",
};

TEST(AnthropicResponseEncoder, RecordedBodiesComeBackSayingTheSame) {
  for (const std::string& name : kBodies) {
    SCOPED_TRACE(name);
    const std::string original_text = providers::testing::fixture("anthropic/" + name);
    auto decoded = providers::anthropic::decode_response(original_text);
    ASSERT_TRUE(decoded.has_value());
    const std::string text = encoded(*decoded);
    boost::system::error_code ec;
    const boost::json::value written = boost::json::parse(text, ec);
    ASSERT_FALSE(ec) << text;
    const boost::json::object& out = written.as_object();
    const boost::json::value original_json = boost::json::parse(original_text);
    const boost::json::object& original = original_json.as_object();
    EXPECT_EQ(out.at("id"), original.at("id"));
    EXPECT_EQ(out.at("model"), original.at("model"));
    EXPECT_EQ(out.at("type"), "message");
    EXPECT_EQ(out.at("role"), "assistant");
    EXPECT_EQ(out.at("stop_reason"), original.at("stop_reason"));
    for (const char* key : {"input_tokens", "output_tokens", "cache_read_input_tokens",
                            "cache_creation_input_tokens"}) {
      EXPECT_EQ(count(out.at("usage").as_object(), key),
                count(original.at("usage").as_object(), key))
          << key;
    }
    // The content, read the way the provider reads it, is the same (text, thinking with its
    // signature, tool calls with their input); server tool blocks are not carried.
    auto again = providers::anthropic::decode_response(text);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *decoded);
  }
}

TEST(AnthropicResponseEncoder, AnOpenAiShapedResponseInAnthropicsWords) {
  llm::Response response{.id = "chatcmpl-9", .model = "gpt-x"};
  response.choices.push_back({.index = 0,
                              .text = "Hi \"there\"",
                              .reasoning = "r",
                              .tool_calls = {{"call_1", "f", R"({"a":1})"},
                                             {"call_2", "g", ""},
                                             {"call_3", "h", "{broken"}},
                              .finish = llm::FinishReason::kToolCalls,
                              .finish_word = "tool_calls"});
  response.usage = {.input = 50, .output = 9, .cache_read = 20, .cache_write = 0, .reasoning = 3};
  EXPECT_EQ(boost::json::parse(encoded(response)), boost::json::parse(R"({
      "id":"msg_chatcmpl-9","type":"message","role":"assistant","model":"gpt-x",
      "content":[
        {"type":"thinking","thinking":"r","signature":""},
        {"type":"text","text":"Hi \"there\""},
        {"type":"tool_use","id":"call_1","name":"f","input":{"a":1}},
        {"type":"tool_use","id":"call_2","name":"g","input":{}},
        {"type":"tool_use","id":"call_3","name":"h","input":"{broken"}],
      "stop_reason":"tool_use","stop_sequence":null,
      "usage":{"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":20,
               "output_tokens":9,"output_tokens_details":{"thinking_tokens":3}}})"));
}

TEST(AnthropicResponseEncoder, RedactedThinkingAndStopReasons) {
  llm::Response response{.id = "msg_1", .model = "m"};
  response.choices.push_back({.redacted_reasoning = {"enc1", "enc2"},
                              .finish = llm::FinishReason::kStop,
                              .finish_word = "stop_sequence"});
  const boost::json::value out = boost::json::parse(encoded(response));
  EXPECT_EQ(out.at("id"), "msg_1");
  EXPECT_EQ(out.at("content"), boost::json::parse(R"([{"type":"redacted_thinking","data":"enc1"},
      {"type":"redacted_thinking","data":"enc2"}])"));
  EXPECT_EQ(out.at("stop_reason"), "stop_sequence");
  const auto reason = [](llm::FinishReason finish) {
    llm::Response r;
    r.choices.push_back({.finish = finish});
    return boost::json::parse(encoded(r)).at("stop_reason");
  };
  EXPECT_EQ(reason(llm::FinishReason::kStop), "end_turn");
  EXPECT_EQ(reason(llm::FinishReason::kLength), "max_tokens");
  EXPECT_EQ(reason(llm::FinishReason::kContentFilter), "refusal");
  EXPECT_EQ(reason(llm::FinishReason::kOther), "end_turn");
}

TEST(AnthropicResponseEncoder, ErrorsInAnthropicsShape) {
  const auto error_body = [](const llm::ApiError& error) {
    std::string out;
    encode_error(error, out);
    return boost::json::parse(out);
  };
  EXPECT_EQ(error_body({.status = 400,
                        .type = "invalid_request_error",
                        .message = "Field required",
                        .param = "messages.1.content.0.source"}),
            boost::json::parse(R"({"type":"error","error":{"type":"invalid_request_error",
                "message":"messages.1.content.0.source: Field required"}})"));
  EXPECT_EQ(error_body(llm::api_error(Error(ErrorCode::kBadRequest, "max_tokens: Field required",
                                            "max_tokens")))
                .at("error")
                .at("message"),
            "max_tokens: Field required");
  const auto type = [&](int status, std::string type) {
    return error_body({.status = status, .type = std::move(type), .message = "m"})
        .at("error")
        .at("type");
  };
  EXPECT_EQ(type(401, ""), "authentication_error");
  EXPECT_EQ(type(403, ""), "permission_error");
  EXPECT_EQ(type(404, "not_found"), "not_found_error");
  EXPECT_EQ(type(413, ""), "request_too_large");
  EXPECT_EQ(type(429, "rate_limited"), "rate_limit_error");
  EXPECT_EQ(type(529, ""), "overloaded_error");
  EXPECT_EQ(type(502, "upstream_error"), "api_error");
  EXPECT_EQ(type(422, ""), "invalid_request_error");
  EXPECT_EQ(type(500, "overloaded_error"), "overloaded_error");
}

}  // namespace
}  // namespace nexus::dialects::anthropic

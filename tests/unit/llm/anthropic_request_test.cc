// The Anthropic dialect's request decoder on real recorded request bodies (each decodes, or is
// refused naming the parameter Nexus does not translate), through the Anthropic provider's
// encoder back to an equal body, and on small invented bodies for each field and each error.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "../providers/stream_test_support.h"
#include "llm/dialects/anthropic/messages_request.h"
#include "providers/anthropic/request_encoder.h"

namespace nexus::dialects::anthropic {
namespace {

using llm::PartKind;

std::string fixture(const std::string& name) {
  return providers::testing::fixture("anthropic/" + name + ".request.json");
}

// The param of the error decoding `body` gives ("" when it decodes).
std::string refused_param(std::string_view body) {
  auto decoded = decode_messages_request(body);
  EXPECT_FALSE(decoded.has_value()) << body;
  if (decoded) {
    return "";
  }
  EXPECT_EQ(decoded.error().code(), ErrorCode::kBadRequest);
  EXPECT_TRUE(decoded.error().message().starts_with(decoded.error().param()));
  return decoded.error().param();
}

llm::Request decoded(std::string_view body) {
  auto request = decode_messages_request(body);
  EXPECT_TRUE(request.has_value()) << (request ? "" : request.error().message()) << "\n" << body;
  return request.value_or(llm::Request{});
}

// What an equal body may write differently: a lone text as a string or as one block, false and
// absent flags, integral numbers as integers or doubles.
void normalise_content(boost::json::value& content) {
  if (content.is_string()) {
    content = boost::json::array{{{"type", "text"}, {"text", content.get_string()}}};
  }
  for (boost::json::value& block : content.as_array()) {
    boost::json::object& object = block.as_object();
    if (object["type"] == "tool_result") {
      if (object.contains("content")) {
        normalise_content(object["content"]);
      }
      if (object.contains("is_error") && object["is_error"] == false) {
        object.erase("is_error");
      }
    }
  }
}

boost::json::object normalised(boost::json::object body) {
  body.erase("model");
  if (body.contains("stream") && body["stream"] == false) {
    body.erase("stream");
  }
  for (const char* key : {"temperature", "top_p"}) {
    if (body.contains(key)) {
      body[key] = body[key].to_number<double>();
    }
  }
  if (body.contains("system")) {
    normalise_content(body["system"]);
  }
  for (boost::json::value& message : body["messages"].as_array()) {
    normalise_content(message.as_object()["content"]);
  }
  return body;
}

// decode -> the Anthropic provider's encoder -> a body equal to `original`.
void expect_round_trip(const boost::json::object& original) {
  const std::string text = boost::json::serialize(original);
  const llm::Request request = decoded(text);
  std::string body;
  ASSERT_TRUE(providers::anthropic::encode_request(request, {.model = "claude-upstream"}, body));
  const boost::json::object encoded = boost::json::parse(body).as_object();
  EXPECT_EQ(encoded.at("model"), "claude-upstream");
  EXPECT_EQ(normalised(encoded), normalised(original)) << text << "\n" << body;
}

const std::vector<std::string> kAccepted = {
    "ddtrace__anthropic_completion_stream",
    "ddtrace__anthropic_completion_stream_cache_read",
    "ddtrace__anthropic_v1_messages_beta_true_post_1913e018",
    "ddtrace__anthropic_v1_messages_post_a6302ed3",
    "ddtrace__anthropic_v1_messages_post_c247d326",
    "ddtrace__completion_anthropic",
};

TEST(AnthropicRequestDecoder, RecordedBodiesDecodeAndComeBackEqual) {
  for (const std::string& name : kAccepted) {
    SCOPED_TRACE(name);
    expect_round_trip(boost::json::parse(fixture(name)).as_object());
  }
}

TEST(AnthropicRequestDecoder, RecordedBodiesUsingWhatNexusDoesNotTranslateAreRefused) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"pydantic__test_anthropic_advisor_tool_stream", "tools.0.type"},  // a server tool
      {"pydantic__test_anthropic_count_tokens_error", "max_tokens"},     // a count_tokens body
      {"pydantic__test_anthropic_explicit_effort_xhigh_unsupported_model_errors", "output_config"},
      {"pydantic__test_anthropic_to_google_deferred_capability_history_replay.0",
       "tools.1.defer_loading"},
      {"pydantic__test_anthropic_to_google_deferred_capability_history_replay.1",
       "messages.4.content.0.content.0.type"},  // a tool_reference
      {"pydantic__test_anthropic_to_google_deferred_capability_history_replay.2",
       "messages.4.content.0.content.0.type"},
  };
  for (const auto& [name, param] : refused) {
    SCOPED_TRACE(name);
    EXPECT_EQ(refused_param(fixture(name)), param);
  }
}

// The deferred-capability conversation without its tool search (server tool, deferred tool,
// tool_reference turn): tool_use, tool_result blocks with block content, system blocks and
// tool_choice, recorded from a real client.
boost::json::object replay_without_tool_search() {
  boost::json::object body =
      boost::json::parse(
          fixture("pydantic__test_anthropic_to_google_deferred_capability_history_replay.2"))
          .as_object();
  boost::json::array& tools = body["tools"].as_array();
  tools.pop_back();
  tools[1].as_object().erase("defer_loading");
  boost::json::array& messages = body["messages"].as_array();
  messages.erase(messages.begin() + 3, messages.begin() + 5);
  return body;
}

TEST(AnthropicRequestDecoder, ToolConversationComesBackEqual) {
  boost::json::object body = replay_without_tool_search();
  body.erase("cache_control");
  expect_round_trip(body);
  const llm::Request request = decoded(boost::json::serialize(body));
  ASSERT_EQ(request.messages.size(), 5u);
  const llm::Part& call = request.messages[1].parts.at(1);
  EXPECT_EQ(call.kind, PartKind::kToolCall);
  EXPECT_EQ(call.id, "toolu_01VLwCjyU7u928EqHmMRvow8");
  EXPECT_EQ(call.name, "load_capability");
  EXPECT_EQ(boost::json::parse(call.text), (boost::json::value{{"id", "refunds"}}));
  const llm::Part& result = request.messages[2].parts.at(0);
  EXPECT_EQ(result.kind, PartKind::kToolResult);
  EXPECT_EQ(result.id, call.id);
  ASSERT_EQ(result.content.size(), 1u);
  EXPECT_TRUE(result.content[0].text.starts_with("{\"instructions\""));
  EXPECT_EQ(request.tool_choice.mode, llm::ToolChoice::Mode::kAuto);
  EXPECT_EQ(request.tools.at(1).parameters.at("additionalProperties"), false);
}

TEST(AnthropicRequestDecoder, RequestLevelCacheControlMarksTheLastBlock) {
  const llm::Request request = decoded(boost::json::serialize(replay_without_tool_search()));
  const llm::Part& last = request.messages.back().parts.back();
  EXPECT_EQ(last.kind, PartKind::kToolResult);
  EXPECT_EQ(last.cache_control, (boost::json::value{{"ttl", "5m"}, {"type", "ephemeral"}}));
  EXPECT_TRUE(request.messages.front().parts.front().cache_control.is_null());
}

TEST(AnthropicRequestDecoder, SystemBlocksKeepTheirCacheControl) {
  const llm::Request request = decoded(fixture("ddtrace__anthropic_completion_stream_cache_read"));
  ASSERT_EQ(request.system.size(), 1u);
  EXPECT_EQ(request.system[0].cache_control, (boost::json::value{{"type", "ephemeral"}}));
  EXPECT_TRUE(request.stream);
  EXPECT_EQ(request.max_tokens, 100u);
  EXPECT_EQ(request.temperature, 0.1);
}

}  // namespace
}  // namespace nexus::dialects::anthropic

// Recorded OpenAI-dialect request bodies through the dialect's decoder and the OpenAI
// provider's encoder: what comes out is the original body on every field that matters, with
// the model replaced and usage asked for on streams. Then the provider encoder's own
// translations (images, tool results, Anthropic's parameters) and refusals.
#include <gtest/gtest.h>

#include <string>

#include "llm/dialects/openai/chat_request.h"
#include "openai_fixtures.h"
#include "providers/openai/request_encoder.h"

namespace nexus::providers::openai {
namespace {

namespace json = boost::json;

constexpr std::string_view kUpstreamModel = "upstream-model";

// Text parts as one string (a single part) or as they were.
json::value text_content(const json::value& content) {
  const json::array* parts = content.if_array();
  if (parts != nullptr && parts->size() == 1) {
    return parts->front().at("text");
  }
  return content;
}

// One system message per text part, as the IR keeps them.
void expand_system(const json::object& message, json::array& out) {
  const json::value& content = message.at("content");
  if (content.is_string()) {
    out.push_back(json::object{{"role", "system"}, {"content", content}});
    return;
  }
  for (const json::value& part : content.as_array()) {
    out.push_back(json::object{{"role", "system"}, {"content", part.at("text")}});
  }
}

// The original message as the encoder writes the same meaning: the spellings that differ only
// in form (an empty content beside tool calls, a one-part array, Mistral's `index` and
// `prefix`) made one.
json::object normalized_message(json::object message) {
  message.erase("prefix");
  const std::string_view role = message.at("role").as_string();
  if (role == "assistant") {
    const json::value* calls = message.if_contains("tool_calls");
    json::value& content = message["content"];
    const bool empty_content = content.is_null() ||
                               (content.is_string() && content.as_string().empty()) ||
                               (content.is_array() && content.as_array().empty());
    if (empty_content) {
      content = calls != nullptr ? json::value(nullptr) : json::value("");
    }
    if (const json::value* reasoning = message.if_contains("reasoning_content");
        reasoning != nullptr && reasoning->as_string().empty()) {
      message.erase("reasoning_content");
    }
    if (calls != nullptr) {
      for (json::value& call : message["tool_calls"].as_array()) {
        call.as_object().erase("index");
      }
    }
  }
  if (json::value* content = message.if_contains("content"); content != nullptr) {
    if (content->is_array()) {  // OpenAI's prompt-cache hints are dropped
      for (json::value& part : content->as_array()) {
        part.as_object().erase("prompt_cache_breakpoint");
      }
    }
    *content = text_content(*content);
  }
  return message;
}

json::object normalized_request(json::object body) {
  body["model"] = kUpstreamModel;
  json::array messages;
  for (const json::value& message : body.at("messages").as_array()) {
    const std::string_view role = message.at("role").as_string();
    if (role == "system" || role == "developer") {
      expand_system(message.as_object(), messages);
    } else {
      messages.push_back(normalized_message(message.as_object()));
    }
  }
  body["messages"] = std::move(messages);
  for (const char* ignored : {"prompt_cache_key", "prompt_cache_options"}) {
    body.erase(ignored);
  }
  if (json::value* seed = body.if_contains("random_seed"); seed != nullptr) {
    body["seed"] = *seed;
    body.erase("random_seed");
  }
  if (json::value* choice = body.if_contains("tool_choice"); choice && *choice == "any") {
    *choice = "required";
  }
  if (json::value* tools = body.if_contains("tools"); tools != nullptr) {
    for (json::value& tool : tools->as_array()) {
      tool.as_object()["type"] = "function";
      json::object& function = tool.as_object()["function"].as_object();
      if (const json::value* description = function.if_contains("description");
          description != nullptr && description->as_string().empty()) {
        function.erase("description");  // an empty description says nothing
      }
    }
  }
  if (json::value* tokens = body.if_contains("max_completion_tokens"); tokens != nullptr) {
    body["max_tokens"] = *tokens;
    body.erase("max_completion_tokens");
  }
  if (json::value* stop = body.if_contains("stop"); stop && stop->is_string()) {
    *stop = json::array{*stop};
  }
  if (body.contains("stream") && body.at("stream").as_bool()) {
    body["stream_options"] = {{"include_usage", true}};
  } else {
    body.erase("stream");
  }
  return body;
}

TEST(OpenAiRequestRoundTrip, RecordedBodiesSurviveDecodeAndEncode) {
  size_t compared = 0;
  for (const auto& r : llm::testing::recordings()) {
    if (r.request_file.empty() || !llm::testing::is_chat_endpoint(r)) {
      continue;
    }
    const std::string text = testing::fixture(r.request_file);
    const auto request = dialects::openai::decode_chat_request(text);
    if (!request) {
      continue;  // the refused ones: openai_request_decoder_test.cc names them
    }
    SCOPED_TRACE(r.request_file);
    std::string body;
    const EncodeOptions options{.model = kUpstreamModel, .reasoning_content = true};
    ASSERT_TRUE(encode_request(*request, options, body).has_value());
    const json::value encoded = json::parse(body);
    const json::value expected = normalized_request(json::parse(text).as_object());
    for (const auto& [key, value] : expected.as_object()) {
      SCOPED_TRACE(key);
      ASSERT_TRUE(encoded.as_object().contains(key));
      EXPECT_EQ(llm::testing::comparable(encoded.at(key)), llm::testing::comparable(value));
    }
    EXPECT_EQ(encoded.as_object().size(), expected.as_object().size()) << body;
    ++compared;
  }
  EXPECT_GE(compared, 33u);
}

llm::Request decoded(std::string_view body) {
  auto request = dialects::openai::decode_chat_request(body);
  EXPECT_TRUE(request.has_value()) << request.error().message();
  return request.value_or(llm::Request{});
}

json::value encoded(const llm::Request& request, EncodeOptions options = {}) {
  std::string body;
  const auto result = encode_request(request, options, body);
  EXPECT_TRUE(result.has_value()) << result.error().message();
  return json::parse(body);
}

TEST(OpenAiRequestEncoder, ImagesGoOutAsTheyCame) {
  const char* body = R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"text","text":"what is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0K","detail":"low"}},
      {"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}]})";
  const json::value out = encoded(decoded(body));
  EXPECT_EQ(out.at("messages"), json::parse(body).at("messages"));
}

// What only an Anthropic client can say: thinking budgets, tool results with several parts or
// images, is_error, cache_control, top_k.
llm::Request anthropic_shaped() {
  llm::Request request{.model = "claude"};
  request.system.push_back({.kind = llm::PartKind::kText, .text = "sys"});
  llm::Message assistant{.role = llm::Role::kAssistant};
  assistant.parts.push_back({.kind = llm::PartKind::kReasoning, .text = "hmm", .signature = "s"});
  assistant.parts.push_back({.kind = llm::PartKind::kToolCall, .id = "t1", .name = "f"});
  request.messages.push_back(std::move(assistant));
  llm::Message user;
  llm::Part result{.kind = llm::PartKind::kToolResult, .id = "t1", .is_error = true};
  result.content.push_back({.kind = llm::PartKind::kText, .text = "a"});
  result.content.push_back({.kind = llm::PartKind::kText, .text = "b"});
  user.parts.push_back(std::move(result));
  user.parts.push_back({.kind = llm::PartKind::kText,
                        .text = "go on",
                        .cache_control = json::object{{"type", "ephemeral"}}});
  request.messages.push_back(std::move(user));
  request.thinking_budget = 2048;
  return request;
}

TEST(OpenAiRequestEncoder, AnthropicShapedRequest) {
  const json::value out = encoded(anthropic_shaped(), {.model = "gpt"});
  EXPECT_EQ(out.at("model"), "gpt");
  EXPECT_EQ(out.at("reasoning_effort"), "medium");
  EXPECT_EQ(out.at("messages"), json::parse(R"([
      {"role":"system","content":"sys"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function",
        "function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"t1","content":[{"type":"text","text":"a"},
        {"type":"text","text":"b"}]},
      {"role":"user","content":"go on"}])"));
}

TEST(OpenAiRequestEncoder, ThinkingBudgetsBecomeEfforts) {
  llm::Request request = anthropic_shaped();
  for (const auto& [budget, effort] :
       {std::pair{1024u, "low"}, {1025u, "medium"}, {2048u, "medium"}, {2049u, "high"}}) {
    request.thinking_budget = budget;
    EXPECT_EQ(encoded(request).at("reasoning_effort"), effort) << budget;
  }
  request.reasoning_effort = "minimal";  // the client's own word wins
  EXPECT_EQ(encoded(request).at("reasoning_effort"), "minimal");
}

TEST(OpenAiRequestEncoder, TopKAndImagesInToolResultsAreRefusedUnlessDropped) {
  llm::Request request = anthropic_shaped();
  request.top_k = 5;
  std::string body;
  auto refused = encode_request(request, {}, body);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().param(), "top_k");
  EXPECT_FALSE(encoded(request, {.drop_unsupported_params = true}).as_object().contains("top_k"));

  request.top_k.reset();
  request.messages[1].parts[0].content.push_back(
      {.kind = llm::PartKind::kImage, .image = {.media_type = "image/png", .data = "AA=="}});
  refused = encode_request(request, {}, body);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().param(), "messages");
  const json::value dropped = encoded(request, {.drop_unsupported_params = true});
  EXPECT_EQ(dropped.at("messages").at(2).at("content").as_array().size(), 2u);
}

TEST(OpenAiRequestEncoder, StreamingAlwaysAsksForUsage) {
  llm::Request request = decoded(R"({"model":"m","stream":true,"messages":[
      {"role":"user","content":"x"}]})");
  const json::value out = encoded(request);
  EXPECT_EQ(out.at("stream"), true);
  EXPECT_EQ(out.at("stream_options"), json::parse(R"({"include_usage":true})"));
  request.stream = false;
  EXPECT_FALSE(encoded(request).as_object().contains("stream_options"));
}

// OpenAI's reasoning models refuse max_tokens; OpenAI-compatible servers may not know
// max_completion_tokens. The provider's type chooses (config: type openai).
TEST(OpenAiRequestEncoder, TheOutputLimitIsWrittenAsTheProviderTakesIt) {
  const llm::Request request = decoded(R"({"model":"m","max_completion_tokens":300,"messages":[
      {"role":"user","content":"x"}]})");
  const json::value compatible = encoded(request);
  EXPECT_EQ(compatible.at("max_tokens"), 300);
  EXPECT_FALSE(compatible.as_object().contains("max_completion_tokens"));
  const json::value openai = encoded(request, {.max_completion_tokens = true});
  EXPECT_EQ(openai.at("max_completion_tokens"), 300);
  EXPECT_FALSE(openai.as_object().contains("max_tokens"));
}

}  // namespace
}  // namespace nexus::providers::openai

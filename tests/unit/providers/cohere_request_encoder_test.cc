// The Cohere provider's request encoder: the recorded Cohere request bodies come out of real
// OpenAI- and Anthropic-shaped requests decoded by the dialects, and what Cohere cannot do is
// refused naming its parameter (or dropped).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "llm/dialects/anthropic/messages_request.h"
#include "llm/dialects/openai/chat_request.h"
#include "providers/cohere/request_encoder.h"
#include "stream_test_support.h"

namespace nexus::providers::cohere {
namespace {

using llm::Part;
using llm::PartKind;
using llm::Role;

boost::json::object encoded(const llm::Request& request, EncodeOptions options = {}) {
  std::string body;
  auto written = encode_request(request, options, body);
  EXPECT_TRUE(written.has_value()) << (written ? "" : written.error().message());
  return written ? boost::json::parse(body).as_object() : boost::json::object();
}

std::string refused(const llm::Request& request) {
  std::string body;
  auto written = encode_request(request, {}, body);
  EXPECT_FALSE(written.has_value());
  return written ? "(encoded)" : written.error().param();
}

llm::Request from_openai(std::string_view body) {
  auto request = dialects::openai::decode_chat_request(body);
  EXPECT_TRUE(request.has_value()) << (request ? "" : request.error().message());
  return request ? *request : llm::Request{};
}

llm::Request hello() {
  llm::Request request{.model = "command-a-03-2025"};
  request.messages.push_back({.role = Role::kUser, .parts = {{.text = "hi"}}});
  return request;
}

// Cohere's v2 messages for system and user text are OpenAI's: the body pydantic-ai sent to
// Cohere, read as an OpenAI client's, comes out as it was.
TEST(CohereRequestEncoder, RecordedCohereBodiesComeOutOfTheSameOpenAiRequest) {
  const std::string cached =
      testing::fixture("cohere/pydantic__test_request_usage_with_cached_tokens.request.json");
  EXPECT_EQ(encoded(from_openai(cached)), boost::json::parse(cached));
  // The stop-settings body, with stop_sequences under OpenAI's name.
  const std::string stop =
      testing::fixture("cohere/pydantic__test_stop_settings_cohere.request.json");
  boost::json::object openai = boost::json::parse(stop).as_object();
  // A copy first: inserting "stop" may rehash the object under a reference to its value.
  boost::json::value stop_sequences = openai.at("stop_sequences");
  openai.erase("stop_sequences");
  openai["stop"] = std::move(stop_sequences);
  EXPECT_EQ(encoded(from_openai(boost::json::serialize(openai)), {.model = "command-r-plus"}),
            boost::json::parse(stop));
}

// A DeepSeek tool loop with reasoning (an OpenAI client's body): two system messages, an
// assistant turn with reasoning, text and a call, tool results, a strict tool.
TEST(CohereRequestEncoder, AnOpenAiToolLoopWithReasoning) {
  const boost::json::object body = encoded(from_openai(testing::fixture(
      "deepseek/pydantic__test_deepseek_deferred_capability_with_thinking.1.request.json")));
  const boost::json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_EQ(messages[0].at("role"), "system");
  ASSERT_EQ(messages[0].at("content").as_array().size(), 2u);  // both system messages, as parts
  EXPECT_EQ(messages[0].at("content").at(1).at("type"), "text");
  EXPECT_EQ(messages[1], boost::json::parse(R"({"role":"user","content":"My guess is 4"})"));
  const boost::json::object& assistant = messages[2].as_object();
  EXPECT_EQ(assistant.at("role"), "assistant");
  EXPECT_EQ(assistant.at("tool_plan"), "Let me load the dice rolling capability!");
  EXPECT_EQ(assistant.at("content").at(0).at("type"), "thinking");
  EXPECT_TRUE(assistant.at("content")
                  .at(0)
                  .at("thinking")
                  .as_string()
                  .starts_with("The user wants to play a dice game."));
  EXPECT_EQ(assistant.at("tool_calls"), boost::json::parse(R"([{"id":
      "call_00_sXqYgMESDht75NCLLZtt9804","type":"function","function":{"name":"load_capability",
      "arguments":"{\"id\": \"DICE_ROLL\"}"}}])"));
  EXPECT_EQ(messages[3], boost::json::parse(R"({"role":"tool",
      "tool_call_id":"call_00_sXqYgMESDht75NCLLZtt9804","content":"{}"})"));
  EXPECT_FALSE(messages[4].as_object().contains("tool_plan"));  // content null
  EXPECT_FALSE(messages[4].as_object().contains("content"));    // empty reasoning
  EXPECT_EQ(messages[5].at("role"), "tool");
  const boost::json::array& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_EQ(tools[0].at("type"), "function");
  EXPECT_EQ(tools[0].at("function").at("name"), "load_capability");
  EXPECT_TRUE(tools[0].at("function").at("parameters").is_object());
  EXPECT_FALSE(tools[0].at("function").as_object().contains("strict"));
  EXPECT_EQ(body.at("strict_tools"), true);
  EXPECT_FALSE(body.contains("tool_choice"));  // auto: Cohere's default
  EXPECT_EQ(body.at("model"), "deepseek-reasoner");
  EXPECT_EQ(body.at("stream"), false);
}

TEST(CohereRequestEncoder, AnAnthropicClientsRequest) {
  auto simple = dialects::anthropic::decode_messages_request(testing::fixture(
      "anthropic/ddtrace__anthropic_v1_messages_beta_true_post_1913e018.request.json"));
  ASSERT_TRUE(simple.has_value());
  EXPECT_EQ(encoded(*simple, {.model = "command-a-03-2025"}), boost::json::parse(R"({
      "model":"command-a-03-2025","messages":[{"role":"user","content":"Hello, world!"}],
      "max_tokens":100,"temperature":0.5,"stream":false})"));
  auto tools = dialects::anthropic::decode_messages_request(
      testing::fixture("anthropic/ddtrace__anthropic_v1_messages_post_c247d326.request.json"));
  ASSERT_TRUE(tools.has_value());
  const boost::json::object body = encoded(*tools);
  EXPECT_EQ(body.at("temperature"), 1);
  EXPECT_EQ(body.at("tools").at(0).at("function").at("name"), "add");
  EXPECT_EQ(body.at("tools").at(0).at("function").at("parameters").at("required"),
            boost::json::parse(R"(["a","b"])"));
}

TEST(CohereRequestEncoder, ImagesAndToolResults) {
  llm::Request request = hello();
  request.messages[0].parts.push_back(
      {.kind = PartKind::kImage, .image = {.media_type = "image/png", .data = "AAA"}});
  request.messages[0].parts.push_back(
      {.kind = PartKind::kImage, .image = {.url = "https://x/y.png", .detail = "low"}});
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kToolCall, .text = "", .id = "c1", .name = "f"}}});
  request.messages.push_back(
      {.role = Role::kUser,
       .parts = {
           {.kind = PartKind::kToolResult, .id = "c1", .content = {{.text = "a"}, {.text = "b"}}},
           {.text = "thanks"}}});
  EXPECT_EQ(encoded(request).at("messages"), boost::json::parse(R"([
      {"role":"user","content":[{"type":"text","text":"hi"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}},
        {"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
      {"role":"assistant","tool_calls":[{"id":"c1","type":"function",
        "function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"a"},
        {"type":"text","text":"b"}]},
      {"role":"user","content":"thanks"}])"));
  // Images in a tool result: refused, or left out when dropping.
  request.messages.back().parts[0].content.push_back(
      {.kind = PartKind::kImage, .image = {.url = "https://x/z.png"}});
  EXPECT_EQ(refused(request), "messages");
  EXPECT_EQ(encoded(request, {.drop_unsupported_params = true}).at("messages").at(2).at("content"),
            boost::json::parse(R"([{"type":"text","text":"a"},{"type":"text","text":"b"}])"));
}

TEST(CohereRequestEncoder, ReasoningGoesBackAsThinkingContent) {
  llm::Request request = hello();
  request.messages.push_back({.role = Role::kAssistant,
                              .parts = {{.kind = PartKind::kReasoning, .text = "r"},
                                        {.kind = PartKind::kRedactedReasoning, .text = "enc"},
                                        {.text = "answer"}}});
  EXPECT_EQ(encoded(request).at("messages").at(1), boost::json::parse(R"({"role":"assistant",
      "content":[{"type":"thinking","thinking":"r"},{"type":"text","text":"answer"}]})"));
}

TEST(CohereRequestEncoder, ToolChoices) {
  llm::Request request = hello();
  request.tools = {{.name = "a"}, {.name = "b", .description = "B"}};
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kNone};
  EXPECT_EQ(encoded(request).at("tool_choice"), "NONE");
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kRequired};
  EXPECT_EQ(encoded(request).at("tool_choice"), "REQUIRED");
  EXPECT_EQ(encoded(request).at("tools").as_array().size(), 2u);
  // A named tool: REQUIRED, with that tool alone.
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kTool, .name = "b"};
  const boost::json::object named = encoded(request);
  EXPECT_EQ(named.at("tool_choice"), "REQUIRED");
  EXPECT_EQ(named.at("tools"), boost::json::parse(R"([{"type":"function",
      "function":{"name":"b","description":"B"}}])"));
  request.tool_choice.name = "c";
  EXPECT_EQ(refused(request), "tool_choice");
  request.tool_choice = {};
  request.parallel_tool_calls = false;
  EXPECT_EQ(refused(request), "parallel_tool_calls");
  EXPECT_FALSE(encoded(request, {.drop_unsupported_params = true}).contains("tool_choice"));
}

TEST(CohereRequestEncoder, SamplingParametersUnderCoheresNames) {
  llm::Request request = hello();
  request.stream = true;
  request.max_tokens = 10;
  request.temperature = 0.25;
  request.top_p = 0.9;
  request.top_k = 40;
  request.presence_penalty = 0.5;
  request.frequency_penalty = 0.0;
  request.stop = {"x", "y"};
  request.seed = 7;
  request.n = 1;
  request.logprobs = true;
  request.user = "u1";
  EXPECT_EQ(encoded(request, {.model = "command-r"}), boost::json::parse(R"({
      "model":"command-r","messages":[{"role":"user","content":"hi"}],"max_tokens":10,
      "temperature":0.25,"p":0.9,"frequency_penalty":0,"presence_penalty":0.5,"k":40,
      "stop_sequences":["x","y"],"seed":7,"logprobs":true,"stream":true})"));
}

TEST(CohereRequestEncoder, ResponseFormats) {
  llm::Request request = hello();
  request.response_format = {.kind = llm::ResponseFormat::Kind::kJsonObject};
  EXPECT_EQ(encoded(request).at("response_format"),
            boost::json::parse(R"({"type":"json_object"})"));
  request.response_format = {.kind = llm::ResponseFormat::Kind::kJsonSchema,
                             .name = "person",
                             .schema = boost::json::parse(R"({"type":"object"})"),
                             .strict = true};
  EXPECT_EQ(encoded(request).at("response_format"),
            boost::json::parse(R"({"type":"json_object","json_schema":{"type":"object"}})"));
  request.response_format = {.kind = llm::ResponseFormat::Kind::kText};
  EXPECT_EQ(encoded(request).at("response_format"), boost::json::parse(R"({"type":"text"})"));
}

TEST(CohereRequestEncoder, ReasoningEffortAndBudgetBecomeThinking) {
  llm::Request request = hello();
  const auto thinking = [&](std::string effort) {
    request.reasoning_effort = std::move(effort);
    return encoded(request).at("thinking");
  };
  EXPECT_EQ(thinking("none"), boost::json::parse(R"({"type":"disabled"})"));
  EXPECT_EQ(thinking("minimal"), boost::json::parse(R"({"type":"disabled"})"));
  EXPECT_EQ(thinking("low"), boost::json::parse(R"({"type":"enabled","token_budget":1024})"));
  EXPECT_EQ(thinking("medium"), boost::json::parse(R"({"type":"enabled","token_budget":2048})"));
  EXPECT_EQ(thinking("high"), boost::json::parse(R"({"type":"enabled"})"));
  request.reasoning_effort = "xhigh";
  EXPECT_EQ(refused(request), "reasoning_effort");
  EXPECT_FALSE(encoded(request, {.drop_unsupported_params = true}).contains("thinking"));
  request.thinking_budget = 5000;  // Anthropic's budget wins
  EXPECT_EQ(encoded(request).at("thinking"),
            boost::json::parse(R"({"type":"enabled","token_budget":5000})"));
}

TEST(CohereRequestEncoder, WhatCohereCannotDoIsRefusedOrDropped) {
  llm::Request request = hello();
  request.n = 2;
  EXPECT_EQ(refused(request), "n");
  request.n.reset();
  request.top_logprobs = 3;
  EXPECT_EQ(refused(request), "top_logprobs");
  request.n = 2;
  const boost::json::object dropped = encoded(request, {.drop_unsupported_params = true});
  EXPECT_FALSE(dropped.contains("n"));
  EXPECT_FALSE(dropped.contains("top_logprobs"));
}

}  // namespace
}  // namespace nexus::providers::cohere

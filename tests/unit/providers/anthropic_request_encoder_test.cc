// The Anthropic provider's request encoder on IR requests such as the OpenAI dialect builds
// (tool messages, reasoning effort, parameters Anthropic lacks), and its error decoder on the
// recorded Anthropic error bodies.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "providers/anthropic/request_encoder.h"
#include "stream_test_support.h"

namespace nexus::providers::anthropic {
namespace {

using llm::Part;
using llm::PartKind;
using llm::Role;

llm::Request hello() {
  llm::Request request{.model = "client-model"};
  request.messages.push_back({.role = Role::kUser, .parts = {{.text = "hi"}}});
  return request;
}

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

TEST(AnthropicRequestEncoder, DefaultsAndModel) {
  const boost::json::object body =
      encoded(hello(), {.model = "claude-up", .default_max_tokens = 77});
  EXPECT_EQ(body, boost::json::parse(R"({"model":"claude-up","max_tokens":77,
      "messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(encoded(hello()).at("model"), "client-model");
}

// The results, and the user's words after them, as the one user turn Anthropic wants.
TEST(AnthropicRequestEncoder, OpenAiToolMessagesBecomeOneUserTurn) {
  llm::Request request = hello();
  request.system.push_back({.text = "sys"});
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kText, .text = ""},
                 {.kind = PartKind::kReasoning, .text = "unsigned, from another provider"},
                 {.kind = PartKind::kToolCall, .text = R"({"a":1})", .id = "call_1", .name = "f"},
                 {.kind = PartKind::kToolCall, .text = "", .id = "call_2", .name = "g"}}});
  for (const char* id : {"call_1", "call_2"}) {
    request.messages.push_back(
        {.role = Role::kUser,
         .parts = {{.kind = PartKind::kToolResult, .id = id, .content = {{.text = "r"}}}}});
  }
  request.messages.push_back({.role = Role::kUser, .parts = {{.text = "and?"}}});
  const boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("system"), "sys");
  EXPECT_EQ(body.at("messages"), boost::json::parse(R"([
      {"role":"user","content":"hi"},
      {"role":"assistant","content":[
        {"type":"tool_use","id":"call_1","name":"f","input":{"a":1}},
        {"type":"tool_use","id":"call_2","name":"g","input":{}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"call_1","content":"r"},
        {"type":"tool_result","tool_use_id":"call_2","content":"r"},
        {"type":"text","text":"and?"}]}])"));
}

TEST(AnthropicRequestEncoder, ImagesToolsAndChoices) {
  llm::Request request = hello();
  request.messages[0].parts.push_back(
      {.kind = PartKind::kImage, .image = {.media_type = "image/png", .data = "AAA"}});
  request.messages[0].parts.push_back(
      {.kind = PartKind::kImage, .image = {.url = "https://x/y.png", .detail = "low"}});
  request.tools.push_back({.name = "f"});
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kRequired};
  request.parallel_tool_calls = false;
  request.stop = {"END"};
  request.user = "u";
  request.top_k = 5;
  const boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("messages").at(0).at("content"), boost::json::parse(R"([
      {"type":"text","text":"hi"},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}},
      {"type":"image","source":{"type":"url","url":"https://x/y.png"}}])"));
  EXPECT_EQ(body.at("tools"),
            boost::json::parse(R"([{"name":"f","input_schema":{"type":"object"}}])"));
  EXPECT_EQ(body.at("tool_choice"),
            boost::json::parse(R"({"type":"any","disable_parallel_tool_use":true})"));
  EXPECT_EQ(body.at("stop_sequences"), boost::json::parse(R"(["END"])"));
  EXPECT_EQ(body.at("metadata"), boost::json::parse(R"({"user_id":"u"})"));
  EXPECT_EQ(body.at("top_k"), 5);
}

TEST(AnthropicRequestEncoder, ReasoningEffortBecomesAThinkingBudget) {
  llm::Request request = hello();
  request.max_tokens = 100;
  request.reasoning_effort = "low";
  boost::json::object body = encoded(request);
  EXPECT_EQ(body.at("thinking"), boost::json::parse(R"({"type":"enabled","budget_tokens":1024})"));
  EXPECT_EQ(body.at("max_tokens"), 1124);  // the answer keeps its room above the budget
  request.reasoning_effort = "high";
  request.max_tokens = 10000;
  body = encoded(request);
  EXPECT_EQ(body.at("thinking").at("budget_tokens"), 4096);
  EXPECT_EQ(body.at("max_tokens"), 10000);
  request.reasoning_effort = "minimal";
  EXPECT_FALSE(encoded(request).contains("thinking"));
  request.reasoning_effort = "extreme";
  EXPECT_EQ(refused(request), "reasoning_effort");
  request.thinking_budget = 3000;  // Anthropic's own budget wins
  EXPECT_EQ(encoded(request).at("thinking").at("budget_tokens"), 3000);
}

TEST(AnthropicRequestEncoder, WhatAnthropicCannotDoIsRefusedOrDropped) {
  const auto with = [](auto change) {
    llm::Request request = hello();
    change(request);
    return request;
  };
  const std::vector<std::pair<llm::Request, std::string>> cases = {
      {with([](llm::Request& r) { r.n = 2; }), "n"},
      {with([](llm::Request& r) { r.logprobs = true; }), "logprobs"},
      {with([](llm::Request& r) { r.top_logprobs = 2; }), "top_logprobs"},
      {with([](llm::Request& r) { r.seed = 1; }), "seed"},
      {with([](llm::Request& r) { r.presence_penalty = 0.1; }), "presence_penalty"},
      {with([](llm::Request& r) { r.frequency_penalty = 0.1; }), "frequency_penalty"},
      {with([](llm::Request& r) {
         r.response_format.kind = llm::ResponseFormat::Kind::kJsonObject;
       }),
       "response_format"},
  };
  for (const auto& [request, param] : cases) {
    EXPECT_EQ(refused(request), param);
    EXPECT_EQ(encoded(request, {.drop_unsupported_params = true}),
              encoded(hello(), {.drop_unsupported_params = true}));
  }
  llm::Request fine = hello();
  fine.n = 1;
  fine.logprobs = false;
  fine.response_format.kind = llm::ResponseFormat::Kind::kText;
  EXPECT_EQ(encoded(fine), encoded(hello()));
}

TEST(AnthropicRequestEncoder, ToolArgumentsThatAreNotAnObjectAreRefused) {
  llm::Request request = hello();
  request.messages.push_back(
      {.role = Role::kAssistant,
       .parts = {{.kind = PartKind::kToolCall, .text = "[1", .id = "c", .name = "f"}}});
  EXPECT_EQ(refused(request), "messages.1");
}

TEST(AnthropicErrorDecoder, RecordedErrorBodies) {
  const auto decoded = [](int status, const std::string& name) {
    return decode_error(status, testing::fixture("anthropic/" + name + ".json"));
  };
  llm::ApiError error = decoded(529, "issue__anthropic-529-overloaded");
  EXPECT_EQ(error.status, 529);
  EXPECT_EQ(error.type, "overloaded_error");
  EXPECT_EQ(error.message, "Overloaded");
  error = decoded(429, "issue__anthropic-429-rate-limit-account");
  EXPECT_EQ(error.type, "rate_limit_error");
  EXPECT_TRUE(error.message.starts_with("This request would exceed"));
  error = decoded(404, "pydantic__test_anthropic_count_tokens_error");
  EXPECT_EQ(error.type, "not_found_error");
  EXPECT_EQ(error.message, "model: claude-does-not-exist");
  error = decoded(401, "ddtrace__anthropic_v1_messages_post_a6302ed3");
  EXPECT_EQ(error.type, "authentication_error");
  EXPECT_EQ(error.message, "invalid x-api-key");
  error = decoded(400, "pydantic__test_anthropic_explicit_effort_xhigh_unsupported_model_errors");
  EXPECT_EQ(error.type, "invalid_request_error");
}

TEST(AnthropicErrorDecoder, OtherBodiesKeepTheStatusAndTheirStart) {
  llm::ApiError error = decode_error(502, "<html>" + std::string(1000, 'x'));
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.type, "");
  EXPECT_TRUE(error.message.starts_with("<html>"));
  EXPECT_LE(error.message.size(), 256u);
  error = decode_error(529, "");
  EXPECT_EQ(error.type, "overloaded_error");
  EXPECT_FALSE(error.message.empty());
}

}  // namespace
}  // namespace nexus::providers::anthropic

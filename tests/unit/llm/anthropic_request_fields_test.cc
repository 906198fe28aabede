// The Anthropic dialect's request decoder on small invented bodies: each block type and
// parameter into the IR, and each mistake a 400 naming its parameter in Anthropic's style.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "llm/dialects/anthropic/messages_request.h"

namespace nexus::dialects::anthropic {
namespace {

using llm::PartKind;

// A body with `extra` top-level fields and `messages`.
std::string body(std::string_view messages, std::string_view extra = "") {
  std::string text = R"({"model":"claude-x","max_tokens":10,"messages":)";
  text += messages;
  if (!extra.empty()) {
    text += ',';
    text += extra;
  }
  text += '}';
  return text;
}

llm::Request decoded(const std::string& text) {
  auto request = decode_messages_request(text);
  EXPECT_TRUE(request.has_value()) << (request ? "" : request.error().message()) << "\n" << text;
  return request.value_or(llm::Request{});
}

std::string param(const std::string& text) {
  auto request = decode_messages_request(text);
  EXPECT_FALSE(request.has_value()) << text;
  return request ? "(decoded)" : request.error().param();
}

constexpr std::string_view kHello = R"([{"role":"user","content":"hi"}])";

TEST(AnthropicRequestFields, EveryBlockType) {
  const llm::Request r = decoded(body(R"([
    {"role":"user","content":[
      {"type":"text","text":"look","cache_control":{"type":"ephemeral"}},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},
      {"type":"image","source":{"type":"url","url":"https://x/y.jpg"}}]},
    {"role":"assistant","content":[
      {"type":"thinking","thinking":"so","signature":"sig"},
      {"type":"redacted_thinking","data":"enc"},
      {"type":"tool_use","id":"toolu_1","name":"f","input":{"q":[1,2]}}]},
    {"role":"user","content":[
      {"type":"tool_result","tool_use_id":"toolu_1","is_error":true,"content":[
        {"type":"text","text":"bad"},
        {"type":"image","source":{"type":"url","url":"https://x/z.png"}}]},
      {"type":"tool_result","tool_use_id":"toolu_2","content":"ok"},
      {"type":"text","text":"then"}]}])"));
  ASSERT_EQ(r.messages.size(), 3u);
  const auto& user = r.messages[0].parts;
  ASSERT_EQ(user.size(), 3u);
  EXPECT_EQ(user[0].cache_control, (boost::json::value{{"type", "ephemeral"}}));
  EXPECT_EQ(user[1].kind, PartKind::kImage);
  EXPECT_EQ(user[1].image.media_type, "image/png");
  EXPECT_EQ(user[1].image.data, "iVBO");
  EXPECT_EQ(user[2].image.url, "https://x/y.jpg");
  const auto& assistant = r.messages[1].parts;
  EXPECT_EQ(r.messages[1].role, llm::Role::kAssistant);
  EXPECT_EQ(assistant[0].kind, PartKind::kReasoning);
  EXPECT_EQ(assistant[0].text, "so");
  EXPECT_EQ(assistant[0].signature, "sig");
  EXPECT_EQ(assistant[1].kind, PartKind::kRedactedReasoning);
  EXPECT_EQ(assistant[1].text, "enc");
  EXPECT_EQ(assistant[2].kind, PartKind::kToolCall);
  EXPECT_EQ(boost::json::parse(assistant[2].text), boost::json::parse(R"({"q":[1,2]})"));
  const auto& results = r.messages[2].parts;
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].kind, PartKind::kToolResult);
  EXPECT_TRUE(results[0].is_error);
  ASSERT_EQ(results[0].content.size(), 2u);
  EXPECT_EQ(results[0].content[1].image.url, "https://x/z.png");
  EXPECT_FALSE(results[1].is_error);
  EXPECT_EQ(results[1].content.at(0).text, "ok");
  EXPECT_EQ(results[2].kind, PartKind::kText);
}

TEST(AnthropicRequestFields, Parameters) {
  const llm::Request r = decoded(body(kHello, R"(
    "system":"be brief","stop_sequences":["END"],"temperature":1,"top_p":0.5,"top_k":40,
    "stream":true,"metadata":{"user_id":"u-1"},"thinking":{"type":"enabled","budget_tokens":2048},
    "tools":[{"name":"f","description":"d","input_schema":{"type":"object"},"strict":true,
              "cache_control":{"type":"ephemeral"}}],
    "tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true},
    "service_tier":"auto")"));
  EXPECT_EQ(r.model, "claude-x");
  EXPECT_EQ(r.max_tokens, 10u);
  ASSERT_EQ(r.system.size(), 1u);
  EXPECT_EQ(r.system[0].text, "be brief");
  EXPECT_EQ(r.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_EQ(r.top_p, 0.5);
  EXPECT_EQ(r.top_k, 40u);
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.user, "u-1");
  EXPECT_EQ(r.thinking_budget, 2048u);
  ASSERT_EQ(r.tools.size(), 1u);
  EXPECT_EQ(r.tools[0].description, "d");
  EXPECT_EQ(r.tools[0].strict, true);
  EXPECT_EQ(r.tools[0].cache_control, (boost::json::value{{"type", "ephemeral"}}));
  EXPECT_EQ(r.tool_choice.mode, llm::ToolChoice::Mode::kTool);
  EXPECT_EQ(r.tool_choice.name, "f");
  EXPECT_EQ(r.parallel_tool_calls, false);
}

TEST(AnthropicRequestFields, ChoicesThinkingOffAndNulls) {
  using Mode = llm::ToolChoice::Mode;
  EXPECT_EQ(decoded(body(kHello, R"("tool_choice":{"type":"any"})")).tool_choice.mode,
            Mode::kRequired);
  EXPECT_EQ(decoded(body(kHello, R"("tool_choice":{"type":"none"})")).tool_choice.mode,
            Mode::kNone);
  const llm::Request r = decoded(body(kHello, R"("tool_choice":{"type":"auto",
      "disable_parallel_tool_use":false},"thinking":{"type":"disabled"},"system":null,
      "temperature":null,"metadata":{"user_id":null})"));
  EXPECT_EQ(r.tool_choice.mode, Mode::kAuto);
  EXPECT_FALSE(r.parallel_tool_calls.has_value());
  EXPECT_FALSE(r.thinking_budget.has_value());
  EXPECT_FALSE(r.temperature.has_value());
  EXPECT_TRUE(r.system.empty());
  EXPECT_FALSE(r.stream);
}

TEST(AnthropicRequestFields, EachMistakeNamesItsParameter) {
  EXPECT_EQ(param(R"({"max_tokens":1,"messages":[]})"), "model");
  EXPECT_EQ(param(R"({"model":"m","messages":[]})"), "max_tokens");
  EXPECT_EQ(param(R"({"model":"m","max_tokens":"10","messages":[]})"), "max_tokens");
  EXPECT_EQ(param(R"({"model":"m","max_tokens":-1,"messages":[]})"), "max_tokens");
  EXPECT_EQ(param(R"({"model":"m","max_tokens":1})"), "messages");
  EXPECT_EQ(param(R"({"model":"m","max_tokens":1,"messages":{}})"), "messages");
  EXPECT_EQ(param(body(R"([{"role":"system","content":"x"}])")), "messages.0.role");
  EXPECT_EQ(param(body(R"([{"role":"user"}])")), "messages.0.content");
  EXPECT_EQ(param(body(R"([{"role":"user","content":7}])")), "messages.0.content");
  EXPECT_EQ(param(body(R"([{"role":"user","content":"a"},{"role":"user","content":[
      {"type":"image"}]}])")),
            "messages.1.content.0.source");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"image","source":
      {"type":"file","file_id":"f"}}]}])")),
            "messages.0.content.0.source.type");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"image","source":
      {"type":"base64","data":"x"}}]}])")),
            "messages.0.content.0.source.media_type");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"document"}]}])")),
            "messages.0.content.0.type");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"text":"no type"}]}])")),
            "messages.0.content.0.type");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"text"}]}])")),
            "messages.0.content.0.text");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"tool_use","id":"a","name":"b",
      "input":{}}]}])")),
            "messages.0.content.0.type");  // tool_use belongs to the assistant
  EXPECT_EQ(param(body(R"([{"role":"assistant","content":[{"type":"tool_use","id":"a",
      "name":"b","input":"x"}]}])")),
            "messages.0.content.0.input");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"tool_result"}]}])")),
            "messages.0.content.0.tool_use_id");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"tool_result","tool_use_id":"a",
      "content":[{"type":"document"}]}]}])")),
            "messages.0.content.0.content.0.type");
  EXPECT_EQ(param(body(R"([{"role":"user","content":[{"type":"text","text":"a",
      "cache_control":true}]}])")),
            "messages.0.content.0.cache_control");
  EXPECT_EQ(param(body(kHello, R"("system":[{"type":"image"}])")), "system.0.type");
  EXPECT_EQ(param(body(kHello, R"("system":5)")), "system");
  EXPECT_EQ(param(body(kHello, R"("tools":[{"name":"f"}])")), "tools.0.input_schema");
  EXPECT_EQ(param(body(kHello, R"("tools":[{"type":"web_search_20250305","name":"w"}])")),
            "tools.0.type");
  EXPECT_EQ(param(body(kHello, R"("tool_choice":{"type":"maybe"})")), "tool_choice.type");
  EXPECT_EQ(param(body(kHello, R"("tool_choice":{"type":"tool"})")), "tool_choice.name");
  EXPECT_EQ(param(body(kHello, R"("thinking":{"type":"enabled"})")), "thinking.budget_tokens");
  EXPECT_EQ(param(body(kHello, R"("thinking":{"type":"adaptive"})")), "thinking.type");
  EXPECT_EQ(param(body(kHello, R"("stop_sequences":["a",1])")), "stop_sequences.1");
  EXPECT_EQ(param(body(kHello, R"("temperature":"hot")")), "temperature");
  EXPECT_EQ(param(body(kHello, R"("stream":"yes")")), "stream");
  EXPECT_EQ(param(body(kHello, R"("metadata":{"user_id":3})")), "metadata.user_id");
  EXPECT_EQ(param(body(kHello, R"("container":"c")")), "container");
  EXPECT_EQ(param(body(kHello, R"("mcp_servers":[])")), "mcp_servers");
  EXPECT_EQ(param(body(kHello, R"("cache_control":"yes")")), "cache_control");
}

TEST(AnthropicRequestFields, ABodyThatIsNotAnObjectIsABadRequest) {
  for (const std::string_view text : {"", "[]", "{", "null", "\"x\""}) {
    auto request = decode_messages_request(text);
    ASSERT_FALSE(request.has_value()) << text;
    EXPECT_EQ(request.error().code(), ErrorCode::kBadRequest);
    EXPECT_EQ(request.error().param(), "");
  }
}

}  // namespace
}  // namespace nexus::dialects::anthropic

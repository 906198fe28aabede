// The echo provider: deterministic answers, as an event stream that keeps the IR's rules.
#include "providers/echo/echo.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm/ir/stream_aggregator.h"

namespace nexus::providers::echo {
namespace {

using llm::StreamEventKind;

llm::Request ask(std::string text) {
  llm::Request request;
  request.system.push_back({.text = "Be brief"});
  request.messages.push_back({.role = llm::Role::kUser, .parts = {{.text = "first"}}});
  request.messages.push_back({.role = llm::Role::kAssistant, .parts = {{.text = "ok"}}});
  request.messages.push_back({.role = llm::Role::kUser, .parts = {{.text = std::move(text)}}});
  return request;
}

llm::Response aggregate(const std::vector<llm::StreamEvent>& events) {
  llm::StreamAggregator aggregator;
  for (const auto& event : events) {
    aggregator.add(event);
  }
  return aggregator.response();
}

TEST(EchoProvider, StreamsTheLastUserMessageWordByWord) {
  std::string storage;
  std::vector<llm::StreamEvent> events;
  answer(ask("Hello  echo\nworld"), "echo-model", storage, events);
  ASSERT_GE(events.size(), 2U);
  EXPECT_EQ(events.front().kind, StreamEventKind::kMessageStart);
  EXPECT_EQ(events.front().name, "echo-model");
  EXPECT_EQ(events.back().kind, StreamEventKind::kMessageStop);
  std::vector<std::string> deltas;
  for (const auto& event : events) {
    if (event.kind == StreamEventKind::kTextDelta) {
      deltas.emplace_back(event.text);
    }
  }
  EXPECT_EQ(deltas, (std::vector<std::string>{"Hello", "  echo", "\nworld"}));
  const llm::Response response = aggregate(events);
  ASSERT_EQ(response.choices.size(), 1U);
  EXPECT_EQ(response.choices[0].text, "Hello  echo\nworld");
  EXPECT_EQ(response.choices[0].finish, llm::FinishReason::kStop);
  EXPECT_EQ(response.usage.output, 3U);
  EXPECT_EQ(response.usage.input, 2U + 1U + 1U + 3U);  // system, history and the question
}

TEST(EchoProvider, SameRequestSameAnswer) {
  std::string storage_a;
  std::string storage_b;
  std::vector<llm::StreamEvent> a;
  std::vector<llm::StreamEvent> b;
  answer(ask("same words"), "m", storage_a, a);
  answer(ask("same words"), "m", storage_b, b);
  EXPECT_EQ(aggregate(a), aggregate(b));
}

TEST(EchoProvider, CallsTheRequiredTool) {
  llm::Request request = ask("say \"hi\"");
  request.tools.push_back({.name = "first"});
  request.tools.push_back({.name = "second"});
  request.tool_choice = {.mode = llm::ToolChoice::Mode::kTool, .name = "second"};
  std::string storage;
  std::vector<llm::StreamEvent> events;
  answer(request, "m", storage, events);
  const llm::Response response = aggregate(events);
  ASSERT_EQ(response.choices.size(), 1U);
  ASSERT_EQ(response.choices[0].tool_calls.size(), 1U);
  EXPECT_EQ(response.choices[0].tool_calls[0].name, "second");
  EXPECT_EQ(response.choices[0].tool_calls[0].arguments, R"({"echo":"say \"hi\""})");
  EXPECT_EQ(response.choices[0].finish, llm::FinishReason::kToolCalls);
  EXPECT_TRUE(response.choices[0].text.empty());
}

TEST(EchoProvider, AutoToolChoiceAnswersWithText) {
  llm::Request request = ask("plain");
  request.tools.push_back({.name = "tool"});
  std::string storage;
  std::vector<llm::StreamEvent> events;
  answer(request, "m", storage, events);
  const llm::Response response = aggregate(events);
  EXPECT_TRUE(response.choices[0].tool_calls.empty());
  EXPECT_EQ(response.choices[0].text, "plain");
}

TEST(EchoProvider, NoUserTextIsAnEmptyAnswer) {
  llm::Request request;
  std::string storage;
  std::vector<llm::StreamEvent> events;
  answer(request, "m", storage, events);
  const llm::Response response = aggregate(events);
  ASSERT_EQ(response.choices.size(), 1U);
  EXPECT_TRUE(response.choices[0].text.empty());
  EXPECT_EQ(events.back().kind, StreamEventKind::kMessageStop);
}

}  // namespace
}  // namespace nexus::providers::echo

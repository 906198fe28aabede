// The OpenAI-shaped stream decoder against every recorded OpenAI-compatible stream (the rules
// every stream must keep), particular recordings (tool calls, reasoning, errors inside the
// stream, usage), and streams that end too early or break the rules.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "providers/openai/stream_decoder.h"

#ifndef NEXUS_SHARED_DIR
#error "NEXUS_SHARED_DIR must point at the shared/ directory"
#endif

namespace nexus::providers::openai {
namespace {

using llm::StreamEventKind;
using Kind = StreamEventKind;

struct Owned {  // a StreamEvent with its own strings
  Kind kind;
  uint32_t choice;
  uint32_t tool;
  std::string text;
  std::string id;
  std::string name;
  llm::FinishReason finish;
  llm::Usage usage;
};

struct Decoded {
  std::vector<Owned> events;
  std::string error;  // of decode() or finish(); "" when the stream was accepted
  [[nodiscard]] std::vector<Owned> of(Kind kind) const {
    std::vector<Owned> found;
    for (const Owned& e : events) {
      if (e.kind == kind) {
        found.push_back(e);
      }
    }
    return found;
  }
  [[nodiscard]] std::string joined(Kind kind, uint32_t tool = 0) const {
    std::string text;
    for (const Owned& e : events) {
      if (e.kind == kind && e.tool == tool) {
        text += e.text;
      }
    }
    return text;
  }
};

Decoded decode_text(std::string_view text) {
  sse::Parser parser;
  StreamDecoder decoder;
  Decoded out;
  std::vector<llm::StreamEvent> events;
  const auto keep = [&] {
    for (const auto& e : events) {
      out.events.push_back({e.kind, e.choice, e.tool, std::string(e.text), std::string(e.id),
                            std::string(e.name), e.finish, e.usage});
    }
    events.clear();
  };
  sse::Event event;
  for (;;) {
    auto step = parser.next(text, event);
    if (!step) {
      out.error = step.error().message();
      return out;
    }
    if (*step == sse::Parser::Step::kNeedMore) {
      break;
    }
    auto decoded = decoder.decode(event, events);
    keep();
    if (!decoded) {
      out.error = decoded.error().message();
      return out;
    }
  }
  auto finished = decoder.finish(events);
  keep();
  if (!finished) {
    out.error = finished.error().message();
  }
  return out;
}

std::string fixture(const std::string& name) {
  // Built by appending: g++ 12 warns (-Warray-bounds, falsely) on operator+ chains here.
  std::string path = NEXUS_SHARED_DIR;
  path += "/fixtures/providers/";
  path += name;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

// A recorded stream: .sse as it is; .chunks.txt (one data payload per line) framed the way
// OpenAI-shaped providers send it, as the fixtures' README says.
Decoded decode_fixture(const std::string& name) {
  std::string text = fixture(name);
  if (name.ends_with(".chunks.txt")) {
    std::istringstream lines(text);
    std::string framed;
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) {
        framed += "data: ";
        framed += line;
        framed += "\n\n";
      }
    }
    framed += "data: [DONE]\n\n";
    text = std::move(framed);
  }
  return decode_text(text);
}

const std::vector<std::string> kOpenAiShapedStreams = {
    "openai/ddtrace__chat_completion_stream_prompt_caching_cache_read.sse",
    "openai/ddtrace__completion_stream_with_tools.sse",
    "openai/vercel__openai-text.chunks.txt",
    "azure/ddtrace__completion_azure_stream.sse",
    "groq/pydantic__test_tool_use_failed_error_streaming_with_text.0.sse",
    "groq/pydantic__test_tool_use_failed_error_streaming_with_text.1.sse",
    "groq/vercel__groq-text.chunks.txt",
    "groq/vercel__groq-tool-call.chunks.txt",
    "mistral/ddtrace__mistral_v1_chat_completions_post_1798d156.sse",
    "mistral/vercel__mistral-text.chunks.txt",
    "mistral/vercel__mistral-reasoning.chunks.txt",
    "openrouter/pydantic__test_openrouter_stream_error.sse",
    "zai/pydantic__test_zai_thinking_stream.sse",
    "xai/vercel__openai-compatible-xai-text.chunks.txt",
    "xai/vercel__xai-xai-tool-call.chunks.txt",
    "qwen/vercel__alibaba-reasoning.chunks.txt",
    "qwen/vercel__alibaba-tool-call.chunks.txt",
    "deepseek/vercel__deepseek-reasoning.chunks.txt",
    "deepseek/vercel__deepseek-tool-call.chunks.txt",
    "perplexity/vercel__perplexity-text.chunks.txt",
};

// The rules of the IR every decoded stream keeps: it starts with kMessageStart; it ends with
// kMessageStop, or carried a provider error; nothing of a choice follows its kFinish; arguments
// go to a tool call that was started; a block stop closes something.
TEST(OpenAiStreamDecoder, EveryRecordedStreamKeepsTheRules) {
  for (const std::string& name : kOpenAiShapedStreams) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    ASSERT_FALSE(d.events.empty());
    EXPECT_EQ(d.events.front().kind, Kind::kMessageStart);
    const bool errored = !d.of(Kind::kError).empty();
    EXPECT_EQ(d.events.back().kind == Kind::kMessageStop, !errored);
    EXPECT_EQ(d.of(Kind::kMessageStart).size(), 1u);
    std::map<uint32_t, bool> finished;
    std::map<std::pair<uint32_t, uint32_t>, bool> started_tools;
    for (const Owned& e : d.events) {
      switch (e.kind) {
        case Kind::kTextDelta:
        case Kind::kReasoningDelta:
        case Kind::kToolCallStart:
        case Kind::kToolArgumentsDelta:
        case Kind::kBlockStop:
          EXPECT_FALSE(finished[e.choice]) << "after the finish of choice " << e.choice;
          break;
        case Kind::kFinish:
          EXPECT_FALSE(finished[e.choice]) << "choice " << e.choice << " finished twice";
          finished[e.choice] = true;
          break;
        default:
          break;
      }
      if (e.kind == Kind::kToolCallStart) {
        started_tools[{e.choice, e.tool}] = true;
      }
      if (e.kind == Kind::kToolArgumentsDelta) {
        EXPECT_TRUE((started_tools[{e.choice, e.tool}]));
      }
    }
    if (!errored) {
      EXPECT_FALSE(d.of(Kind::kFinish).empty());
    }
  }
}

TEST(OpenAiStreamDecoder, ToolCallWithItsArgumentsInPiecesAndUsageOnItsOwnChunk) {
  const Decoded d = decode_fixture("openai/ddtrace__completion_stream_with_tools.sse");
  ASSERT_EQ(d.error, "");
  const auto starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].id, "call_HuRWIamjJM7bLsbCamjSgf8e");
  EXPECT_EQ(starts[0].name, "get_current_weather");
  EXPECT_GT(d.of(Kind::kToolArgumentsDelta).size(), 1u);
  EXPECT_TRUE(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)).is_object());
  const auto finish = d.of(Kind::kFinish);
  ASSERT_EQ(finish.size(), 1u);
  EXPECT_EQ(finish[0].finish, llm::FinishReason::kToolCalls);
  const auto usage = d.of(Kind::kUsage);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].usage, (llm::Usage{85, 24, 0, 0, 0}));
  // The tool block is closed before the finish.
  ASSERT_GE(d.events.size(), 3u);
  auto at_finish = std::ranges::find(d.events, Kind::kFinish, &Owned::kind);
  EXPECT_EQ(std::prev(at_finish)->kind, Kind::kBlockStop);
}

TEST(OpenAiStreamDecoder, AnEmptyIdOnALaterDeltaDoesNotReplaceTheCallsId) {
  const Decoded d = decode_fixture("qwen/vercel__alibaba-tool-call.chunks.txt");
  ASSERT_EQ(d.error, "");
  const auto starts = d.of(Kind::kToolCallStart);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].id, "call_eee11723464a4b9eb8cee71d");
  EXPECT_EQ(starts[0].name, "weather");
  EXPECT_EQ(boost::json::parse(d.joined(Kind::kToolArgumentsDelta)).at("location"),
            "San Francisco");
}

TEST(OpenAiStreamDecoder, ReasoningThenTextAreTwoBlocks) {
  for (const char* name : {"deepseek/vercel__deepseek-reasoning.chunks.txt",
                           "mistral/vercel__mistral-reasoning.chunks.txt",
                           "zai/pydantic__test_zai_thinking_stream.sse"}) {
    SCOPED_TRACE(name);
    const Decoded d = decode_fixture(name);
    ASSERT_EQ(d.error, "");
    EXPECT_FALSE(d.joined(Kind::kReasoningDelta).empty());
    EXPECT_FALSE(d.joined(Kind::kTextDelta).empty());
    auto first_text = std::ranges::find(d.events, Kind::kTextDelta, &Owned::kind);
    ASSERT_NE(first_text, d.events.end());
    EXPECT_EQ(std::prev(first_text)->kind, Kind::kBlockStop);  // the reasoning block closed
  }
}

TEST(OpenAiStreamDecoder, ErrorsInsideTheStream) {
  // Groq: an `event: error` after some reasoning, and no [DONE].
  const Decoded groq =
      decode_fixture("groq/pydantic__test_tool_use_failed_error_streaming_with_text.0.sse");
  ASSERT_EQ(groq.error, "");
  ASSERT_EQ(groq.of(Kind::kError).size(), 1u);
  EXPECT_EQ(groq.of(Kind::kError)[0].text,
            "Tool choice is required, but model did not call a tool");
  EXPECT_EQ(groq.of(Kind::kError)[0].name, "invalid_request_error");
  // OpenRouter: a chunk with an `error` object, numeric code, no type.
  const Decoded openrouter =
      decode_fixture("openrouter/pydantic__test_openrouter_stream_error.sse");
  ASSERT_EQ(openrouter.error, "");
  ASSERT_EQ(openrouter.of(Kind::kError).size(), 1u);
  EXPECT_EQ(openrouter.of(Kind::kError)[0].text, "Token limit reached");
}

TEST(OpenAiStreamDecoder, UsageRepeatedOnEveryChunkIsReportedWhenItChanges) {
  const Decoded d = decode_fixture("perplexity/vercel__perplexity-text.chunks.txt");
  ASSERT_EQ(d.error, "");
  const auto usage = d.of(Kind::kUsage);
  ASSERT_FALSE(usage.empty());
  for (size_t i = 1; i < usage.size(); ++i) {
    EXPECT_FALSE(usage[i].usage == usage[i - 1].usage);
  }
}

constexpr std::string_view kStart =
    R"(data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]})"
    "\n\n";

// kStart, then `rest` (appended: g++ 12 warns, falsely, on operator+ chains of literals).
Decoded decode_after_start(std::string_view rest) {
  std::string text(kStart);
  text += rest;
  return decode_text(text);
}

TEST(OpenAiStreamDecoder, StreamsThatEndTooEarlyAreErrors) {
  EXPECT_EQ(decode_text("").error, "the stream ended before its first chunk");
  EXPECT_EQ(decode_after_start(R"(data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]})"
                               "\n\n")
                .error,
            "the stream ended before choice 0 finished");
  EXPECT_EQ(
      decode_after_start(
          R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t",)"
          R"("function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":"tool_calls"}]})"
          "\n\n")
          .error,
      "the stream ended with tool call 0's arguments incomplete");
}

TEST(OpenAiStreamDecoder, ChunksThatBreakTheRulesAreErrors) {
  EXPECT_EQ(decode_after_start("data: not json\n\n").error, "a stream chunk is not a JSON object");
  EXPECT_EQ(decode_after_start(R"(data: {"choices":[{"index":5000}]})"
                               "\n\n")
                .error,
            "stream chunk with an invalid index");
  EXPECT_EQ(decode_after_start(R"(data: {"choices":[7]})"
                               "\n\n")
                .error,
            "a stream chunk's choice is not an object");
  EXPECT_EQ(decode_after_start(R"(data: {"usage":{"prompt_tokens":-1}})"
                               "\n\n")
                .error,
            "usage.prompt_tokens is not a token count");
}

TEST(OpenAiStreamDecoder, ContentAfterAChoiceFinishedIsAnError) {
  const Decoded d = decode_after_start(
      R"(data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":"b"}}]})"
      "\n\n");
  EXPECT_EQ(d.error, "a stream chunk continues choice 0 after it finished");
  EXPECT_EQ(d.joined(Kind::kTextDelta), "a");  // nothing of the offending chunk
}

TEST(OpenAiStreamDecoder, NothingAfterDoneCounts) {
  const Decoded d =
      decode_after_start(R"(data: {"choices":[{"index":0,"finish_reason":"stop"}]})"
                         "\n\ndata: [DONE]\n\n"
                         R"(data: {"choices":[{"index":0,"delta":{"content":"late"}}]})"
                         "\n\n");
  EXPECT_EQ(d.error, "");
  EXPECT_TRUE(d.of(Kind::kTextDelta).empty());
  EXPECT_EQ(d.events.back().kind, Kind::kMessageStop);
}

}  // namespace
}  // namespace nexus::providers::openai

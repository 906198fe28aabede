// Shared by the stream decoder tests: recorded fixtures (re-framed when they are .chunks.txt),
// running a decoder over a whole stream with owned copies of its events, and the rules every
// decoded stream must keep.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/sse/parser.h"
#include "llm/ir/stream.h"
#include "llm/ir/stream_aggregator.h"

#ifndef NEXUS_SHARED_DIR
#error "NEXUS_SHARED_DIR must point at the shared/ directory"
#endif

namespace nexus::providers::testing {

using Kind = llm::StreamEventKind;

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

// An SSE stream given to one parser and decoder in `pieces` (split anywhere).
template <typename Decoder>
Decoded decode_pieces(const std::vector<std::string_view>& pieces) {
  sse::Parser parser;
  Decoder decoder;
  Decoded out;
  std::vector<llm::StreamEvent> events;
  const auto keep = [&] {
    for (const auto& e : events) {
      out.events.push_back({e.kind, e.choice, e.tool, std::string(e.text), std::string(e.id),
                            std::string(e.name), e.finish, e.usage});
    }
    events.clear();
  };
  for (std::string_view piece : pieces) {
    sse::Event event;
    for (;;) {
      auto step = parser.next(piece, event);
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
  }
  auto finished = decoder.finish(events);
  keep();
  if (!finished) {
    out.error = finished.error().message();
  }
  return out;
}

template <typename Decoder>
Decoded decode_stream(std::string_view text) {
  return decode_pieces<Decoder>({text});
}

inline std::string fixture(const std::string& name) {
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

// A recorded stream: .sse as it is; .chunks.txt (one data payload per line) framed the way the
// provider sends it, as the fixtures' README says: OpenAI-shaped ones as `data:` lines ending
// with `data: [DONE]`, Anthropic's with an `event:` line naming each payload's type.
inline std::string recorded_stream(const std::string& name) {
  std::string text = fixture(name);
  if (!name.ends_with(".chunks.txt")) {
    return text;
  }
  const bool anthropic = name.starts_with("anthropic/");
  std::istringstream lines(text);
  std::string framed;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      continue;
    }
    if (anthropic) {
      const size_t type = line.find(R"("type":")");
      framed += "event: ";
      framed += line.substr(type + 8, line.find('"', type + 8) - type - 8);
      framed += '\n';
    }
    framed += "data: ";
    framed += line;
    framed += "\n\n";
  }
  if (!anthropic) {
    framed += "data: [DONE]\n\n";
  }
  return framed;
}

// The IR's rules: one kMessageStart, first; kMessageStop last unless the provider sent an error;
// nothing of a choice after its kFinish, which comes once; argument pieces only for a started
// tool call; a finish at all unless the provider sent an error.
inline void expect_ir_rules(const Decoded& d) {
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
      case Kind::kReasoningSignature:
      case Kind::kRedactedReasoning:
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

// A recorded stream, decoded and added up.
template <typename Decoder>
llm::Response aggregated(const std::string& name) {
  const Decoded decoded = decode_stream<Decoder>(recorded_stream(name));
  EXPECT_EQ(decoded.error, "") << name;
  llm::StreamAggregator aggregator;
  for (const Owned& e : decoded.events) {
    aggregator.add({.kind = e.kind,
                    .choice = e.choice,
                    .tool = e.tool,
                    .text = e.text,
                    .id = e.id,
                    .name = e.name,
                    .finish = e.finish,
                    .usage = e.usage});
  }
  return aggregator.response();
}

// The same case recorded twice, streamed and not: the model's words differ between the two
// recordings, so the invariant compares what must not: the tool calls' names and whole-JSON
// arguments, text present or not, reasoning present or not, the finish reason, some usage.
inline void expect_same_shape(const llm::Response& streamed, const llm::Response& whole) {
  ASSERT_EQ(streamed.choices.size(), whole.choices.size());
  for (size_t i = 0; i < whole.choices.size(); ++i) {
    const llm::Choice& s = streamed.choices[i];
    const llm::Choice& w = whole.choices[i];
    EXPECT_EQ(s.finish, w.finish);
    EXPECT_EQ(s.finish_word, w.finish_word);
    EXPECT_EQ(s.text.empty(), w.text.empty());
    EXPECT_EQ(s.reasoning.empty(), w.reasoning.empty());
    ASSERT_EQ(s.tool_calls.size(), w.tool_calls.size());
    for (size_t t = 0; t < w.tool_calls.size(); ++t) {
      EXPECT_EQ(s.tool_calls[t].name, w.tool_calls[t].name);
      EXPECT_FALSE(s.tool_calls[t].id.empty());
      EXPECT_EQ(boost::json::parse(s.tool_calls[t].arguments),
                boost::json::parse(w.tool_calls[t].arguments));
    }
  }
  EXPECT_GT(streamed.usage.total(), 0u);
  EXPECT_GT(whole.usage.total(), 0u);
}

// The recorded streams of each shape, used by the decoder and the encoder tests.
inline const std::vector<std::string> kOpenAiShapedStreams = {
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

inline const std::vector<std::string> kAnthropicStreams = {
    "anthropic/ddtrace__anthropic_completion_stream.sse",
    "anthropic/ddtrace__anthropic_completion_stream_cache_read.sse",
    "anthropic/pydantic__test_anthropic_advisor_tool_stream.sse",
    "anthropic/vercel__anthropic-clear-thinking.1.chunks.txt",
    "anthropic/vercel__anthropic-json-other-tool.1.chunks.txt",
    "anthropic/vercel__anthropic-json-tool.2.chunks.txt",
    "anthropic/vercel__anthropic-mcp.1.chunks.txt",
};

// An owned event as the StreamEvent it was (views into `e`).
inline llm::StreamEvent view(const Owned& e) {
  return {.kind = e.kind,
          .choice = e.choice,
          .tool = e.tool,
          .text = e.text,
          .id = e.id,
          .name = e.name,
          .finish = e.finish,
          .usage = e.usage};
}

}  // namespace nexus::providers::testing

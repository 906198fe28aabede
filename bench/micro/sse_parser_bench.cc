// The server-sent events parser's throughput, the first layer of every provider stream: a
// synthetic OpenAI-style token stream (one event per token, as providers send them) fed in reads
// of different sizes, and a recorded provider stream. Reports bytes/s and events (tokens)/s.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "http/sse/parser.h"

namespace {

// 1,000 chunks of one short token each, the shape of a chat completion stream.
std::string token_stream() {
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    text +=
        R"(data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk",)";
    text +=
        R"("created":1741570283,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8",)";
    text +=
        R"("choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]})";
    text += "\n\n";
  }
  text += "data: [DONE]\n\n";
  return text;
}

void parse_in_reads(benchmark::State& state, const std::string& text) {
  const auto read_size = static_cast<size_t>(state.range(0));
  size_t events = 0;
  for (auto _ : state) {
    nexus::sse::Parser parser;
    for (size_t at = 0; at < text.size(); at += read_size) {
      std::string_view input = std::string_view(text).substr(at, read_size);
      nexus::sse::Event event;
      for (;;) {
        auto step = parser.next(input, event);
        if (!step || *step == nexus::sse::Parser::Step::kNeedMore) {
          break;
        }
        ++events;
        benchmark::DoNotOptimize(event.data.data());
      }
    }
    benchmark::DoNotOptimize(parser.finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_TokenStream(benchmark::State& state) {
  static const std::string text = token_stream();
  parse_in_reads(state, text);
}
// Reads of 64 bytes (worst case: every event split), 1 KiB, 16 KiB (a typical socket read).
BENCHMARK(BM_TokenStream)->Arg(64)->Arg(1024)->Arg(16384);

void BM_RecordedOpenAiStream(benchmark::State& state) {
  static const std::string text = [] {
    std::ifstream in(std::string(NEXUS_SHARED_DIR) +
                         "/fixtures/providers/openai/"
                         "ddtrace__chat_completion_stream_prompt_caching_cache_read.sse",
                     std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }();
  if (text.empty()) {
    state.SkipWithError("the recorded stream was not found under NEXUS_SHARED_DIR");
    return;
  }
  parse_in_reads(state, text);
}
BENCHMARK(BM_RecordedOpenAiStream)->Arg(16384);

}  // namespace

// libFuzzer target: bytes as an upstream's event stream, through sse::Parser and each provider's
// stream decoder (OpenAI-shaped, Anthropic). Whatever the input, a decoder must not crash, and
// the events it gives must keep the IR's rules: one kMessageStart first, nothing of a choice
// after its kFinish, argument pieces only for a started tool call, kMessageStop only last.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "http/sse/parser.h"
#include "providers/anthropic/stream_decoder.h"
#include "providers/openai/stream_decoder.h"

namespace {

using nexus::llm::StreamEvent;
using nexus::llm::StreamEventKind;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

struct Rules {
  bool started = false;
  bool stopped = false;
  std::set<uint32_t> finished;
  std::set<std::pair<uint32_t, uint32_t>> tools;

  void check(const StreamEvent& e) {
    require(!stopped);
    switch (e.kind) {
      case StreamEventKind::kMessageStart:
        require(!started);
        started = true;
        break;
      case StreamEventKind::kTextDelta:
      case StreamEventKind::kReasoningDelta:
      case StreamEventKind::kReasoningSignature:
      case StreamEventKind::kRedactedReasoning:
      case StreamEventKind::kBlockStop:
        require(started && !finished.contains(e.choice));
        break;
      case StreamEventKind::kToolCallStart:
        require(started && !finished.contains(e.choice));
        require(tools.insert({e.choice, e.tool}).second);
        break;
      case StreamEventKind::kToolArgumentsDelta:
        require(!finished.contains(e.choice) && tools.contains({e.choice, e.tool}));
        break;
      case StreamEventKind::kFinish:
        require(started && finished.insert(e.choice).second);
        break;
      case StreamEventKind::kMessageStop:
        require(started);
        stopped = true;
        break;
      case StreamEventKind::kUsage:
      case StreamEventKind::kError:
        break;
    }
  }
};

template <typename Decoder>
void run(std::string_view input) {
  nexus::sse::Parser parser(1 << 16);
  Decoder decoder;
  std::vector<StreamEvent> events;
  Rules rules;
  nexus::sse::Event event;
  for (;;) {
    auto step = parser.next(input, event);
    if (!step || *step == nexus::sse::Parser::Step::kNeedMore) {
      break;
    }
    const bool ok = decoder.decode(event, events).has_value();
    for (const StreamEvent& e : events) {
      rules.check(e);
    }
    events.clear();
    if (!ok) {
      return;
    }
  }
  (void)decoder.finish(events);
  for (const StreamEvent& e : events) {
    rules.check(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  run<nexus::providers::openai::StreamDecoder>(input);
  run<nexus::providers::anthropic::StreamDecoder>(input);
  return 0;
}

// libFuzzer target: bytes as a Gemini streamGenerateContent?alt=sse stream, through sse::Parser
// and the Gemini stream decoder. Whatever the input, the decoder must not crash, and the events
// it gives must keep the IR's rules: one kMessageStart first, nothing of a choice after its
// kFinish, a tool call started once and its arguments only after its start, kMessageStop only
// last.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "http/sse/parser.h"
#include "providers/gemini/stream_decoder.h"

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
      default:  // text, reasoning, signatures, block stops
        require(started && !finished.contains(e.choice));
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  nexus::sse::Parser parser(1 << 16);
  nexus::providers::gemini::StreamDecoder decoder;
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
      return 0;
    }
  }
  (void)decoder.finish(events);
  for (const StreamEvent& e : events) {
    rules.check(e);
  }
  return 0;
}

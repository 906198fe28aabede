// libFuzzer target: bytes as a Cohere v2 chat stream, through sse::Parser and the Cohere stream
// decoder. Whatever the input, the decoder must not crash; its events must keep the IR's rules
// (as in tests/fuzz/llm_stream: one kMessageStart first, nothing of a choice after its kFinish,
// argument pieces only for a started tool call, kMessageStop only last); and when it accepts a
// whole stream, every tool call's arguments add up to whole JSON.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse/parser.h"
#include "providers/cohere/stream_decoder.h"

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
  bool finished = false;
  std::set<uint32_t> tools;
  std::map<uint32_t, std::string> arguments;

  void check(const StreamEvent& e) {
    require(!stopped);
    switch (e.kind) {
      case StreamEventKind::kMessageStart:
        require(!started);
        started = true;
        break;
      case StreamEventKind::kToolCallStart:
        require(started && !finished && tools.insert(e.tool).second);
        break;
      case StreamEventKind::kToolArgumentsDelta:
        require(!finished && tools.contains(e.tool));
        arguments[e.tool].append(e.text);
        break;
      case StreamEventKind::kFinish:
        require(started && !finished);
        finished = true;
        break;
      case StreamEventKind::kMessageStop:
        require(started && finished);
        stopped = true;
        break;
      case StreamEventKind::kUsage:
      case StreamEventKind::kError:
        break;
      default:  // text, reasoning, block stops
        require(started && !finished);
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  nexus::sse::Parser parser(1 << 16);
  nexus::providers::cohere::StreamDecoder decoder;
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
  const bool whole = decoder.finish(events).has_value();
  for (const StreamEvent& e : events) {
    rules.check(e);
  }
  if (whole && rules.stopped) {
    for (const auto& [tool, text] : rules.arguments) {
      boost::system::error_code ec;
      boost::json::parse(text, ec);
      require(!ec);
    }
  }
  return 0;
}

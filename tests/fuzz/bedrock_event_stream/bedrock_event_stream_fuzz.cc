// libFuzzer target: bytes as a Bedrock ConverseStream body, through event_stream::Parser and
// bedrock::StreamDecoder. Whatever the input, neither may crash or overread; the parser must
// find the same messages whether the bytes come whole or split in two (the split taken from the
// first byte); and the decoder's events must keep the IR's rules: one kMessageStart first,
// nothing after kFinish but usage, argument pieces only for a started tool call, kMessageStop
// only last.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "providers/bedrock/event_stream.h"
#include "providers/bedrock/stream_decoder.h"

namespace {

using nexus::llm::StreamEvent;
using nexus::llm::StreamEventKind;
using nexus::providers::bedrock::StreamDecoder;
using nexus::providers::bedrock::event_stream::Message;
using nexus::providers::bedrock::event_stream::Parser;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

struct Rules {
  bool started = false;
  bool finished = false;
  bool stopped = false;
  std::set<uint32_t> tools;

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
      default:
        require(started && !finished);
        break;
    }
  }
};

// The messages' payloads and event types, parsing `input` in two pieces split at `cut`.
std::vector<std::string> parse(std::string_view input, size_t cut, bool& ok) {
  Parser parser(1 << 16);
  std::vector<std::string> seen;
  ok = true;
  for (std::string_view piece : {input.substr(0, cut), input.substr(cut)}) {
    Message message;
    for (;;) {
      auto step = parser.next(piece, message);
      if (!step) {
        ok = false;
        return seen;
      }
      if (*step == Parser::Step::kNeedMore) {
        break;
      }
      std::string text(message.event_type);
      text += '|';
      text += message.payload;
      seen.push_back(std::move(text));
    }
  }
  ok = parser.finish().has_value();
  return seen;
}

void decode(std::string_view input) {
  Parser parser(1 << 16);
  StreamDecoder decoder;
  std::vector<StreamEvent> events;
  Rules rules;
  Message message;
  for (;;) {
    auto step = parser.next(input, message);
    if (!step || *step == Parser::Step::kNeedMore) {
      break;
    }
    const bool ok = decoder.decode(message, events).has_value();
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
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  bool whole_ok = false;
  bool split_ok = false;
  const std::vector<std::string> whole = parse(input, size, whole_ok);
  const std::vector<std::string> split = parse(input, cut, split_ok);
  require(whole_ok == split_ok && whole == split);
  decode(input);
  return 0;
}

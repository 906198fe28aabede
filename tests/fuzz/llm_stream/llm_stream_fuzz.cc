// libFuzzer target: bytes as an upstream's event stream, through llm::UpstreamStreamDecoder for
// every wire API (its framing, server-sent events or Bedrock's binary event stream, and its
// decoder). Whatever the input, nothing may crash, and the events must keep the IR's rules
// (tests/fuzz/stream_rules.h).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../stream_rules.h"
#include "llm/codecs.h"

namespace {

using nexus::llm::Wire;

void run(Wire wire, std::string_view input) {
  nexus::llm::UpstreamStreamDecoder decoder(wire);
  std::vector<nexus::llm::StreamEvent> events;
  nexus::fuzz::StreamRules rules;
  for (;;) {
    events.clear();
    auto step = decoder.next(input, events);
    for (const auto& e : events) {
      rules.check(e);
    }
    if (!step) {
      return;
    }
    if (*step == nexus::llm::UpstreamStreamDecoder::Step::kNeedMore) {
      break;
    }
  }
  events.clear();
  const bool complete = decoder.finish(events).has_value();
  for (const auto& e : events) {
    rules.check(e);
  }
  if (complete) {
    rules.check_complete();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const Wire wire :
       {Wire::kOpenAi, Wire::kAnthropic, Wire::kGemini, Wire::kCohere, Wire::kBedrock}) {
    run(wire, input);
  }
  return 0;
}

// libFuzzer target: bytes as a Bedrock ConverseStream body, through event_stream::Parser.
// Whatever the input, it must not crash or overread, and it must find the same messages whether
// the bytes come whole or split in two (the split taken from the first byte). The decoder behind
// it is fuzzed with the others in tests/fuzz/llm_stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../stream_rules.h"
#include "providers/bedrock/event_stream.h"

namespace {

using nexus::fuzz::require;
using nexus::providers::bedrock::event_stream::Message;
using nexus::providers::bedrock::event_stream::Parser;

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  bool whole_ok = false;
  bool split_ok = false;
  const std::vector<std::string> whole = parse(input, size, whole_ok);
  const std::vector<std::string> split = parse(input, cut, split_ok);
  require(whole_ok == split_ok && whole == split);
  return 0;
}

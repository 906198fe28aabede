// libFuzzer target: a byte stream through sse::Parser whole, then split into three pieces at
// data-derived points, then byte by byte: the events and the end verdict must be identical, and
// every event has a type.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse/parser.h"

namespace {

struct Outcome {
  std::vector<std::string> events;  // type, data and id joined with NULs
  bool failed = false;
  bool clean_end = false;
  bool operator==(const Outcome&) const = default;
};

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

Outcome run(const std::vector<std::string_view>& pieces) {
  nexus::sse::Parser parser(4096);  // small, so that the limit is reached too
  Outcome out;
  for (std::string_view input : pieces) {
    for (;;) {
      nexus::sse::Event event;
      auto step = parser.next(input, event);
      if (!step) {
        out.failed = true;
        return out;
      }
      if (*step == nexus::sse::Parser::Step::kNeedMore) {
        require(input.empty());
        break;
      }
      require(!event.type.empty());
      std::string joined(event.type);
      joined += '\0';
      joined += event.data;
      joined += '\0';
      joined += event.id;
      out.events.push_back(std::move(joined));
    }
  }
  out.clean_end = parser.finish().has_value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) {
    h = (h ^ data[i]) * 16777619u;
  }
  const Outcome whole = run({all});
  const size_t a = size == 0 ? 0 : h % (size + 1);
  const size_t b = a + (size == 0 ? 0 : (h >> 16) % (size - a + 1));
  const Outcome split = run({all.substr(0, a), all.substr(a, b - a), all.substr(b)});
  // Even an over-limit event fails on the same line whatever the split (a partial line is
  // checked as it grows, and it only grows).
  require(split == whole);
  if (size <= 512) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < size; ++i) {
      bytes.push_back(all.substr(i, 1));
    }
    require(run(bytes) == whole);
  }
  return 0;
}

// libFuzzer target: bytes as a traceparent and as a tracestate header (obs/tracing/
// trace_context.h), the two values every traced request reads from the client. Neither parser
// may crash; an accepted traceparent has valid ids and formats back to itself (version 00), and
// an accepted tracestate is a bounded prefix of the input that is itself accepted unchanged.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "obs/tracing/trace_context.h"

namespace tracing = nexus::obs::tracing;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto parent = tracing::parse_traceparent(text)) {
    if (!parent->trace_id.valid() || parent->parent_id == 0) {
      __builtin_trap();
    }
    std::array<char, tracing::kTraceparentSize> out{};
    tracing::format_traceparent(parent->trace_id, parent->parent_id, parent->flags, out);
    const std::string_view formatted(out.data(), out.size());
    const auto again = tracing::parse_traceparent(formatted);
    if (!again || again->trace_id != parent->trace_id || again->parent_id != parent->parent_id ||
        again->flags != parent->flags) {
      __builtin_trap();
    }
    if (parent->version == 0 && formatted != text) {
      __builtin_trap();
    }
  }
  if (const auto state = tracing::parse_tracestate(text)) {
    const bool prefix =
        state->data() >= text.data() && state->data() + state->size() <= text.data() + text.size();
    if (state->empty() || !prefix || state->size() > tracing::kMaxTracestateSize) {
      __builtin_trap();
    }
    const auto again = tracing::parse_tracestate(*state);
    if (!again || *again != *state) {
      __builtin_trap();
    }
  }
  return 0;
}

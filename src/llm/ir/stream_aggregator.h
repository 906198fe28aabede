// Adds a decoded stream's events up to the Response they describe: for a client that asked for
// a whole response from a streamed upstream, and for the tests' invariant that a stream, added
// up, says what the provider's non-streamed response says.
#pragma once

#include <cstdint>

#include "llm/ir/response.h"
#include "llm/ir/stream.h"

namespace nexus::llm {

class StreamAggregator {
 public:
  // Takes one event (its views are copied). Events of a tool call that never started are
  // dropped: decoders do not emit them.
  void add(const StreamEvent& event);
  [[nodiscard]] const Response& response() const { return response_; }

 private:
  Choice& choice(uint32_t index);

  Response response_;
};

}  // namespace nexus::llm

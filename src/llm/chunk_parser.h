// Parses one small JSON document after another (the chunks of a provider's stream) without a
// heap allocation per chunk: a chunk's values live in a buffer that is reused for the next one,
// and the parser keeps its working stack. At a few hundred bytes per token, this is most of what
// translating a stream costs (bench/micro/llm_stream_bench.cc).
#pragma once

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string_view>

namespace nexus::llm {

class ChunkParser {
 public:
  // Parses `text`; the value (null after an error) stays valid until the next call.
  const boost::json::value& parse(std::string_view text, boost::system::error_code& ec) {
    State& state = *state_;
    state.value = nullptr;  // keeps its storage: the next assignment is a move, not a copy
    state.memory.release();
    state.parser.reset(boost::json::storage_ptr(&state.memory));
    state.parser.write(text, ec);
    if (!ec) {
      state.value = state.parser.release();
    }
    return state.value;
  }

 private:
  // On the heap: neither is movable, and the decoders that hold a ChunkParser are.
  // The first 8 KiB of a chunk's values come from `buffer` (a chunk is a few hundred bytes),
  // more from the heap until the next release().
  struct State {
    std::array<unsigned char, 8192> buffer{};
    boost::json::monotonic_resource memory{buffer.data(), buffer.size()};
    boost::json::parser parser;
    boost::json::value value = boost::json::value(boost::json::storage_ptr(&memory));
  };
  std::unique_ptr<State> state_ = std::make_unique<State>();
};

}  // namespace nexus::llm

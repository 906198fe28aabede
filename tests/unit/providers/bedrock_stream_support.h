// Shared by the Bedrock tests: AWS event-stream messages written (to re-frame the .chunks.txt
// recordings, and to build broken streams), recorded streams as bytes, and a whole stream run
// through event_stream::Parser and the StreamDecoder, fed in pieces of a given size.
#pragma once

#include <zlib.h>

#include <boost/json.hpp>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/bedrock/event_stream.h"
#include "providers/bedrock/stream_decoder.h"
#include "stream_test_support.h"

namespace nexus::providers::bedrock::testing {

using nexus::providers::testing::Decoded;

inline void append_u32(uint32_t value, std::string& out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((value >> shift) & 0xFF);
  }
}

inline uint32_t crc_of(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

// A string header (type 7).
inline void append_string_header(std::string_view name, std::string_view value,
                                 std::string& headers) {
  headers += static_cast<char>(name.size());
  headers += name;
  headers += static_cast<char>(7);
  headers += static_cast<char>((value.size() >> 8) & 0xFF);
  headers += static_cast<char>(value.size() & 0xFF);
  headers += value;
}

// One message around already-encoded `headers` and `payload`, with correct CRCs.
inline std::string frame(std::string_view headers, std::string_view payload) {
  std::string out;
  append_u32(static_cast<uint32_t>(12 + headers.size() + payload.size() + 4), out);
  append_u32(static_cast<uint32_t>(headers.size()), out);
  append_u32(crc_of(out), out);
  out += headers;
  out += payload;
  append_u32(crc_of(out), out);
  return out;
}

inline std::string event_message(std::string_view type, std::string_view payload) {
  std::string headers;
  append_string_header(":event-type", type, headers);
  append_string_header(":content-type", "application/json", headers);
  append_string_header(":message-type", "event", headers);
  return frame(headers, payload);
}

inline std::string exception_message(std::string_view type, std::string_view payload) {
  std::string headers;
  append_string_header(":exception-type", type, headers);
  append_string_header(":content-type", "application/json", headers);
  append_string_header(":message-type", "exception", headers);
  return frame(headers, payload);
}

// A recorded stream as the bytes Bedrock sends: .eventstream as it is; .chunks.txt (one decoded
// event {"<eventType>": {...}} per line) encoded as the fixtures' README says.
inline std::string recorded_bytes(const std::string& name) {
  std::string text = providers::testing::fixture(name);
  if (!name.ends_with(".chunks.txt")) {
    return text;
  }
  std::istringstream lines(text);
  std::string bytes;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      continue;
    }
    const boost::json::object event = boost::json::parse(line).as_object();
    EXPECT_EQ(event.size(), 1u) << line;
    bytes += event_message(event.begin()->key(), boost::json::serialize(event.begin()->value()));
  }
  return bytes;
}

// Runs `bytes` through the parser and the decoder, `piece` bytes at a time.
inline Decoded decode_bytes(std::string_view bytes, size_t piece = std::string_view::npos) {
  event_stream::Parser parser;
  StreamDecoder decoder;
  Decoded out;
  std::vector<llm::StreamEvent> events;
  const auto keep = [&] {
    for (const auto& e : events) {
      out.events.push_back({e.kind, e.choice, e.tool, std::string(e.text), std::string(e.id),
                            std::string(e.name), e.finish, e.usage});
    }
    events.clear();
  };
  while (!bytes.empty()) {
    std::string_view input = bytes.substr(0, piece);
    bytes.remove_prefix(input.size());
    event_stream::Message message;
    for (;;) {
      auto step = parser.next(input, message);
      if (!step) {
        out.error = step.error().message();
        return out;
      }
      if (*step == event_stream::Parser::Step::kNeedMore) {
        break;
      }
      auto decoded = decoder.decode(message, events);
      keep();
      if (!decoded) {
        out.error = decoded.error().message();
        return out;
      }
    }
  }
  if (auto ended = parser.finish(); !ended) {
    out.error = ended.error().message();
    return out;
  }
  auto finished = decoder.finish(events);
  keep();
  if (!finished) {
    out.error = finished.error().message();
  }
  return out;
}

inline const std::vector<std::string> kBedrockStreams = {
    "bedrock/ddtrace__bedrock_converse_stream.eventstream",
    "bedrock/pydantic__test_bedrock_model_code_execution_tool_stream.eventstream",
    "bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream",
    "bedrock/vercel__amazon-bedrock-text.chunks.txt",
    "bedrock/vercel__amazon-bedrock-reasoning.chunks.txt",
};

}  // namespace nexus::providers::bedrock::testing

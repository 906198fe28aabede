// The AWS event-stream parser on the recorded Bedrock streams (whole, split at every offset,
// byte by byte), on every header type, and on broken input: CRCs, lengths, truncation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bedrock_stream_support.h"
#include "providers/bedrock/event_stream.h"

namespace nexus::providers::bedrock::event_stream {
namespace {

using testing::append_u32;
using testing::crc_of;
using testing::frame;
using testing::recorded_bytes;

struct Seen {
  std::string event_type, message_type, exception_type, content_type, payload;
  bool operator==(const Seen&) const = default;
};

struct Parsed {
  std::vector<Seen> messages;
  std::string error;
};

// Feeds `bytes` in pieces ending at the offsets in `cuts`.
Parsed parse(std::string_view bytes, const std::vector<size_t>& cuts = {}) {
  Parser parser;
  Parsed out;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (const size_t end : ends) {
    std::string_view input = bytes.substr(from, end - from);
    from = end;
    Message message;
    for (;;) {
      auto step = parser.next(input, message);
      if (!step) {
        out.error = step.error().message();
        return out;
      }
      if (*step == Parser::Step::kNeedMore) {
        EXPECT_TRUE(input.empty());
        break;
      }
      out.messages.push_back({std::string(message.event_type), std::string(message.message_type),
                              std::string(message.exception_type),
                              std::string(message.content_type), std::string(message.payload)});
    }
  }
  if (auto finished = parser.finish(); !finished) {
    out.error = finished.error().message();
  }
  return out;
}

const std::vector<std::string> kRecorded = {
    "bedrock/ddtrace__bedrock_converse_stream.eventstream",
    "bedrock/pydantic__test_bedrock_model_code_execution_tool_stream.eventstream",
    "bedrock/pydantic__test_bedrock_model_thinking_part_stream.eventstream",
};

TEST(BedrockEventStream, RecordedStreamsParseWhole) {
  const Parsed ddtrace = parse(recorded_bytes(kRecorded[0]));
  ASSERT_EQ(ddtrace.error, "");
  ASSERT_EQ(ddtrace.messages.size(), 32u);
  EXPECT_EQ(ddtrace.messages[0].event_type, "messageStart");
  EXPECT_EQ(ddtrace.messages[0].message_type, "event");
  EXPECT_EQ(ddtrace.messages[0].content_type, "application/json");
  EXPECT_EQ(ddtrace.messages[0].payload,
            R"({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","role":"assistant"})");
  EXPECT_EQ(ddtrace.messages.back().event_type, "metadata");
  EXPECT_EQ(parse(recorded_bytes(kRecorded[1])).messages.size(), 12u);
  EXPECT_EQ(parse(recorded_bytes(kRecorded[2])).messages.size(), 25u);
}

TEST(BedrockEventStream, EverySplitGivesTheSameMessages) {
  for (const std::string& name : kRecorded) {
    SCOPED_TRACE(name);
    const std::string bytes = recorded_bytes(name);
    const Parsed whole = parse(bytes);
    ASSERT_EQ(whole.error, "");
    for (size_t cut = 0; cut <= bytes.size(); ++cut) {
      const Parsed split = parse(bytes, {cut});
      ASSERT_EQ(split.error, "") << cut;
      ASSERT_EQ(split.messages, whole.messages) << cut;
    }
    std::vector<size_t> every_byte;
    for (size_t cut = 1; cut < bytes.size(); ++cut) {
      every_byte.push_back(cut);
    }
    EXPECT_EQ(parse(bytes, every_byte).messages, whole.messages);
  }
}

// Every header type is parsed or skipped by its size; the string headers are read.
TEST(BedrockEventStream, EveryHeaderType) {
  std::string headers;
  const auto name = [&](std::string_view text, char type) {
    headers += static_cast<char>(text.size());
    headers += text;
    headers += type;
  };
  name("t", 0);
  name("f", 1);
  name("b", 2);
  headers += 'x';
  name("s", 3);
  headers += std::string(2, 'x');
  name("i", 4);
  headers += std::string(4, 'x');
  name("l", 5);
  headers += std::string(8, 'x');
  name("bytes", 6);
  headers += std::string("\0\3abc", 5);
  name("ts", 8);
  headers += std::string(8, 'x');
  name("uuid", 9);
  headers += std::string(16, 'x');
  testing::append_string_header(":exception-type", "throttlingException", headers);
  testing::append_string_header(":message-type", "exception", headers);
  const Parsed parsed = parse(frame(headers, R"({"message":"slow down"})"));
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.messages.size(), 1u);
  EXPECT_EQ(parsed.messages[0].exception_type, "throttlingException");
  EXPECT_EQ(parsed.messages[0].message_type, "exception");
  EXPECT_EQ(parsed.messages[0].payload, R"({"message":"slow down"})");
}

TEST(BedrockEventStream, CorruptCrcsAreErrors) {
  const std::string good = testing::event_message("messageStart", R"({"role":"assistant"})");
  std::string prelude = good;
  prelude[8] = static_cast<char>(prelude[8] ^ 1);
  EXPECT_NE(parse(prelude).error.find("prelude CRC"), std::string::npos);
  std::string body = good;
  body[good.size() - 10] = static_cast<char>(body[good.size() - 10] ^ 1);
  EXPECT_NE(parse(body).error.find("message CRC"), std::string::npos);
  // Also when the message arrives in pieces.
  EXPECT_NE(parse(body, {5, 20}).error.find("message CRC"), std::string::npos);
  // A good message after a bad one is not read: the parser stays failed.
  EXPECT_TRUE(parse(body + good).messages.empty());
}

TEST(BedrockEventStream, TruncatedStreamIsAnErrorAtFinish) {
  const std::string bytes = recorded_bytes(kRecorded[0]);
  for (const size_t end : {size_t{1}, size_t{11}, size_t{12}, size_t{100}, bytes.size() - 1}) {
    const Parsed parsed = parse(bytes.substr(0, end));
    EXPECT_NE(parsed.error.find("inside a message"), std::string::npos) << end;
  }
  EXPECT_EQ(parse("").error, "");
}

std::string prelude(uint32_t total, uint32_t headers) {
  std::string out;
  append_u32(total, out);
  append_u32(headers, out);
  append_u32(crc_of(out), out);
  return out;
}

// Lengths are checked from the prelude, before any byte of the message is awaited.
TEST(BedrockEventStream, AbsurdLengthsAreErrors) {
  EXPECT_NE(parse(prelude(0xFFFFFFFF, 0)).error.find("size limit"), std::string::npos);
  EXPECT_NE(parse(prelude(15, 0)).error.find("impossible length"), std::string::npos);
  EXPECT_NE(parse(prelude(0, 0)).error.find("impossible length"), std::string::npos);
  EXPECT_NE(parse(prelude(20, 5)).error.find("impossible length"), std::string::npos);
  Parser small(64);
  std::string_view input = "";
  const std::string big = prelude(65, 0);
  input = big;
  Message message;
  EXPECT_FALSE(small.next(input, message).has_value());
}

TEST(BedrockEventStream, MalformedHeadersAreErrors) {
  std::string unknown_type = "\1x";
  unknown_type += static_cast<char>(10);
  EXPECT_NE(parse(frame(unknown_type, "{}")).error.find("unknown type"), std::string::npos);
  std::string overrun = "\1x";
  overrun += static_cast<char>(7);
  overrun += std::string("\0\x50", 2);
  EXPECT_NE(parse(frame(overrun, "{}")).error.find("overruns"), std::string::npos);
  EXPECT_NE(parse(frame(std::string("\0", 1), "{}")).error.find("header name"), std::string::npos);
  EXPECT_NE(parse(frame("\5ab", "{}")).error.find("header name"), std::string::npos);
}

TEST(BedrockEventStream, AnEmptyMessageIsValid) {
  const Parsed parsed = parse(frame("", ""));
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.messages.size(), 1u);
  EXPECT_EQ(parsed.messages[0].payload, "");
}

}  // namespace
}  // namespace nexus::providers::bedrock::event_stream

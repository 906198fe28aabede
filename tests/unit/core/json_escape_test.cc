#include "core/json_escape.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

namespace nexus {
namespace {

std::string escaped(std::string_view text) {
  std::string out = "prefix:";
  append_json_escaped(out, text);
  return out;
}

TEST(JsonEscape, PlainTextIsCopiedAfterWhatIsThere) {
  EXPECT_EQ(escaped(""), "prefix:");
  EXPECT_EQ(escaped("/v1/chat/completions?x=1"), "prefix:/v1/chat/completions?x=1");
}

TEST(JsonEscape, QuotesBackslashesAndControlsAreEscapedWhereverTheyAre) {
  EXPECT_EQ(escaped("\"a\\b\""), R"(prefix:\"a\\b\")");
  EXPECT_EQ(escaped("x\ny\rz\t"), R"(prefix:x\ny\rz\t)");
  EXPECT_EQ(escaped(std::string("\x01mid\x1f\x7f", 6)), R"(prefix:\u0001mid\u001f\u007f)");
}

TEST(JsonEscape, Utf8PassesThrough) { EXPECT_EQ(escaped("é 日本"), "prefix:é 日本"); }

TEST(JsonEscape, EveryByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int byte = 0; byte < 0x80; ++byte) {
    all.push_back(static_cast<char>(byte));
  }
  std::string literal = "\"";
  append_json_escaped(literal, all);
  literal += '"';
  EXPECT_EQ(boost::json::parse(literal).as_string(), all);
}

// The scan tests 8 bytes at a time: every byte value, at every position of the words and of the
// tail, must be found (or passed through) exactly as a byte-by-byte escape would.
TEST(JsonEscape, EveryByteAtEveryPositionMatchesAByteWiseEscape) {
  const auto reference = [](std::string_view text) {
    std::string out;
    for (const char c : text) {
      out += escaped(std::string_view(&c, 1)).substr(std::string_view("prefix:").size());
    }
    return out;
  };
  for (size_t position = 0; position < 19; ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text(19, 'a');
      text[position] = static_cast<char>(byte);
      std::string out;
      append_json_escaped(out, text);
      ASSERT_EQ(out, reference(text)) << "byte " << byte << " at " << position;
    }
  }
}

}  // namespace
}  // namespace nexus

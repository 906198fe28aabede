// ChunkParser: one document after another in a reused buffer, including documents larger than
// the buffer (their values spill to the heap, which the next parse gives back).
#include "llm/chunk_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace nexus::llm {
namespace {

std::string big_document(size_t strings) {
  std::string text = R"({"parts":[)";
  for (size_t i = 0; i < strings; ++i) {
    text += i == 0 ? "\"" : ",\"";
    text += std::string(100, static_cast<char>('a' + (i % 26)));
    text += '"';
  }
  text += "]}";
  return text;
}

TEST(ChunkParser, EachDocumentReplacesThePrevious) {
  ChunkParser parser;
  boost::system::error_code ec;
  for (int round = 0; round < 3; ++round) {
    // Small, larger than the 8 KiB buffer (the heap is used), small again.
    const boost::json::value& small = parser.parse(R"({"n":1,"s":"x"})", ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(small.at("s").as_string(), "x");
    const std::string text = big_document(500);  // about 50 KB of strings
    const boost::json::value& big = parser.parse(text, ec);
    ASSERT_FALSE(ec);
    const boost::json::array& parts = big.at("parts").as_array();
    ASSERT_EQ(parts.size(), 500U);
    EXPECT_EQ(parts[499].as_string(), std::string(100, static_cast<char>('a' + (499 % 26))));
    const boost::json::value& after = parser.parse(R"({"n":2})", ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(after.at("n").as_int64(), 2);
  }
}

TEST(ChunkParser, AnErrorLeavesNull) {
  ChunkParser parser;
  boost::system::error_code ec;
  EXPECT_TRUE(parser.parse(R"({"ok":true})", ec).is_object());
  const boost::json::value& broken = parser.parse(R"({"ok":)", ec);
  EXPECT_TRUE(ec);
  EXPECT_TRUE(broken.is_null());
  ec = {};
  EXPECT_TRUE(parser.parse(R"({"ok":true} trailing)", ec).is_null());
  EXPECT_TRUE(ec);
  ec = {};
  EXPECT_TRUE(parser.parse(R"([1,2])", ec).is_array());
  EXPECT_FALSE(ec);
}

TEST(ChunkParser, SurvivesBeingMoved) {  // decoders holding it are moved into a std::variant
  ChunkParser first;
  boost::system::error_code ec;
  EXPECT_TRUE(first.parse(R"({"a":1})", ec).is_object());
  ChunkParser moved = std::move(first);
  const boost::json::value& value = moved.parse(big_document(200), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(value.at("parts").as_array().size(), 200U);
}

}  // namespace
}  // namespace nexus::llm

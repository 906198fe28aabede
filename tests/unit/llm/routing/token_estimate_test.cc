// The prompt token estimate: on the high side of what BPE tokenizers count.
#include "llm/routing/token_estimate.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace nexus::llm::routing {
namespace {

uint64_t tokens_of(std::string_view text) {
  TokenTally tally;
  tally.add_text(text);
  return tally.tokens();
}

TEST(TokenTally, AsciiTextIsThreeBytesPerTokenRoundedUp) {
  EXPECT_EQ(tokens_of(""), 0U);
  EXPECT_EQ(tokens_of("a"), 1U);
  EXPECT_EQ(tokens_of("abc"), 1U);
  EXPECT_EQ(tokens_of("abcd"), 2U);
  // cl100k_base and o200k_base both make 10 tokens of this 44-byte sentence.
  EXPECT_GE(tokens_of("The quick brown fox jumps over the lazy dog."), 10U);
  EXPECT_EQ(tokens_of("The quick brown fox jumps over the lazy dog."), 15U);
}

TEST(TokenTally, EachCharacterOutsideAsciiIsAToken) {
  EXPECT_EQ(tokens_of("\xE4\xBD\xA0\xE5\xA5\xBD"), 2U);  // 你好: six bytes, two characters
  EXPECT_EQ(tokens_of("caf\xC3\xA9"), 2U);               // café: three ASCII bytes and é
  EXPECT_EQ(tokens_of("\xF0\x9F\x99\x82"), 1U);          // one emoji, four bytes
}

TEST(TokenTally, JsonCountsKeysStringsAndScalars) {
  TokenTally tally;
  tally.add_json(boost::json::parse(
      R"({"type":"object","properties":{"n":{"type":"integer","minimum":5}},"strict":true})"));
  // Text: type object properties n type integer minimum strict = 45 bytes -> 15 tokens;
  // whole tokens: 6 keys, the number and the boolean -> 8.
  EXPECT_EQ(tally.tokens(), 23U);
  TokenTally null_only;
  null_only.add_json(boost::json::value());
  EXPECT_EQ(null_only.tokens(), 0U);
}

TEST(TokenTally, MessagesAndMediaAddWholeTokens) {
  TokenTally tally;
  tally.add_message();
  tally.add_media();
  tally.add_text("ab");
  EXPECT_EQ(tally.tokens(), TokenTally::kTokensPerMessage + TokenTally::kTokensPerMedia + 1);
}

}  // namespace
}  // namespace nexus::llm::routing

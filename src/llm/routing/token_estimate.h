// A conservative count of the tokens a prompt makes, without a tokenizer. Used before the call
// (token-per-minute limits, context-window fit); the provider's reported usage corrects it after.
//
// BPE vocabularies (OpenAI's o200k and cl100k, Anthropic's, Gemini's, Llama's) make about four
// bytes of English per token and three of code; a character outside ASCII (CJK, Cyrillic, accents)
// is rarely merged with its neighbours. So: one token per three ASCII bytes, one per other
// character, and a few per message for the role and separators the chat template adds (OpenAI
// documents three, plus three to prime the reply). Over-counting is the safe side for a limit.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string_view>

namespace nexus::llm::routing {

class TokenTally {
 public:
  static constexpr uint64_t kAsciiBytesPerToken = 3;
  static constexpr uint64_t kTokensPerMessage = 4;
  // An image as the providers count it: Anthropic about 1,600 for a full-size one, OpenAI 765
  // for a high-detail tile set, Gemini 258 per tile.
  static constexpr uint64_t kTokensPerMedia = 1600;

  void add_text(std::string_view text);
  // Keys, strings and scalars of a JSON value (a tool's parameter schema): every key and
  // scalar is at least one token.
  void add_json(const boost::json::value& value);
  void add_message() { counted_ += kTokensPerMessage; }
  void add_media() { counted_ += kTokensPerMedia; }

  [[nodiscard]] uint64_t tokens() const;

 private:
  uint64_t ascii_bytes_ = 0;
  uint64_t other_characters_ = 0;
  uint64_t counted_ = 0;  // tokens counted whole: framing, keys, scalars, media
};

}  // namespace nexus::llm::routing

// libFuzzer target: bytes as a service account's key file (providers/vertex/service_account.h)
// and as a token endpoint's answer (llm/oauth_token.h), the two parsers the OAuth flows read
// untrusted text with. Neither may crash; an accepted key has every field set, and an accepted
// answer a token that can go into a header and a lifetime within the bounds.
#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llm/oauth_token.h"
#include "providers/vertex/service_account.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto key = nexus::providers::vertex::parse_service_account_key(text);
  if (key && (key->client_email.empty() || key->private_key.empty() ||
              key->private_key_id.empty() || key->token_uri.empty())) {
    __builtin_trap();
  }
  if (ERR_peek_error() != 0) {
    __builtin_trap();  // the key parser leaves OpenSSL's per-thread error queue clean
  }
  const int status = size > 0 && (data[0] & 1) != 0 ? 200 : 400;
  const auto token = nexus::llm::parse_token_answer(status, text);
  if (token) {
    const bool printable = std::ranges::all_of(
        token->value, [](char c) { return std::isgraph(static_cast<unsigned char>(c)) != 0; });
    if (status != 200 || token->value.empty() || !printable ||
        token->lifetime < std::chrono::seconds(1) ||
        token->lifetime > nexus::llm::kMaxTokenLifetime) {
      __builtin_trap();
    }
  } else if (token.error().http_status() != 502) {
    __builtin_trap();
  }
  return 0;
}

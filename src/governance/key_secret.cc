#include "governance/key_secret.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "core/encoding.h"

namespace nexus::governance {
namespace {

constexpr size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string random_bytes(size_t count) {
  std::string bytes(count, '\0');
  // Failing here means the process has no entropy source: nothing safe can be made. Only the
  // control plane (admin API, CLI) makes secrets, never a request.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return bytes;
}

}  // namespace

std::string generate_key_secret() {
  std::string out(kKeyPrefix);
  out += base64url_encode(random_bytes(32));
  return out;
}

std::string generate_id(std::string_view kind) {
  constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out(kind);
  out += '_';
  for (const char byte : random_bytes(16)) {
    out += kBase32[static_cast<unsigned char>(byte) & 31U];
  }
  return out;
}

std::string hash_key_secret(std::string_view pepper, std::string_view secret) {
  std::string input(pepper);
  input += secret;
  const Sha256 digest = sha256(input);
  return to_hex(digest.data(), digest.size());
}

std::string_view key_display_prefix(std::string_view secret) {
  return secret.substr(0, kShownPrefixLength);
}

bool looks_like_key_secret(std::string_view text) {
  if (!text.starts_with(kKeyPrefix) || text.size() != kKeyPrefix.size() + kSecretChars) {
    return false;
  }
  text.remove_prefix(kKeyPrefix.size());
  return std::ranges::all_of(text,
                             [](char c) { return kBase64Url.find(c) != std::string_view::npos; });
}

}  // namespace nexus::governance

// Static credentials: API keys and HTTP Basic users. The config holds only hashes; a presented
// secret is hashed and compared in constant time (CRYPTO_memcmp), and every configured key is
// compared so that the time taken does not tell which one (or whether one) matched.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"

namespace nexus::filters::auth {

struct ApiKey {
  std::string name;  // the identity's subject
  std::string id;    // optional, the identity's key id
  Sha256 hash{};     // SHA-256 of the key
};

struct KeyMatch {
  const ApiKey* key = nullptr;  // null: no key matched
  size_t compared = 0;          // how many hashes were compared (all of them, always)
};

// The configured key whose hash equals SHA-256(`presented`).
KeyMatch find_api_key(const std::vector<ApiKey>& keys, std::string_view presented);

// A stored password hash: "sha256:<64 hex>" or
// "pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>" (PKCS5_PBKDF2_HMAC with SHA-256).
struct PasswordHash {
  enum class Scheme { kSha256, kPbkdf2Sha256 };
  Scheme scheme = Scheme::kSha256;
  int iterations = 0;
  std::string salt;
  std::string hash;  // raw bytes
};

// nullopt with `error` set when `text` is not one of the forms above.
std::optional<PasswordHash> parse_password_hash(std::string_view text, std::string& error);
bool verify_password(const PasswordHash& stored, std::string_view password);

struct BasicUser {
  std::string name;
  PasswordHash password;
};

// The user named in `credentials` (the base64 text after "Basic ") whose password matches, or
// null. An unknown user still costs one password check, so that timing does not reveal which
// user names exist.
const BasicUser* check_basic(const std::vector<BasicUser>& users, std::string_view credentials);

}  // namespace nexus::filters::auth

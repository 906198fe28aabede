// Virtual key secrets: how they are made, shown and stored.
//
// A secret is "nx-" followed by 43 base64url characters (32 random bytes from OpenSSL's CSPRNG).
// Only hex(SHA-256(pepper || secret)) is stored: the pepper, kept outside the database, means a
// leaked database alone cannot be used to test guesses. 256 random bits need no slow hash.
#pragma once

#include <string>
#include <string_view>

namespace nexus::governance {

inline constexpr std::string_view kKeyPrefix = "nx-";
inline constexpr size_t kShownPrefixLength = 12;  // "nx-" and 9 characters: identifies a key

// A new secret (shown to its owner once).
std::string generate_key_secret();
// A random id for a stored object: `kind` + "_" + 16 base32 characters ("key_...", "team_...").
std::string generate_id(std::string_view kind);
// What is stored and looked up: hex(SHA-256(pepper || secret)).
std::string hash_key_secret(std::string_view pepper, std::string_view secret);
// The part of a secret that may be shown in lists and logs.
std::string_view key_display_prefix(std::string_view secret);
// Whether `text` has the shape of a virtual key secret (the prefix and 43 base64url characters).
bool looks_like_key_secret(std::string_view text);

}  // namespace nexus::governance

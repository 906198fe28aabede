// Small codecs around OpenSSL (the auth filter, provider signatures, virtual keys): base64
// (standard for Basic credentials and PBKDF2 salts, base64url without padding for JWTs, JWKs and
// key secrets), hex, and SHA-256.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nexus {

using Sha256 = std::array<unsigned char, 32>;

// Standard base64 (RFC 4648 section 4) with padding; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);
// base64url (RFC 4648 section 5) without padding, as JOSE uses it; nullopt on padding or any
// character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

// 64 hex digits (either case) into 32 bytes; nullopt otherwise.
std::optional<Sha256> sha256_from_hex(std::string_view hex);
Sha256 sha256(std::string_view bytes);
std::string to_hex(const unsigned char* bytes, size_t size);

// Constant-time equality of two equally long byte strings (CRYPTO_memcmp); false when the
// lengths differ (lengths are not secret here: they are fixed by the hash or algorithm).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace nexus

// Verification keys for JWTs: an HMAC secret or an OpenSSL public key, from a JWK (RFC 7517/7518:
// kty RSA n/e, EC P-256 x/y, OKP Ed25519 x, oct k), a PEM file or the config's inline secret.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nexus/core/result.h"

namespace nexus::filters::auth {

// The kind of a key decides the one JWS algorithm it can verify, so that a token can never pick
// how its key is used (an RSA public key is never taken as an HMAC secret).
enum class KeyKind { kHmac, kRsa, kEcP256, kEd25519 };

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct VerifyKey {
  KeyKind kind = KeyKind::kHmac;
  std::string kid;     // empty: a configured key, a candidate whatever the token's kid
  std::string alg;     // the JWK's "alg" when given: the only algorithm it may verify
  std::string secret;  // kHmac
  PkeyPtr pkey;        // the others; only read after loading, so shared by worker threads
};

using KeyList = std::vector<std::shared_ptr<const VerifyKey>>;

// The algorithm ("HS256", "RS256", "ES256", "EdDSA") that a key of `kind` verifies.
std::string_view algorithm_of(KeyKind kind);

// Smallest accepted sizes: RFC 7518 3.2 (HS256 secret) and NIST's 2048-bit RSA floor.
inline constexpr size_t kMinHmacSecretBytes = 32;
inline constexpr int kMinRsaBits = 2048;

// One key of a JWK Set document. Keys of an unsupported type or curve are skipped (counted in
// `skipped`); a document with no usable key is an error.
struct KeySetParse {
  std::vector<std::shared_ptr<const VerifyKey>> keys;
  size_t skipped = 0;
};
Result<KeySetParse> parse_jwks(std::string_view json);

// A PEM "PUBLIC KEY" (RSA 2048+, EC P-256 or Ed25519).
Result<std::shared_ptr<const VerifyKey>> load_pem_public_key(std::string_view pem);

// Builds an Ed25519/RSA/EC key from its JWK members, for parse_jwks and the tests.
Result<VerifyKey> key_from_pkey(PkeyPtr pkey);

}  // namespace nexus::filters::auth

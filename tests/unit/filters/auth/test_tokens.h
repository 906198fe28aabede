// Test and benchmark support: generates keys with OpenSSL and signs JWTs with them, so that no
// private key is checked in. Header-only (used by the unit tests and bench/micro).
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/encoding.h"
#include "filters/auth/jwk.h"

namespace nexus::filters::auth::testing {

// RSA 2048, EC P-256 or Ed25519 (by the algorithm they sign).
inline PkeyPtr generate_key(std::string_view alg) {
  if (alg == "RS256") {
    return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  }
  if (alg == "ES256") {
    return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  }
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

inline std::string evp_sign(EVP_PKEY* key, bool digest, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t size = 0;
  EVP_DigestSignInit(ctx.get(), nullptr, digest ? EVP_sha256() : nullptr, nullptr, key);
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  EVP_DigestSign(ctx.get(), nullptr, &size, in, data.size());
  std::string sig(size, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size, in, data.size());
  sig.resize(size);
  return sig;
}

// DER ECDSA signature -> JOSE r||s.
inline std::string ecdsa_raw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, void (*)(ECDSA_SIG*)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), ECDSA_SIG_free);
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  return raw;
}

// The signature of `input` for `alg` ("HS256" uses `secret`, the others `key`).
inline std::string sign_input(std::string_view alg, EVP_PKEY* key, std::string_view secret,
                              std::string_view input) {
  if (alg == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
    return {reinterpret_cast<const char*>(mac), size};
  }
  if (alg == "ES256") {
    return ecdsa_raw(evp_sign(key, true, input));
  }
  return evp_sign(key, alg == "RS256", input);
}

// A compact JWS with the given header and payload JSON.
inline std::string make_token(std::string_view alg, EVP_PKEY* key, std::string_view secret,
                              std::string_view header_json, std::string_view payload_json) {
  std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  const std::string signature = sign_input(alg, key, secret, input);
  return input + "." + base64url_encode(signature);
}

inline std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<size_t>(size)};
}

inline std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return base64url_encode(bytes);
}

// The public JWK of `key` as JSON, with `kid`.
inline std::string public_jwk(std::string_view alg, EVP_PKEY* key, std::string_view kid) {
  const std::string kid_member = R"("kid":")" + std::string(kid) + "\",";
  if (alg == "RS256") {
    return "{" + kid_member + R"("kty":"RSA","n":")" + bn_param(key, OSSL_PKEY_PARAM_RSA_N) +
           R"(","e":")" + bn_param(key, OSSL_PKEY_PARAM_RSA_E) + "\"}";
  }
  if (alg == "ES256") {
    unsigned char point[65];
    size_t size = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point),
                                    &size);
    const std::string_view raw(reinterpret_cast<const char*>(point), size);
    return "{" + kid_member + R"("kty":"EC","crv":"P-256","x":")" +
           base64url_encode(raw.substr(1, 32)) + R"(","y":")" + base64url_encode(raw.substr(33)) +
           "\"}";
  }
  unsigned char raw[32];
  size_t size = sizeof(raw);
  EVP_PKEY_get_raw_public_key(key, raw, &size);
  return "{" + kid_member + R"("kty":"OKP","crv":"Ed25519","x":")" +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), size)) + "\"}";
}

}  // namespace nexus::filters::auth::testing

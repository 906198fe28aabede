// JWK Sets: every key type, kid selection, unusable keys skipped.
#include "filters/auth/jwk.h"

#include <gtest/gtest.h>

#include "filters/auth/jwt.h"
#include "test_tokens.h"

namespace nexus::filters::auth {
namespace {

namespace t = testing;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

TEST(AuthJwkTest, EveryKeyTypeVerifiesItsTokensAndKidSelectsTheKey) {
  JwtPolicy policy{.algorithms = {"RS256", "ES256", "EdDSA", "HS256"}, .require_exp = false};
  std::vector<std::pair<std::string, PkeyPtr>> pairs;
  std::string jwks = R"({"keys":[)";
  for (const std::string alg : {"RS256", "ES256", "EdDSA"}) {
    for (const std::string suffix : {"-1", "-2"}) {
      pairs.emplace_back(alg + suffix, t::generate_key(alg));
      jwks += t::public_jwk(alg, pairs.back().second.get(), alg + suffix);
      jwks += ",";
    }
  }
  const std::string secret = "an-oct-key-of-at-least-32-bytes!!";
  jwks += R"({"kty":"oct","kid":"hs","alg":"HS256","k":")";
  jwks += base64url_encode(secret);
  jwks += R"("},)";
  jwks += R"({"kty":"EC","crv":"P-384","kid":"skip1","x":"AA","y":"AA"},)";
  jwks += R"({"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}]})";
  auto parsed = parse_jwks(jwks);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->keys.size(), 7U);
  EXPECT_EQ(parsed->skipped, 2U);

  for (const auto& [kid, key] : pairs) {
    const std::string alg = kid.substr(0, kid.find('-'));
    const std::string header = R"({"alg":")" + alg + R"(","kid":")" + kid + "\"}";
    const std::string jwt = t::make_token(alg, key.get(), "", header, R"({"sub":"s"})");
    auto result = verify_jwt(jwt, policy, parsed->keys, kNow);
    ASSERT_TRUE(result.has_value()) << kid << ": " << result.error().message;
    EXPECT_EQ(result->kid, kid);
    // The other key of the same type, named by kid, does not verify it.
    std::string other = kid;
    other.back() = other.back() == '1' ? '2' : '1';
    const std::string wrong = t::make_token(
        alg, key.get(), "", R"({"alg":")" + alg + R"(","kid":")" + other + "\"}", R"({"sub":"s"})");
    EXPECT_EQ(verify_jwt(wrong, policy, parsed->keys, kNow).error().failure,
              JwtFailure::kSignature);
    const std::string unknown = t::make_token(
        alg, key.get(), "", R"({"alg":")" + alg + R"(","kid":"nope"})", R"({"sub":"s"})");
    EXPECT_EQ(verify_jwt(unknown, policy, parsed->keys, kNow).error().failure,
              JwtFailure::kUnknownKey);
  }
  const std::string hs =
      t::make_token("HS256", nullptr, secret, R"({"alg":"HS256","kid":"hs"})", R"({"sub":"s"})");
  EXPECT_TRUE(verify_jwt(hs, policy, parsed->keys, kNow).has_value());
}

TEST(AuthJwkTest, DocumentsWithoutUsableKeysAreErrors) {
  EXPECT_FALSE(parse_jwks("not json"));
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})"));
  EXPECT_FALSE(parse_jwks(R"({"keys":[]})"));
  EXPECT_FALSE(parse_jwks(R"({"keys":[{"kty":"oct","k":"c2hvcnQ"}]})"));  // too short
  // A point that is not on the curve.
  EXPECT_FALSE(parse_jwks(R"({"keys":[{"kty":"EC","crv":"P-256","x":")" +
                          base64url_encode(std::string(32, '\1')) + R"(","y":")" +
                          base64url_encode(std::string(32, '\2')) + R"("}]})"));
  // A JWK whose alg disagrees with its type.
  PkeyPtr ed = t::generate_key("EdDSA");
  std::string jwk = t::public_jwk("EdDSA", ed.get(), "k");
  jwk.insert(1, R"("alg":"RS256",)");
  EXPECT_FALSE(parse_jwks(R"({"keys":[)" + jwk + "]}"));
}

TEST(AuthJwkTest, PemKeysOfEveryKindAndSmallRsaRefused) {
  for (const std::string alg : {"RS256", "ES256", "EdDSA"}) {
    PkeyPtr key = t::generate_key(alg);
    auto loaded = load_pem_public_key(t::public_pem(key.get()));
    ASSERT_TRUE(loaded.has_value()) << alg;
    EXPECT_EQ(algorithm_of((*loaded)->kind), alg);
  }
  PkeyPtr small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  EXPECT_FALSE(load_pem_public_key(t::public_pem(small.get())));
  PkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_FALSE(load_pem_public_key(t::public_pem(p384.get())));
  EXPECT_FALSE(load_pem_public_key("-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n"));
}

}  // namespace
}  // namespace nexus::filters::auth

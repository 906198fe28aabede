// JWT verification: every algorithm, tampering, algorithm confusion and the claim checks.
#include "filters/auth/jwt.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "test_tokens.h"

namespace nexus::filters::auth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;
namespace t = testing;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-secret";
const system_clock::time_point kNow{seconds(1'700'000'000)};

std::string claims(long exp, std::string_view extra = "") {
  return R"({"sub":"alice","iss":"https://idp","aud":"nexus","exp":)" + std::to_string(exp) +
         std::string(extra) + "}";
}

struct AlgKeys {
  PkeyPtr private_key;
  KeyList keys;  // the matching verification key
};

// One key pair per algorithm for the whole suite (RSA generation is slow).
AlgKeys& keys_for(const std::string& alg) {
  static std::map<std::string, AlgKeys> cache;
  AlgKeys& entry = cache[alg];
  if (entry.keys.empty()) {
    if (alg == "HS256") {
      auto key = std::make_shared<VerifyKey>();
      key->secret = kSecret;
      entry.keys.push_back(std::move(key));
    } else {
      entry.private_key = t::generate_key(alg);
      entry.keys.push_back(*load_pem_public_key(t::public_pem(entry.private_key.get())));
    }
  }
  return entry;
}

class JwtAlgorithmTest : public ::testing::TestWithParam<std::string> {
 protected:
  JwtAlgorithmTest() {
    policy_.algorithms = {"HS256", "RS256", "ES256", "EdDSA"};
    policy_.issuers = {"https://idp"};
    policy_.audiences = {"nexus"};
  }
  std::string token(std::string_view payload, std::string_view header = "") {
    const std::string& alg = GetParam();
    const std::string head =
        header.empty() ? R"({"alg":")" + alg + R"(","typ":"JWT"})" : std::string(header);
    return t::make_token(alg, keys_for(alg).private_key.get(), kSecret, head, payload);
  }
  std::expected<VerifiedJwt, JwtError> verify(const std::string& jwt,
                                              system_clock::time_point now = kNow) {
    return verify_jwt(jwt, policy_, keys_for(GetParam()).keys, now);
  }
  JwtFailure failure(const std::string& jwt, system_clock::time_point now = kNow) {
    auto result = verify(jwt, now);
    EXPECT_FALSE(result.has_value());
    return result ? JwtFailure::kMalformed : result.error().failure;
  }

  JwtPolicy policy_;
  const long exp_ = 1'700'000'600;
};

TEST_P(JwtAlgorithmTest, ValidTokenVerifies) {
  auto result = verify(token(claims(exp_, R"(,"scope":"llm read","n":3,"ok":true,"a":[1])")));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->subject, "alice");
  const auto flat = scalar_claims(result->payload);
  EXPECT_EQ(flat.front(), (std::pair<std::string, std::string>{"sub", "alice"}));
  EXPECT_EQ(flat.back(), (std::pair<std::string, std::string>{"ok", "true"}));
  EXPECT_EQ(flat.size(), 7U);  // the array is left out
}

TEST_P(JwtAlgorithmTest, TamperedSignatureIsRejected) {
  std::string jwt = token(claims(exp_));
  jwt[jwt.size() - 5] = jwt[jwt.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(failure(jwt), JwtFailure::kSignature);
}

TEST_P(JwtAlgorithmTest, TamperedPayloadIsRejected) {
  const std::string jwt = token(claims(exp_));
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  const std::string forged =
      jwt.substr(0, first + 1) +
      base64url_encode(R"({"sub":"admin","iss":"https://idp","aud":"nexus","exp":1700000600})") +
      jwt.substr(second);
  EXPECT_EQ(failure(forged), JwtFailure::kSignature);
}

TEST_P(JwtAlgorithmTest, AlgorithmNotAllowedIsRejected) {
  policy_.algorithms = {GetParam() == "HS256" ? "RS256" : "HS256"};
  EXPECT_EQ(failure(token(claims(exp_))), JwtFailure::kAlgorithm);
}

TEST_P(JwtAlgorithmTest, AlgNoneIsRejected) {
  const std::string unsigned_token =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims(exp_)) + ".";
  EXPECT_EQ(failure(unsigned_token), JwtFailure::kAlgorithm);
  policy_.algorithms.emplace_back("none");  // even if a policy were built with it
  EXPECT_EQ(failure(unsigned_token), JwtFailure::kAlgorithm);
}

TEST_P(JwtAlgorithmTest, ExpiryAndNotBeforeRespectTheSkew) {
  const std::string jwt = token(claims(1'700'000'000, R"(,"nbf":1700000000)"));
  EXPECT_TRUE(verify(jwt, kNow - seconds(59)).has_value());  // nbf within the 60s skew
  EXPECT_EQ(failure(jwt, kNow - seconds(61)), JwtFailure::kNotYetValid);
  EXPECT_TRUE(verify(jwt, kNow + seconds(59)).has_value());  // exp within the skew
  EXPECT_EQ(failure(jwt, kNow + seconds(60)), JwtFailure::kExpired);
  policy_.clock_skew = seconds(0);
  EXPECT_EQ(failure(jwt, kNow), JwtFailure::kExpired);
  EXPECT_EQ(failure(jwt, kNow - seconds(1)), JwtFailure::kNotYetValid);
}

TEST_P(JwtAlgorithmTest, MissingExpiryIsRejectedUnlessAllowed) {
  const std::string jwt = token(R"({"sub":"alice","iss":"https://idp","aud":"nexus"})");
  EXPECT_EQ(failure(jwt), JwtFailure::kExpired);
  policy_.require_exp = false;
  EXPECT_TRUE(verify(jwt).has_value());
  EXPECT_EQ(failure(token(R"({"exp":"soon","iss":"https://idp","aud":"nexus"})")),
            JwtFailure::kMalformed);
}

TEST_P(JwtAlgorithmTest, IssuerAndAudienceAreChecked) {
  EXPECT_EQ(failure(token(R"({"iss":"https://evil","aud":"nexus","exp":1700000600})")),
            JwtFailure::kIssuer);
  EXPECT_EQ(failure(token(R"({"iss":"https://idp","aud":"other","exp":1700000600})")),
            JwtFailure::kAudience);
  EXPECT_EQ(failure(token(R"({"iss":"https://idp","exp":1700000600})")), JwtFailure::kAudience);
  EXPECT_TRUE(verify(token(R"({"iss":"https://idp","aud":["x","nexus"],"exp":1700000600})")));
  EXPECT_EQ(failure(token(R"({"iss":"https://idp","aud":["x"],"exp":1700000600})")),
            JwtFailure::kAudience);
}

TEST_P(JwtAlgorithmTest, TokenWithoutMatchingKeyKindFindsNoKey) {
  const std::string other = GetParam() == "EdDSA" ? "ES256" : "EdDSA";
  EXPECT_EQ(verify_jwt(token(claims(exp_)), policy_, keys_for(other).keys, kNow).error().failure,
            JwtFailure::kUnknownKey);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtAlgorithmTest,
                         ::testing::Values("HS256", "RS256", "ES256", "EdDSA"));

TEST(JwtTest, Hs256SignedWithTheRsaPublicKeyIsRejected) {
  // The classic algorithm confusion: the attacker HMACs with the (public) PEM text.
  JwtPolicy policy{.algorithms = {"HS256", "RS256"}};
  policy.require_exp = false;
  const std::string pem = t::public_pem(keys_for("RS256").private_key.get());
  const std::string jwt =
      t::make_token("HS256", nullptr, pem, R"({"alg":"HS256"})", R"({"sub":"x"})");
  auto result = verify_jwt(jwt, policy, keys_for("RS256").keys, kNow);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().failure, JwtFailure::kUnknownKey);
  EXPECT_FALSE(verify_signature("HS256", *keys_for("RS256").keys[0], jwt.substr(0, jwt.rfind('.')),
                                base64url_decode(jwt.substr(jwt.rfind('.') + 1)).value()));
}

TEST(JwtTest, MalformedTokensAreRejected) {
  JwtPolicy policy{.algorithms = {"HS256"}};
  for (const std::string jwt : {"", "a.b", "a.b.c.d", "!!.e30.", "e30.e30.x", "W10.e30.",
                                "eyJhbGciOiJIUzI1NiJ9.W10.", "eyJhbGciOiJIUzI1NiJ9.e30.%%"}) {
    auto result = verify_jwt(jwt, policy, keys_for("HS256").keys, kNow);
    ASSERT_FALSE(result.has_value()) << jwt;
    EXPECT_TRUE(result.error().failure == JwtFailure::kMalformed ||
                result.error().failure == JwtFailure::kAlgorithm)
        << jwt;
  }
}

TEST(JwtTest, CriticalHeaderIsRejected) {
  JwtPolicy policy{.algorithms = {"HS256"}, .require_exp = false};
  const std::string jwt =
      t::make_token("HS256", nullptr, kSecret, R"({"alg":"HS256","crit":["x"],"x":1})", "{}");
  EXPECT_EQ(verify_jwt(jwt, policy, keys_for("HS256").keys, kNow).error().failure,
            JwtFailure::kAlgorithm);
}

TEST(JwtTest, RequiredClaimsMatchValuesArraysAndScopeWords) {
  boost::json::object payload =
      boost::json::parse(R"({"scope":"read llm","groups":["a","b"],"tier":2,"admin":false})")
          .as_object();
  using Required = std::map<std::string, std::string, std::less<>>;
  EXPECT_EQ(unmet_claim(payload, Required{{"scope", "llm"}, {"groups", "b"}, {"tier", "2"}}), "");
  EXPECT_EQ(unmet_claim(payload, Required{{"admin", "false"}}), "");
  EXPECT_EQ(unmet_claim(payload, Required{{"scope", "ll"}}), "scope");
  EXPECT_EQ(unmet_claim(payload, Required{{"groups", "c"}}), "groups");
  EXPECT_EQ(unmet_claim(payload, Required{{"missing", "x"}}), "missing");
}

}  // namespace
}  // namespace nexus::filters::auth

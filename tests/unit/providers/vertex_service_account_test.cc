// A service account's key file and the JWT assertion signed with it: the three parts decoded,
// the claims checked, and the signature verified with the public key (OpenSSL).
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <string>

#include "providers/vertex/service_account.h"
#include "rsa_key_support.h"

namespace nexus::providers::vertex {
namespace {

std::string key_json(std::string_view pem, std::string_view type = "service_account") {
  const boost::json::object key = {{"type", type},
                                   {"project_id", "p-1"},
                                   {"private_key_id", "abc123"},
                                   {"private_key", pem},
                                   {"client_email", "nexus@p-1.iam.gserviceaccount.com"},
                                   {"client_id", "1234"},
                                   {"token_uri", "https://oauth2.googleapis.com/token"}};
  return boost::json::serialize(key);
}

std::string base64url_decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    c = c == '-' ? '+' : (c == '_' ? '/' : c);
  }
  while (standard.size() % 4 != 0) {
    standard += '=';
  }
  std::string out(standard.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(standard.data()),
                                static_cast<int>(standard.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  const size_t padding = standard.size() - text.size();
  out.resize(out.size() - std::min(padding, out.size()));
  return out;
}

bool verify_rs256(std::string_view signed_part, std::string_view signature,
                  const std::string& public_pem) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())), &BIO_free);
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                        &EVP_MD_CTX_free);
  const bool ok =
      key && context &&
      EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  ERR_clear_error();
  return ok;
}

TEST(VertexServiceAccount, ParsesAKeyFile) {
  const auto& rsa = test::test_rsa_key();
  ASSERT_FALSE(rsa.private_pem.empty());
  auto key = parse_service_account_key(key_json(rsa.private_pem));
  ASSERT_TRUE(key.has_value()) << key.error().message();
  EXPECT_EQ(key->client_email, "nexus@p-1.iam.gserviceaccount.com");
  EXPECT_EQ(key->private_key_id, "abc123");
  EXPECT_EQ(key->token_uri, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(key->private_key, rsa.private_pem);
}

TEST(VertexServiceAccount, RefusesWhatIsNotAServiceAccountKey) {
  const auto& rsa = test::test_rsa_key();
  struct Case {
    std::string text;
    std::string message;
  };
  boost::json::object no_email = boost::json::parse(key_json(rsa.private_pem)).as_object();
  no_email.erase("client_email");
  boost::json::object bad_uri = boost::json::parse(key_json(rsa.private_pem)).as_object();
  bad_uri["token_uri"] = "oauth2.googleapis.com/token";
  boost::json::object number_id = boost::json::parse(key_json(rsa.private_pem)).as_object();
  number_id["private_key_id"] = 7;
  const Case cases[] = {
      {"not json", "not a JSON object (expected a service account's key file)"},
      {"[1]", "not a JSON object (expected a service account's key file)"},
      {key_json(rsa.private_pem, "authorized_user"),
       R"(not a service account's key: "type" is not "service_account")"},
      {boost::json::serialize(no_email), R"(the key has no "client_email" (a non-empty string))"},
      {boost::json::serialize(number_id),
       R"(the key has no "private_key_id" (a non-empty string))"},
      {boost::json::serialize(bad_uri), R"("token_uri" is not an http(s) URL)"},
      {key_json("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
       R"("private_key" is not an RSA private key in PEM)"},
      {key_json(rsa.public_pem), R"("private_key" is not an RSA private key in PEM)"},
      // Encrypted: refused, not a passphrase prompt on the terminal.
      {key_json(rsa.encrypted_pem), R"("private_key" is not an RSA private key in PEM)"},
  };
  for (const auto& c : cases) {
    auto key = parse_service_account_key(c.text);
    ASSERT_FALSE(key.has_value()) << c.text;
    EXPECT_EQ(key.error().message(), c.message);
    EXPECT_EQ(key.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_EQ(key.error().message().find("PRIVATE KEY"), std::string::npos);  // never the key
  }
}

TEST(VertexServiceAccount, AssertionIsASignedJwt) {
  const auto& rsa = test::test_rsa_key();
  auto jwt = jwt_assertion("nexus@p-1.iam.gserviceaccount.com", rsa.private_pem, "abc123",
                           "https://oauth2.googleapis.com/token", 1700000000);
  ASSERT_TRUE(jwt.has_value()) << jwt.error().message();
  const size_t first = jwt->find('.');
  const size_t second = jwt->find('.', first + 1);
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(jwt->find('.', second + 1), std::string::npos);
  EXPECT_EQ(jwt->find('='), std::string::npos);  // base64url without padding
  const std::string header = base64url_decode(jwt->substr(0, first));
  const std::string claims = base64url_decode(jwt->substr(first + 1, second - first - 1));
  const std::string signature = base64url_decode(jwt->substr(second + 1));
  EXPECT_EQ(boost::json::parse(header),
            boost::json::parse(R"({"alg":"RS256","typ":"JWT","kid":"abc123"})"));
  EXPECT_EQ(boost::json::parse(claims), boost::json::parse(R"({
      "iss": "nexus@p-1.iam.gserviceaccount.com",
      "scope": "https://www.googleapis.com/auth/cloud-platform",
      "aud": "https://oauth2.googleapis.com/token",
      "iat": 1700000000, "exp": 1700003600})"));
  EXPECT_EQ(signature.size(), 256U);  // RSA-2048
  EXPECT_TRUE(verify_rs256(jwt->substr(0, second), signature, rsa.public_pem));
  // The signature covers the header and claims: another time does not verify with it.
  auto other = jwt_assertion("nexus@p-1.iam.gserviceaccount.com", rsa.private_pem, "abc123",
                             "https://oauth2.googleapis.com/token", 1700000001);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(verify_rs256(other->substr(0, other->rfind('.')), signature, rsa.public_pem));
}

TEST(VertexServiceAccount, UnusableKeyIsAnError) {
  auto jwt = jwt_assertion("a@b", "not a key", "id", "https://x/token", 1);
  ASSERT_FALSE(jwt.has_value());
  EXPECT_EQ(jwt.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(ERR_peek_error(), 0U);  // nothing left in OpenSSL's queue for the next TLS call
}

}  // namespace
}  // namespace nexus::providers::vertex

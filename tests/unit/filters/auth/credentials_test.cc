// API keys and Basic users: hashes only in the config, constant-time comparison of every key.
#include "filters/auth/credentials.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace nexus::filters::auth {
namespace {

std::string base64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string hex_sha256(std::string_view text) {
  const Sha256 hash = sha256(text);
  return to_hex(hash.data(), hash.size());
}

std::vector<ApiKey> keys() {
  return {{.name = "svc-a", .id = "k1", .hash = sha256_from_hex(hex_sha256("key-a")).value()},
          {.name = "svc-b", .id = "k2", .hash = sha256_from_hex(hex_sha256("key-b")).value()},
          {.name = "svc-c", .id = "", .hash = sha256_from_hex(hex_sha256("key-c")).value()}};
}

TEST(AuthCredentialsTest, Sha256HexMatchesSha256sum) {
  // printf %s abc | sha256sum
  EXPECT_EQ(hex_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(sha256_from_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(sha256_from_hex("ba78"));
  EXPECT_FALSE(sha256_from_hex(std::string(64, 'g')));
}

TEST(AuthCredentialsTest, ApiKeyMatchesAndEveryKeyIsCompared) {
  const auto configured = keys();
  KeyMatch first = find_api_key(configured, "key-a");
  ASSERT_NE(first.key, nullptr);
  EXPECT_EQ(first.key->name, "svc-a");
  EXPECT_EQ(first.compared, 3U);  // no early exit on a match
  KeyMatch last = find_api_key(configured, "key-c");
  ASSERT_NE(last.key, nullptr);
  EXPECT_EQ(last.key->name, "svc-c");
  KeyMatch none = find_api_key(configured, "key-d");
  EXPECT_EQ(none.key, nullptr);
  EXPECT_EQ(none.compared, 3U);
  EXPECT_EQ(find_api_key(configured, "").key, nullptr);
}

TEST(AuthCredentialsTest, Sha256PasswordHash) {
  std::string error;
  auto hash = parse_password_hash("sha256:" + hex_sha256("s3cret"), error);
  ASSERT_TRUE(hash) << error;
  EXPECT_TRUE(verify_password(hash.value(), "s3cret"));
  EXPECT_FALSE(verify_password(hash.value(), "s3cret "));
  EXPECT_FALSE(parse_password_hash("sha256:abc", error));
  EXPECT_FALSE(parse_password_hash("md5:abc", error));
}

TEST(AuthCredentialsTest, Pbkdf2PasswordHash) {
  const std::string salt = "0123456789abcdef";
  std::string derived(32, '\0');
  PKCS5_PBKDF2_HMAC("hunter2", 7, reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), 1000, EVP_sha256(), 32,
                    reinterpret_cast<unsigned char*>(derived.data()));
  std::string error;
  auto hash =
      parse_password_hash("pbkdf2-sha256$1000$" + base64(salt) + "$" + base64(derived), error);
  ASSERT_TRUE(hash) << error;
  EXPECT_TRUE(verify_password(hash.value(), "hunter2"));
  EXPECT_FALSE(verify_password(hash.value(), "hunter3"));
  EXPECT_FALSE(
      parse_password_hash("pbkdf2-sha256$10$" + base64(salt) + "$" + base64(derived), error));
  EXPECT_FALSE(parse_password_hash("pbkdf2-sha256$1000$!!$" + base64(derived), error));
  EXPECT_FALSE(parse_password_hash("pbkdf2-sha256$1000", error));
}

TEST(AuthCredentialsTest, BasicCredentials) {
  std::string error;
  std::vector<BasicUser> users = {
      {.name = "alice",
       .password = parse_password_hash("sha256:" + hex_sha256("pw:a"), error).value()},
      {.name = "bob",
       .password = parse_password_hash("sha256:" + hex_sha256("pw-b"), error).value()}};
  const BasicUser* alice = check_basic(users, base64("alice:pw:a"));  // ':' in the password
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_NE(check_basic(users, base64("bob:pw-b")), nullptr);
  EXPECT_EQ(check_basic(users, base64("bob:pw:a")), nullptr);
  EXPECT_EQ(check_basic(users, base64("carol:pw:a")), nullptr);  // unknown user, alice's hash
  EXPECT_EQ(check_basic(users, base64("alice")), nullptr);
  EXPECT_EQ(check_basic(users, "not base64!"), nullptr);
  EXPECT_EQ(check_basic({}, base64("alice:pw:a")), nullptr);
}

TEST(AuthCredentialsTest, Base64Codecs) {
  EXPECT_EQ(base64_decode("YWJj"), "abc");
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_FALSE(base64_decode("YQ="));
  EXPECT_FALSE(base64_decode("Y=Q="));
  EXPECT_EQ(base64url_decode("YQ"), "a");
  EXPECT_EQ(base64url_decode("_-8"), "\xff\xef");
  EXPECT_FALSE(base64url_decode("YQ=="));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("Y"));
  EXPECT_EQ(base64url_encode("\xff\xef"), "_-8");
}

}  // namespace
}  // namespace nexus::filters::auth

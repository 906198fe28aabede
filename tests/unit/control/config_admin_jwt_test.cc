// `governance.admin.jwt`: defaults and every key (the errors: config_errors_test.cc).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../filters/auth/test_tokens.h"
#include "control/config/loader.h"

namespace nexus::control {
namespace {

#define ADMIN                                      \
  "server: { listen: [\"127.0.0.1:8080\"] }\n"     \
  "routes: [{ match: {}, direct_response: {} }]\n" \
  "governance:\n"                                  \
  "  admin:\n"                                     \
  "    listen: 127.0.0.1:9091\n"

// A JWK Set of one generated EC key.
std::string jwks() {
  const filters::auth::PkeyPtr key = filters::auth::testing::generate_key("ES256");
  return R"({"keys":[)" + filters::auth::testing::public_jwk("ES256", key.get(), "1") + "]}";
}

TEST(ConfigAdminJwt, AbsentMeansNoJwtCallers) {
  auto loaded = load_config_text(
      ADMIN "    key_sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\n",
      "g.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->governance.admin.jwt.has_value());
}

TEST(ConfigAdminJwt, TakesTheDefaultsAndNeedsNoAdminKey) {
  auto loaded = load_config_text(ADMIN
                                 "    jwt:\n"
                                 "      issuer: https://idp.example.com/\n"
                                 "      audiences: [nexus-admin]\n"
                                 "      jwks_uri: https://idp.example.com/jwks.json\n",
                                 "g.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Governance::Admin& admin = loaded->governance.admin;
  EXPECT_TRUE(admin.key_sha256.empty());
  ASSERT_TRUE(admin.jwt.has_value());
  const config::Governance::Admin::Jwt jwt = admin.jwt.value_or(config::Governance::Admin::Jwt{});
  EXPECT_EQ(jwt.issuer, "https://idp.example.com/");
  EXPECT_EQ(jwt.audiences, std::vector<std::string>{"nexus-admin"});
  EXPECT_EQ(jwt.jwks_uri, "https://idp.example.com/jwks.json");
  EXPECT_TRUE(jwt.jwks_file.empty());
  EXPECT_EQ(jwt.algorithms, (std::vector<std::string>{"RS256", "ES256", "EdDSA"}));
  EXPECT_EQ(jwt.clock_skew, std::chrono::seconds(60));
  EXPECT_EQ(jwt.refresh_interval, std::chrono::minutes(5));
  EXPECT_EQ(jwt.role_claim, "nexus_role");
  EXPECT_EQ(jwt.org_claim, "nexus_org");
  EXPECT_EQ(jwt.team_claim, "nexus_team");
  EXPECT_EQ(jwt.user_claim, "sub");
}

TEST(ConfigAdminJwt, ReadsEveryKey) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("nexus-jwks-" + std::to_string(::getpid()));
  std::ofstream(file) << jwks();
  auto loaded = load_config_text(
      ADMIN
          "    key_sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\n"
          "    jwt:\n"
          "      issuer: https://idp.example.com/\n"
          "      audiences: [nexus-admin, nexus]\n"
          "      jwks_file: " +
          file.string() +
          "\n"
          "      refresh_interval: 30s\n"
          "      algorithms: [ES256]\n"
          "      clock_skew: 30s\n"
          "      role_claim: role\n"
          "      org_claim: org\n"
          "      team_claim: team\n"
          "      user_claim: uid\n",
      "g.yaml");
  std::filesystem::remove(file);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Governance::Admin::Jwt jwt =
      loaded->governance.admin.jwt.value_or(config::Governance::Admin::Jwt{});
  EXPECT_EQ(loaded->governance.admin.key_sha256.size(), 64U);
  EXPECT_EQ(jwt.audiences, (std::vector<std::string>{"nexus-admin", "nexus"}));
  EXPECT_EQ(jwt.jwks_file, file.string());
  EXPECT_EQ(jwt.refresh_interval, std::chrono::seconds(30));
  EXPECT_EQ(jwt.algorithms, std::vector<std::string>{"ES256"});
  EXPECT_EQ(jwt.clock_skew, std::chrono::seconds(30));
  EXPECT_EQ(jwt.role_claim, "role");
  EXPECT_EQ(jwt.org_claim, "org");
  EXPECT_EQ(jwt.team_claim, "team");
  EXPECT_EQ(jwt.user_claim, "uid");
}

TEST(ConfigAdminJwt, ABrokenJwksFileIsAConfigError) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("nexus-jwks-bad-" + std::to_string(::getpid()));
  std::ofstream(file) << R"({"keys":[]})";
  auto loaded = load_config_text(ADMIN
                                     "    jwt:\n"
                                     "      issuer: https://idp.example.com/\n"
                                     "      audiences: [nexus-admin]\n"
                                     "      jwks_file: " +
                                     file.string() + "\n",
                                 "g.yaml");
  std::filesystem::remove(file);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().message().starts_with("g.yaml:9: governance.admin.jwt.jwks_file: "))
      << loaded.error().message();
}

}  // namespace
}  // namespace nexus::control

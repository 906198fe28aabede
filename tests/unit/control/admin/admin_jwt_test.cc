// JWT callers of the admin API (governance.admin.jwt): verification failures are 401s naming the
// reason, claims without a valid role and scope are 403s, the audit log names the token's issuer
// and subject, the other credentials keep working, and a key rotation at the provider is picked
// up by one bounded early refresh. (Each role against the whole access matrix, with tokens:
// access_matrix_test.cc.)
#include <gtest/gtest.h>

#include "../../net/tiny_http_server.h"
#include "admin_jwt_support.h"
#include "admin_test_support.h"

namespace nexus::control::admin {
namespace {

namespace json = boost::json;
using testing::AdminTest;
using testing::good_claims;
using testing::kAdminKey;
using testing::SigningKey;

class AdminJwtTest : public AdminTest {
 protected:
  void configure(AdminSettings& settings) override {
    testing::write_jwks(dir_ / "jwks.json", {&es256_});
    auto identity = JwtIdentity::create(testing::jwt_config(dir_ / "jwks.json"),
                                        [this] { return steady_now_; });
    ASSERT_TRUE(identity) << identity.error().message();
    identity_ = std::move(*identity);
    ASSERT_TRUE(identity_->start());  // the JWK Set's refresh thread
    settings.credentials.jwt = identity_;
  }

  void SetUp() override {
    AdminTest::SetUp();
    org_a_ = create("/admin/v1/orgs", R"({"name":"A"})");
    org_b_ = create("/admin/v1/orgs", R"({"name":"B"})");
    team_a1_ = create("/admin/v1/teams", R"({"name":"A1","org_id":")" + org_a_ + "\"}");
    team_a2_ = create("/admin/v1/teams", R"({"name":"A2","org_id":")" + org_a_ + "\"}");
    team_b1_ = create("/admin/v1/teams", R"({"name":"B1","org_id":")" + org_b_ + "\"}");
    key_m1_ = user_with_key("m1", org_a_, team_a1_, "member");
    user_with_key("mb", org_b_, team_b1_, "member");
  }

  // A good token's claims with `role` and, when not empty, an org and a team.
  json::object claims(std::string_view role, const std::string& org = {},
                      const std::string& team = {}, std::string_view subject = "alice") {
    json::object out = good_claims(now_, subject);
    out["nexus_role"] = role;
    if (!org.empty()) {
      out["nexus_org"] = org;
    }
    if (!team.empty()) {
      out["nexus_team"] = team;
    }
    return out;
  }

  // The message of an error answered with `status`.
  std::string refused(int status, const std::string& token,
                      std::string_view target = "/admin/v1/orgs") {
    const json::value body = expect(status, "GET", target, "", token);
    const auto* error = body.is_object() ? body.as_object().if_contains("error") : nullptr;
    return error != nullptr ? std::string(error->at("message").as_string()) : std::string{};
  }

  SigningKey es256_{.alg = "ES256", .kid = "es-1"};
  std::shared_ptr<JwtIdentity> identity_;
  std::chrono::steady_clock::time_point steady_now_{std::chrono::hours(1)};
  std::string org_a_, org_b_, team_a1_, team_a2_, team_b1_, key_m1_;
};

TEST_F(AdminJwtTest, AnAdminTokenReachesEverythingAndTheAuditNamesIssuerAndSubject) {
  const std::string token = es256_.sign(claims("admin"));
  const json::value orgs = expect(200, "GET", "/admin/v1/orgs", "", token);
  EXPECT_EQ(orgs.at("data").as_array().size(), 2U);
  expect(201, "POST", "/admin/v1/orgs", R"({"name":"C"})", token);
  const json::value audit = expect(200, "GET", "/admin/v1/audit?limit=1000");
  const json::array& entries = audit.at("data").as_array();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().at("actor").as_string(), "jwt:https://idp.test/#alice");
  EXPECT_EQ(entries.back().at("action").as_string(), "org.create");
}

TEST_F(AdminJwtTest, ATokenThatDoesNotVerifyIsA401NamingTheReason) {
  const auto with = [&](std::string_view name, json::value value) {
    json::object out = claims("admin");
    out[name] = std::move(value);
    return es256_.sign(out);
  };
  const int64_t now = now_ / 1000;
  EXPECT_EQ(refused(401, with("exp", now - 120)), "invalid token: token expired");
  expect(200, "GET", "/admin/v1/orgs", "", with("exp", now - 30));  // within the 60 s skew
  EXPECT_EQ(refused(401, with("nbf", now + 600)), "invalid token: token not yet valid (nbf)");
  EXPECT_EQ(refused(401, with("aud", "someone-else")), "invalid token: audience not accepted");
  EXPECT_EQ(refused(401, with("iss", "https://evil.test/")), "invalid token: issuer not accepted");
  json::object no_exp = claims("admin");
  no_exp.erase("exp");
  EXPECT_EQ(refused(401, es256_.sign(no_exp)), "invalid token: token has no expiry (exp)");

  // Signed by another key under the provider's kid; a kid the provider never published.
  const SigningKey impostor{.alg = "ES256", .kid = "es-1"};
  EXPECT_EQ(refused(401, impostor.sign(claims("admin"))), "invalid token: invalid signature");
  const SigningKey stranger{.alg = "ES256", .kid = "nobody"};
  EXPECT_EQ(refused(401, stranger.sign(claims("admin"))), "invalid token: no key for this token");
  // HS256 is never accepted: the provider's keys are public.
  const std::string hs256 = filters::auth::testing::make_token(
      "HS256", nullptr, std::string(32, 's'), R"({"alg":"HS256","kid":"es-1"})",
      json::serialize(claims("admin")));
  EXPECT_EQ(refused(401, hs256), "invalid token: algorithm not allowed");
  const json::value body = expect(401, "GET", "/admin/v1/orgs", "", impostor.sign(claims("admin")));
  EXPECT_EQ(error_type(body), "authentication_error");
}

TEST_F(AdminJwtTest, ClaimsWithoutAValidRoleAndScopeAreA403) {
  json::object no_role = claims("admin");
  no_role.erase("nexus_role");
  EXPECT_NE(refused(403, es256_.sign(no_role)).find("no role"), std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("root"))).find("role 'root' is unknown"),
            std::string::npos);
  json::object numeric = claims("admin");
  numeric["nexus_role"] = 1;
  EXPECT_NE(refused(403, es256_.sign(numeric)).find("is not a string"), std::string::npos);

  EXPECT_NE(refused(403, es256_.sign(claims("org_admin"))).find("needs an organization"),
            std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("viewer", "org_nope"))).find("does not exist"),
            std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("team_admin", org_a_))).find("needs a team"),
            std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("team_admin", org_a_, "team_nope")))
                .find("team 'team_nope' does not exist"),
            std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("team_admin", org_a_, team_b1_)))
                .find("is not in its organization"),
            std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("member", org_a_, "", "user_nope")))
                .find("user 'user_nope' does not exist"),
            std::string::npos);
  json::object no_user = claims("member", org_a_);
  no_user.erase("sub");
  EXPECT_NE(refused(403, es256_.sign(no_user)).find("needs a user"), std::string::npos);
}

TEST_F(AdminJwtTest, AMemberTokenMustNameAUserOfItsOrganizationAndTeam) {
  // A member token for a user of another organization.
  EXPECT_NE(refused(403, es256_.sign(claims("member", org_a_, "", users_["mb"])))
                .find("is not in its organization"),
            std::string::npos);
  EXPECT_NE(refused(403, es256_.sign(claims("member", org_a_, team_a2_, users_["m1"])))
                .find("is not in its team"),
            std::string::npos);

  // A good one acts as its user: its new key is its own, others' users are out of reach.
  const std::string token = es256_.sign(claims("member", org_a_, "", users_["m1"]));
  const json::value key = expect(201, "POST", "/admin/v1/keys", R"({"name":"mine"})", token);
  EXPECT_EQ(stored_key(std::string(key.at("id").as_string())).user_id, users_["m1"]);
  expect(200, "GET", "/admin/v1/teams/" + team_a1_, "", token);  // its team, from the store
  expect(403, "GET", "/admin/v1/users/" + users_["mb"], "", token);
}

TEST_F(AdminJwtTest, AViewerTokenReadsItsOrganizationAndChangesNothing) {
  const std::string token = es256_.sign(claims("viewer", org_a_));
  EXPECT_EQ(expect(200, "GET", "/admin/v1/teams", "", token).at("data").as_array().size(), 2U);
  expect(403, "POST", "/admin/v1/teams", R"({"name":"A3"})", token);
  expect(403, "GET", "/admin/v1/teams/" + team_b1_, "", token);
}

TEST_F(AdminJwtTest, TheAdminKeyAndVirtualKeysKeepWorking) {
  expect(200, "GET", "/admin/v1/orgs", "", kAdminKey);
  const json::value listed = expect(200, "GET", "/admin/v1/keys", "", key_m1_);
  EXPECT_EQ(listed.at("data").as_array().size(), 1U);
  expect(401, "GET", "/admin/v1/orgs", "", "nx-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  const json::value missing = expect(401, "GET", "/admin/v1/orgs", "", "");
  EXPECT_NE(missing.at("error").at("message").as_string().find("a JWT"), std::string::npos);
}

TEST_F(AdminJwtTest, AnUnknownKidTriggersOneBoundedRefresh) {
  // The provider rotates: it publishes a new RSA key, and the first token it signs is accepted
  // at once (its unknown kid made this request wait for one early reread of the JWK Set).
  const SigningKey rs256{.alg = "RS256", .kid = "rs-2"};
  testing::write_jwks(dir_ / "jwks.json", {&es256_, &rs256});
  const uint64_t before = identity_->refresh_attempts();
  expect(200, "GET", "/admin/v1/orgs", "", rs256.sign(claims("admin")));
  EXPECT_EQ(identity_->refresh_attempts(), before + 1);

  // Another unknown kid within the retry interval is refused without a refresh...
  const SigningKey stranger{.alg = "ES256", .kid = "nobody"};
  refused(401, stranger.sign(claims("admin")));
  EXPECT_EQ(identity_->refresh_attempts(), before + 1);
  // ... and after it, may ask for one more.
  steady_now_ += std::chrono::seconds(31);
  refused(401, stranger.sign(claims("admin")));
  EXPECT_EQ(identity_->refresh_attempts(), before + 2);
}

// Without governance.admin.jwt, a token is one more unknown credential.
class AdminWithoutJwtTest : public AdminTest {};

TEST_F(AdminWithoutJwtTest, ATokenIsRefusedLikeAnyUnknownCredential) {
  const SigningKey key{.alg = "ES256", .kid = "es-1"};
  json::object claims = good_claims(now_, "alice");
  claims["nexus_role"] = "admin";
  const json::value body = expect(401, "GET", "/admin/v1/orgs", "", key.sign(claims));
  EXPECT_EQ(body.at("error").at("message").as_string(), "invalid credentials");
}

TEST_F(AdminWithoutJwtTest, AJwtIdentityFetchesAJwksUriWhenStarted) {
  net::testing::TinyHttpServer idp;
  const SigningKey key{.alg = "RS256", .kid = "rs-1"};
  idp.respond(200, R"({"keys":[)" +
                       filters::auth::testing::public_jwk("RS256", key.key.get(), "rs-1") + "]}");
  config::Governance::Admin::Jwt config;
  config.issuer = std::string(testing::kIssuer);
  config.audiences = {std::string(testing::kAudience)};
  config.jwks_uri = idp.url();
  auto identity = JwtIdentity::create(config);
  ASSERT_TRUE(identity) << identity.error().message();
  ASSERT_TRUE((*identity)->start());
  EXPECT_EQ((*identity)->refresh_attempts(), 1U);
  EXPECT_GE(idp.requests(), 1);

  json::object claims = good_claims(now_, "ops");
  claims["nexus_role"] = "admin";
  auto caller = (*identity)->authenticate(*store_, key.sign(claims), now_);
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_EQ(caller->role, Role::kAdmin);
  EXPECT_EQ(caller->actor, "jwt:https://idp.test/#ops");
}

TEST(AdminJwtIdentityTest, TellsAJwtFromOtherCredentials) {
  EXPECT_TRUE(looks_like_jwt("eyJh.eyJz.c2ln"));
  EXPECT_TRUE(looks_like_jwt("a-_b.C9.x_"));
  EXPECT_FALSE(looks_like_jwt("nx-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_FALSE(looks_like_jwt("a.b"));
  EXPECT_FALSE(looks_like_jwt("a.b.c.d"));
  EXPECT_FALSE(looks_like_jwt("a..c"));
  EXPECT_FALSE(looks_like_jwt(".b.c"));
  EXPECT_FALSE(looks_like_jwt("a.b."));
  EXPECT_FALSE(looks_like_jwt("a.b c.d"));
  EXPECT_FALSE(looks_like_jwt("a.b+/.c="));
}

}  // namespace
}  // namespace nexus::control::admin

// The admin API's handlers against a real SQLite store: credentials, CRUD, errors naming the
// field, keys shown once and stored hashed, rotation's grace period, revocation, audit entries.
#include "control/admin/admin_api.h"

#include <gtest/gtest.h>

#include "admin_test_support.h"
#include "governance/key_secret.h"

namespace nexus::control::admin {
namespace {

namespace json = boost::json;
using testing::AdminTest;
using testing::kAdminKey;
using testing::kPepper;

class AdminApiTest : public AdminTest {};

TEST_F(AdminApiTest, RefusesCallsWithoutValidCredentials) {
  auto missing = expect(401, "GET", "/admin/v1/orgs", "", "");
  EXPECT_EQ(error_type(missing), "authentication_error");
  expect(401, "GET", "/admin/v1/orgs", "", "not-the-admin-key");
  expect(401, "GET", "/admin/v1/orgs", "", "nx-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  expect(200, "GET", "/admin/v1/orgs");
}

TEST_F(AdminApiTest, ServesItsOpenApiDocumentWithoutCredentials) {
  const json::value document = expect(200, "GET", "/admin/v1/openapi.json", "", "");
  EXPECT_EQ(document.at("openapi").as_string(), "3.1.0");
}

TEST_F(AdminApiTest, AnswersUnknownPathsAndMethods) {
  expect(404, "GET", "/admin/v1/widgets");
  expect(405, "DELETE", "/admin/v1/keys/key_x");
}

TEST_F(AdminApiTest, CreatesReadsUpdatesAndDeletesAnOrganization) {
  const json::value created = expect(
      201, "POST", "/admin/v1/orgs",
      R"({"name":"Acme","limits":{"rpm":60},"budget":{"hard_usd":10.5,"period":"monthly"}})");
  const std::string id(created.at("id").as_string());
  EXPECT_TRUE(id.starts_with("org_"));
  EXPECT_EQ(created.at("limits").at("rpm").as_int64(), 60);
  EXPECT_EQ(created.at("budget").at("hard_usd").to_number<double>(), 10.5);
  EXPECT_EQ(created.at("created_at").as_string(), "2026-03-15T12:00:00Z");

  const json::value updated =
      expect(200, "PATCH", "/admin/v1/orgs/" + id, R"({"name":"Acme Inc","budget":null})");
  EXPECT_EQ(updated.at("name").as_string(), "Acme Inc");
  EXPECT_TRUE(updated.at("budget").is_null());
  EXPECT_EQ(updated.at("limits").at("rpm").as_int64(), 60) << "what is absent is kept";

  EXPECT_EQ(expect(200, "GET", "/admin/v1/orgs/" + id).at("name").as_string(), "Acme Inc");
  expect(200, "DELETE", "/admin/v1/orgs/" + id);
  expect(404, "GET", "/admin/v1/orgs/" + id);
  expect(404, "PATCH", "/admin/v1/orgs/" + id, "{}");
}

TEST_F(AdminApiTest, NamesTheFieldOfABadBody) {
  const auto param = [](const json::value& body) {
    return std::string(body.at("error").at("param").as_string());
  };
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/orgs", R"({"limits":{}})")), "name");
  EXPECT_EQ(
      param(expect(400, "POST", "/admin/v1/orgs", R"({"name":"a","budget":{"hard_usd":-1}})")),
      "budget.hard_usd");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/orgs",
                         R"({"name":"a","budget":{"hard_usd":1,"period":"yearly"}})")),
            "budget.period");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/orgs", R"({"name":"a","limits":{"rpm":"x"}})")),
            "limits.rpm");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/orgs",
                         R"({"name":"a","model_limits":[{"model":"m","tpm":-5}]})")),
            "model_limits[0].tpm");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/orgs", R"({"name":"a","colour":"red"})")),
            "colour");
  const json::value not_json = expect(400, "POST", "/admin/v1/orgs", "{");
  EXPECT_EQ(error_type(not_json), "invalid_request_error");
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/keys",
                         R"({"name":"k","org_id":")" + org + R"(","allowed_ips":["10.0.0.1/8"]})")),
            "allowed_ips[0]");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/keys",
                         R"({"name":"k","org_id":")" + org + R"(","expires_at":"tomorrow"})")),
            "expires_at");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/users",
                         R"({"name":"u","org_id":")" + org + R"(","role":"boss"})")),
            "role");
  EXPECT_EQ(param(expect(400, "POST", "/admin/v1/users",
                         R"({"name":"u","org_id":")" + org + R"(","role":"team_admin"})")),
            "team_id");
  EXPECT_EQ(param(expect(400, "GET", "/admin/v1/keys?limit=0")), "limit");
  EXPECT_EQ(param(expect(400, "GET", "/admin/v1/usage?group_by=week")), "group_by");
}

TEST_F(AdminApiTest, RefusesADuplicateUserName) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string other = create("/admin/v1/orgs", R"({"name":"p"})");
  create("/admin/v1/users", R"({"name":"ada@example.com","org_id":")" + org + "\"}");
  const json::value duplicate = expect(409, "POST", "/admin/v1/users",
                                       R"({"name":"ada@example.com","org_id":")" + other + "\"}");
  EXPECT_EQ(duplicate.at("error").at("code").as_string(), "conflict");
  const std::string bob =
      create("/admin/v1/users", R"({"name":"bob@example.com","org_id":")" + org + "\"}");
  expect(409, "PATCH", "/admin/v1/users/" + bob, R"({"name":"ada@example.com"})");
  // Keeping one's own name is no conflict.
  expect(200, "PATCH", "/admin/v1/users/" + bob, R"({"name":"bob@example.com"})");
}

TEST_F(AdminApiTest, ShowsAKeysSecretOnceAndStoresOnlyItsPepperedHash) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const json::value created = expect(
      201, "POST", "/admin/v1/keys",
      R"({"name":"ci","org_id":")" + org +
          R"(","allowed_models":["gpt-4o"],"metadata":{"env":"ci"},"expires_at":"2026-04-01T00:00:00Z"})");
  const std::string secret(created.at("key").as_string());
  const std::string id(created.at("id").as_string());
  EXPECT_TRUE(governance::looks_like_key_secret(secret)) << secret;
  EXPECT_EQ(created.at("prefix").as_string(), secret.substr(0, 12));
  EXPECT_EQ(created.at("metadata").at("env").as_string(), "ci");
  EXPECT_EQ(created.at("status").as_string(), "active");

  const governance::VirtualKey stored = stored_key(id);
  EXPECT_EQ(stored.hash, governance::hash_key_secret(kPepper, secret));
  EXPECT_EQ(stored.hash.find(secret), std::string::npos);

  const AdminResponse read = call("GET", "/admin/v1/keys/" + id, "", kAdminKey);
  const AdminResponse list = call("GET", "/admin/v1/keys", "", kAdminKey);
  for (const AdminResponse* response : {&read, &list}) {
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body.find(secret), std::string::npos) << "the secret is shown once";
    EXPECT_EQ(response->body.find("hash"), std::string::npos);
  }
  // Expired on April 1st.
  now_ = at("2026-04-01T00:00:00Z");
  EXPECT_EQ(expect(200, "GET", "/admin/v1/keys/" + id).at("status").as_string(), "expired");
}

TEST_F(AdminApiTest, AUsersKeyActsWithThatUsersRoleWhileLiveAndFromAllowedAddresses) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string user =
      create("/admin/v1/users", R"({"name":"v","org_id":")" + org + R"(","role":"viewer"})");
  const json::value key =
      expect(201, "POST", "/admin/v1/keys",
             R"({"name":"k","user_id":")" + user + R"(","allowed_ips":["10.1.0.0/16","::1"]})");
  const std::string secret(key.at("key").as_string());
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", secret, "10.1.2.3").status, 200);
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", secret, "::1").status, 200);
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", secret, "10.2.0.1").status, 401);
  EXPECT_EQ(call("POST", "/admin/v1/teams", R"({"name":"t"})", secret, "10.1.2.3").status, 403)
      << "a viewer changes nothing";

  const std::string service =
      std::string(expect(201, "POST", "/admin/v1/keys", R"({"name":"svc","org_id":")" + org + "\"}")
                      .at("key")
                      .as_string());
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", service).status, 403)
      << "a key of no user is no admin credential";
}

TEST_F(AdminApiTest, RotationKeepsTheKeyAndTheOldSecretForItsGracePeriodOnly) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string user =
      create("/admin/v1/users", R"({"name":"m","org_id":")" + org + R"(","role":"member"})");
  const json::value created = expect(
      201, "POST", "/admin/v1/keys",
      R"({"name":"k","user_id":")" + user + R"(","allowed_models":["a"],"limits":{"rpm":5}})");
  const std::string id(created.at("id").as_string());
  const std::string old_secret(created.at("key").as_string());
  EXPECT_TRUE(created.at("previous_valid_until").is_null());

  const json::value rotated = expect(200, "POST", "/admin/v1/keys/" + id + "/rotate",
                                     R"({"grace_period":3600})", old_secret);
  const std::string new_secret(rotated.at("key").as_string());
  EXPECT_EQ(rotated.at("id").as_string(), id) << "the key keeps its id";
  EXPECT_NE(new_secret, old_secret);
  EXPECT_EQ(rotated.at("prefix").as_string(), governance::key_display_prefix(new_secret));
  EXPECT_EQ(rotated.at("previous_valid_until").as_string(), "2026-03-15T13:00:00Z");
  EXPECT_EQ(rotated.at("status").as_string(), "rotating");
  EXPECT_EQ(rotated.at("allowed_models").at(0).as_string(), "a") << "settings are kept";
  EXPECT_EQ(rotated.at("limits").at("rpm").as_int64(), 5);
  EXPECT_EQ(rotated.at("created_at").as_string(), "2026-03-15T12:00:00Z");
  const governance::VirtualKey stored = stored_key(id);
  EXPECT_EQ(stored.hash, governance::hash_key_secret(kPepper, new_secret));
  EXPECT_EQ(stored.previous_hash, governance::hash_key_secret(kPepper, old_secret));
  const json::value listed = expect(200, "GET", "/admin/v1/keys");
  ASSERT_EQ(listed.at("data").as_array().size(), 1U) << "no second key";
  EXPECT_EQ(listed.at("data").at(0).at("status").as_string(), "rotating");

  // Both secrets open the same key during the grace period ...
  now_ += 3'599'000;
  EXPECT_EQ(call("GET", "/admin/v1/keys/" + id, "", old_secret).status, 200);
  EXPECT_EQ(call("GET", "/admin/v1/keys/" + id, "", new_secret).status, 200);
  // ... and only the new one after it.
  now_ += 1'000;
  EXPECT_EQ(call("GET", "/admin/v1/keys/" + id, "", old_secret).status, 401);
  EXPECT_EQ(call("GET", "/admin/v1/keys/" + id, "", new_secret).status, 200);
  const json::value after = expect(200, "GET", "/admin/v1/keys/" + id);
  EXPECT_EQ(after.at("status").as_string(), "active");
  EXPECT_TRUE(after.at("previous_valid_until").is_null());

  // Without a grace period the old secret stops at once.
  const json::value again = expect(200, "POST", "/admin/v1/keys/" + id + "/rotate", "");
  const std::string third(again.at("key").as_string());
  EXPECT_TRUE(again.at("previous_valid_until").is_null());
  EXPECT_EQ(again.at("status").as_string(), "active");
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", new_secret).status, 401);
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", third).status, 200);
  const json::value too_long =
      expect(400, "POST", "/admin/v1/keys/" + id + "/rotate", R"({"grace_period":-1})");
  EXPECT_EQ(too_long.at("error").at("param").as_string(), "grace_period");
}

TEST_F(AdminApiTest, ASecondRotationWithinTheGracePeriodEndsTheSecretBeforeAtOnce) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string user =
      create("/admin/v1/users", R"({"name":"m","org_id":")" + org + R"(","role":"member"})");
  const json::value created =
      expect(201, "POST", "/admin/v1/keys", R"({"name":"k","user_id":")" + user + "\"}");
  const std::string id(created.at("id").as_string());
  const std::string first(created.at("key").as_string());
  const std::string second(
      expect(200, "POST", "/admin/v1/keys/" + id + "/rotate", R"({"grace_period":600})")
          .at("key")
          .as_string());
  now_ += 10'000;
  const json::value rotated =
      expect(200, "POST", "/admin/v1/keys/" + id + "/rotate", R"({"grace_period":60})");
  const std::string third(rotated.at("key").as_string());
  EXPECT_EQ(rotated.at("id").as_string(), id);
  EXPECT_EQ(rotated.at("previous_valid_until").as_string(), "2026-03-15T12:01:10Z");
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", first).status, 401)
      << "the secret before the previous one dies with the second rotation";
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", second).status, 200);
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", third).status, 200);
  now_ += 60'000;
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", second).status, 401);
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", third).status, 200);

  // A revoked or expired key is not rotated.
  expect(200, "POST", "/admin/v1/keys/" + id + "/revoke");
  expect(409, "POST", "/admin/v1/keys/" + id + "/rotate", "{}");
  const std::string expiring =
      create("/admin/v1/keys",
             R"({"name":"e","user_id":")" + user + R"(","expires_at":"2026-03-15T12:02:00Z"})");
  now_ += 60'000;
  expect(409, "POST", "/admin/v1/keys/" + expiring + "/rotate", "{}");
}

TEST_F(AdminApiTest, RevocationIsImmediateAndEndsAGracePeriod) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string admin_user =
      create("/admin/v1/users", R"({"name":"a","org_id":")" + org + R"(","role":"org_admin"})");
  const json::value key =
      expect(201, "POST", "/admin/v1/keys", R"({"name":"k","user_id":")" + admin_user + "\"}");
  const std::string id(key.at("id").as_string());
  const std::string secret(key.at("key").as_string());
  const std::string new_secret(
      expect(200, "POST", "/admin/v1/keys/" + id + "/rotate", R"({"grace_period":600})")
          .at("key")
          .as_string());
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", secret).status, 200);
  const json::value revoked = expect(200, "POST", "/admin/v1/keys/" + id + "/revoke");
  EXPECT_EQ(revoked.at("status").as_string(), "revoked");
  EXPECT_TRUE(revoked.at("previous_valid_until").is_null());
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", secret).status, 401)
      << "revocation ends the grace period of the replaced secret";
  EXPECT_EQ(call("GET", "/admin/v1/orgs/" + org, "", new_secret).status, 401);
  expect(409, "POST", "/admin/v1/keys/" + id + "/revoke");
  expect(404, "POST", "/admin/v1/keys/key_unknown/revoke");
}

TEST_F(AdminApiTest, EveryChangeIsAuditedWithoutSecretsAndAnnounced) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string team = create("/admin/v1/teams", R"({"name":"t","org_id":")" + org + "\"}");
  const json::value key =
      expect(201, "POST", "/admin/v1/keys", R"({"name":"k","team_id":")" + team + "\"}");
  const std::string key_id(key.at("id").as_string());
  const std::string secret(key.at("key").as_string());
  expect(200, "POST", "/admin/v1/keys/" + key_id + "/rotate", R"({"grace_period":60})");
  expect(400, "POST", "/admin/v1/teams", "{}");  // a failed change is neither
  expect(200, "GET", "/admin/v1/keys");          // nor is a read
  EXPECT_EQ(changes_, 4);

  auto entries = store_->list_audit(0, 100);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 4U);
  const std::vector<std::string> actions = {"org.create", "team.create", "key.create",
                                            "key.rotate"};
  for (size_t i = 0; i < entries->size(); ++i) {
    const governance::AuditEntry& entry = (*entries)[i];
    EXPECT_EQ(entry.action, actions[i]);
    EXPECT_EQ(entry.actor, "admin");
    EXPECT_EQ(entry.time, now_);
    EXPECT_NE(entry.detail.find(org), std::string::npos) << entry.detail;
    EXPECT_EQ(entry.detail.find(secret), std::string::npos) << "never a secret";
  }
  EXPECT_EQ((*entries)[2].target, key_id);
  EXPECT_EQ((*entries)[3].target, key_id);

  const json::value listed = expect(200, "GET", "/admin/v1/audit");
  ASSERT_EQ(listed.at("data").as_array().size(), 4U);
  EXPECT_EQ(listed.at("data").at(2).at("action").as_string(), "key.create");
  EXPECT_EQ(listed.at("data").at(2).at("detail").at("org_id").as_string(), org);
  EXPECT_TRUE(listed.at("next").is_null());
}

TEST_F(AdminApiTest, DeletionsWaitUntilNothingLiveDependsOnTheObject) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string team = create("/admin/v1/teams", R"({"name":"t","org_id":")" + org + "\"}");
  const std::string user = create("/admin/v1/users", R"({"name":"u","team_id":")" + team + "\"}");
  const std::string key = create("/admin/v1/keys", R"({"name":"k","user_id":")" + user + "\"}");
  expect(409, "DELETE", "/admin/v1/orgs/" + org);
  expect(409, "DELETE", "/admin/v1/teams/" + team);
  expect(409, "DELETE", "/admin/v1/users/" + user);
  expect(200, "POST", "/admin/v1/keys/" + key + "/revoke");
  expect(200, "DELETE", "/admin/v1/users/" + user);  // its revoked key goes with it
  expect(200, "DELETE", "/admin/v1/teams/" + team);
  expect(200, "DELETE", "/admin/v1/orgs/" + org);
}

TEST_F(AdminApiTest, MovingAUserToAnotherTeamMovesItsKeys) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string one = create("/admin/v1/teams", R"({"name":"1","org_id":")" + org + "\"}");
  const std::string two = create("/admin/v1/teams", R"({"name":"2","org_id":")" + org + "\"}");
  const std::string user = create("/admin/v1/users", R"({"name":"u","team_id":")" + one + "\"}");
  const std::string key = create("/admin/v1/keys", R"({"name":"k","user_id":")" + user + "\"}");
  expect(200, "PATCH", "/admin/v1/users/" + user, R"({"team_id":")" + two + "\"}");
  EXPECT_EQ(expect(200, "GET", "/admin/v1/keys/" + key).at("team_id").as_string(), two);
  const std::string other = create("/admin/v1/orgs", R"({"name":"p"})");
  const std::string foreign =
      create("/admin/v1/teams", R"({"name":"3","org_id":")" + other + "\"}");
  expect(400, "PATCH", "/admin/v1/users/" + user, R"({"team_id":")" + foreign + "\"}");
}

}  // namespace
}  // namespace nexus::control::admin

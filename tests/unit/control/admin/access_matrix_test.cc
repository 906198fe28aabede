// The authorization matrix: each role against each route family, in its scope and out of it.
// Organization A has teams A1 and A2, organization B team B1; every user has a key of their own.
// Every case runs twice: callers with their virtual keys (and the admin key), and callers with
// an identity provider's JWTs whose claims name the same role and scope (and an admin-role token).
#include <gtest/gtest.h>

#include "admin_jwt_support.h"
#include "admin_test_support.h"
#include "control/admin/json_io.h"

namespace nexus::control::admin {
namespace {

namespace json = boost::json;
using testing::AdminTest;
using testing::kAdminKey;

enum class Credential : uint8_t { kVirtualKey, kJwt };

struct Case {
  const char* caller;  // "admin" or a user's name
  const char* method;
  const char* target;  // "<X>" is replaced by the id named X
  const char* body;
  int status;
};

class AdminAccessTest : public AdminTest, public ::testing::WithParamInterface<Credential> {
 protected:
  void configure(AdminSettings& settings) override {
    if (GetParam() == Credential::kJwt) {
      testing::write_jwks(dir_ / "jwks.json", {&signer_});
      auto identity = JwtIdentity::create(testing::jwt_config(dir_ / "jwks.json"));
      ASSERT_TRUE(identity) << identity.error().message();
      settings.credentials.jwt = std::move(*identity);
    }
  }

  void SetUp() override {
    AdminTest::SetUp();
    ids_["A"] = create("/admin/v1/orgs", R"({"name":"A","budget":{"hard_usd":100}})");
    ids_["B"] = create("/admin/v1/orgs", R"({"name":"B"})");
    ids_["A1"] = create("/admin/v1/teams", R"({"name":"A1","org_id":")" + ids_["A"] + "\"}");
    ids_["A2"] = create("/admin/v1/teams", R"({"name":"A2","org_id":")" + ids_["A"] + "\"}");
    ids_["B1"] = create("/admin/v1/teams", R"({"name":"B1","org_id":")" + ids_["B"] + "\"}");
    secrets_["admin"] = std::string(kAdminKey);
    secrets_["oa"] = user_with_key("oa", ids_["A"], "", "org_admin");
    secrets_["ta"] = user_with_key("ta", ids_["A"], ids_["A1"], "team_admin");
    secrets_["m1"] = user_with_key("m1", ids_["A"], ids_["A1"], "member");
    secrets_["m2"] = user_with_key("m2", ids_["A"], ids_["A1"], "member");
    secrets_["m3"] = user_with_key("m3", ids_["A"], ids_["A2"], "member");
    secrets_["va"] = user_with_key("va", ids_["A"], "", "viewer");
    secrets_["ob"] = user_with_key("ob", ids_["B"], ids_["B1"], "org_admin");
    for (const auto& [name, id] : users_) {
      ids_[name] = id;
      // A second key of each user, to read, change and revoke.
      ids_["k_" + name] = create("/admin/v1/keys", R"({"name":"x","user_id":")" + id + "\"}");
    }
    if (GetParam() == Credential::kJwt) {
      use_tokens();
    }
  }

  // Each caller's secret becomes a token that names its user's role, organization, team and id.
  void use_tokens() {
    json::object admin = testing::good_claims(now_, "root");
    admin["nexus_role"] = "admin";
    secrets_["admin"] = signer_.sign(admin);
    for (const auto& [name, id] : users_) {
      auto found = store_->get_user(id);
      const std::optional<governance::User> user = found ? *found : std::nullopt;
      if (!user) {
        ADD_FAILURE() << "no user " << name;
        continue;
      }
      json::object claims = testing::good_claims(now_, user->id);
      claims["nexus_role"] = role_name(user->role);
      claims["nexus_org"] = user->org_id;
      if (!user->team_id.empty()) {
        claims["nexus_team"] = user->team_id;
      }
      secrets_[name] = signer_.sign(claims);
    }
  }

  std::string expand(std::string text) {
    for (size_t open = text.find('<'); open != std::string::npos; open = text.find('<', open)) {
      const size_t close = text.find('>', open);
      const std::string name = text.substr(open + 1, close - open - 1);
      const std::string value = name == "n" ? std::to_string(++counter_) : ids_.at(name);
      text.replace(open, close - open + 1, value);
      open += value.size();
    }
    return text;
  }

  void check(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
      const std::string target = expand(c.target);
      const std::string body = expand(c.body);
      std::string trace = c.caller;
      trace += " ";
      trace += c.method;
      trace += " ";
      trace += target;
      trace += " ";
      trace += body;
      SCOPED_TRACE(trace);
      const AdminResponse response = call(c.method, target, body, secrets_.at(c.caller));
      EXPECT_EQ(response.status, c.status) << response.body;
      if (response.status == 403) {
        EXPECT_NE(response.body.find(R"("type":"permission_error")"), std::string::npos);
      }
    }
  }

  // The ids a list call returns.
  std::set<std::string> listed(const std::string& caller, const std::string& target) {
    const AdminResponse response = call("GET", expand(target), "", secrets_.at(caller));
    EXPECT_EQ(response.status, 200) << response.body;
    std::set<std::string> ids;
    const json::value body = json::parse(response.body);
    for (const json::value& item : body.at("data").as_array()) {
      ids.insert(std::string(item.at("id").as_string()));
    }
    return ids;
  }

  std::map<std::string, std::string> ids_;
  std::map<std::string, std::string> secrets_;
  int counter_ = 0;
  testing::SigningKey signer_{.alg = "ES256", .kid = "idp-1"};
};

INSTANTIATE_TEST_SUITE_P(Credentials, AdminAccessTest,
                         ::testing::Values(Credential::kVirtualKey, Credential::kJwt),
                         [](const ::testing::TestParamInfo<Credential>& info) {
                           return info.param == Credential::kJwt ? "Jwt" : "VirtualKey";
                         });

TEST_P(AdminAccessTest, Organizations) {
  check({
      {"admin", "GET", "/admin/v1/orgs/<A>", "", 200},
      {"oa", "GET", "/admin/v1/orgs/<A>", "", 200},
      {"ta", "GET", "/admin/v1/orgs/<A>", "", 200},
      {"m1", "GET", "/admin/v1/orgs/<A>", "", 200},
      {"va", "GET", "/admin/v1/orgs/<A>", "", 200},
      {"ob", "GET", "/admin/v1/orgs/<A>", "", 403},
      {"admin", "POST", "/admin/v1/orgs", R"({"name":"C"})", 201},
      {"oa", "POST", "/admin/v1/orgs", R"({"name":"C"})", 403},
      {"va", "POST", "/admin/v1/orgs", R"({"name":"C"})", 403},
      {"m1", "POST", "/admin/v1/orgs", R"({"name":"C"})", 403},
      {"admin", "PATCH", "/admin/v1/orgs/<A>", R"({"limits":{"rpm":10}})", 200},
      {"oa", "PATCH", "/admin/v1/orgs/<A>", R"({"budget":null})", 403},
      {"ta", "PATCH", "/admin/v1/orgs/<A>", R"({"name":"x"})", 403},
      {"va", "PATCH", "/admin/v1/orgs/<A>", R"({"name":"x"})", 403},
      {"oa", "DELETE", "/admin/v1/orgs/<A>", "", 403},
      {"ob", "DELETE", "/admin/v1/orgs/<A>", "", 403},
  });
  EXPECT_EQ(listed("oa", "/admin/v1/orgs"), std::set<std::string>{ids_["A"]});
  EXPECT_EQ(listed("m1", "/admin/v1/orgs"), std::set<std::string>{ids_["A"]});
  EXPECT_EQ(listed("admin", "/admin/v1/orgs").size(), 3U);
}

TEST_P(AdminAccessTest, Teams) {
  check({
      {"oa", "GET", "/admin/v1/teams/<A1>", "", 200},
      {"ta", "GET", "/admin/v1/teams/<A1>", "", 200},
      {"m1", "GET", "/admin/v1/teams/<A1>", "", 200},
      {"va", "GET", "/admin/v1/teams/<A1>", "", 200},
      {"ob", "GET", "/admin/v1/teams/<A1>", "", 403},
      {"ta", "GET", "/admin/v1/teams/<A2>", "", 403},
      {"m1", "GET", "/admin/v1/teams/<A2>", "", 403},
      {"va", "GET", "/admin/v1/teams/<A2>", "", 200},
      {"oa", "POST", "/admin/v1/teams", R"({"name":"A3"})", 201},
      {"ta", "POST", "/admin/v1/teams", R"({"name":"A3"})", 403},
      {"m1", "POST", "/admin/v1/teams", R"({"name":"A3"})", 403},
      {"va", "POST", "/admin/v1/teams", R"({"name":"A3"})", 403},
      {"ob", "POST", "/admin/v1/teams", R"({"name":"A3","org_id":"<A>"})", 403},
      {"oa", "PATCH", "/admin/v1/teams/<A1>", R"({"limits":{"tpm":1000}})", 200},
      {"ta", "PATCH", "/admin/v1/teams/<A1>", R"({"limits":{"tpm":0}})", 403},
      {"ob", "PATCH", "/admin/v1/teams/<A1>", R"({"name":"x"})", 403},
      {"ta", "DELETE", "/admin/v1/teams/<A2>", "", 403},
      {"va", "DELETE", "/admin/v1/teams/<A2>", "", 403},
  });
  EXPECT_EQ(listed("oa", "/admin/v1/teams").size(), 3U);  // A1, A2 and the new A3
  EXPECT_EQ(listed("ta", "/admin/v1/teams"), std::set<std::string>{ids_["A1"]});
  EXPECT_EQ(listed("ob", "/admin/v1/teams"), std::set<std::string>{ids_["B1"]});
  EXPECT_EQ(listed("ob", "/admin/v1/teams?org_id=<A>"), std::set<std::string>{});
}

TEST_P(AdminAccessTest, Users) {
  check({
      {"oa", "GET", "/admin/v1/users/<m2>", "", 200},
      {"ta", "GET", "/admin/v1/users/<m2>", "", 200},
      {"m2", "GET", "/admin/v1/users/<m2>", "", 200},
      {"m1", "GET", "/admin/v1/users/<m2>", "", 403},
      {"va", "GET", "/admin/v1/users/<m2>", "", 200},
      {"ob", "GET", "/admin/v1/users/<m2>", "", 403},
      {"ta", "GET", "/admin/v1/users/<m3>", "", 403},
      {"oa", "POST", "/admin/v1/users", R"({"name":"u<n>","team_id":"<A1>"})", 201},
      {"ta", "POST", "/admin/v1/users", R"({"name":"u<n>","team_id":"<A1>"})", 201},
      {"ta", "POST", "/admin/v1/users", R"({"name":"u<n>","team_id":"<A2>"})", 403},
      {"ta", "POST", "/admin/v1/users", R"({"name":"u<n>","team_id":"<A1>","role":"org_admin"})",
       403},
      {"oa", "POST", "/admin/v1/users", R"({"name":"u<n>","role":"org_admin"})", 201},
      {"oa", "POST", "/admin/v1/users", R"({"name":"u<n>","role":"admin"})", 403},
      {"m1", "POST", "/admin/v1/users", R"({"name":"u<n>","team_id":"<A1>"})", 403},
      {"va", "POST", "/admin/v1/users", R"({"name":"u<n>"})", 403},
      {"ob", "POST", "/admin/v1/users", R"({"name":"u<n>","org_id":"<A>"})", 403},
      {"ta", "PATCH", "/admin/v1/users/<m2>", R"({"role":"viewer"})", 200},
      {"ta", "PATCH", "/admin/v1/users/<m2>", R"({"team_id":"<A2>"})", 403},
      {"ta", "PATCH", "/admin/v1/users/<oa>", R"({"role":"member"})", 403},
      {"m1", "PATCH", "/admin/v1/users/<m1>", R"({"role":"org_admin"})", 403},
      {"va", "PATCH", "/admin/v1/users/<m2>", R"({"name":"x"})", 403},
      {"ob", "PATCH", "/admin/v1/users/<m2>", R"({"name":"x"})", 403},
      {"m1", "DELETE", "/admin/v1/users/<m2>", "", 403},
      {"ta", "DELETE", "/admin/v1/users/<m3>", "", 403},
  });
  EXPECT_EQ(listed("m1", "/admin/v1/users"), std::set<std::string>{ids_["m1"]});
  const std::set<std::string> team = listed("ta", "/admin/v1/users");
  EXPECT_TRUE(team.contains(ids_["m1"]) && team.contains(ids_["m2"]) && team.contains(ids_["ta"]));
  EXPECT_FALSE(team.contains(ids_["m3"]) || team.contains(ids_["oa"]));
  EXPECT_EQ(listed("va", "/admin/v1/users?team_id=<A2>"), std::set<std::string>{ids_["m3"]});
}

TEST_P(AdminAccessTest, Keys) {
  check({
      {"oa", "GET", "/admin/v1/keys/<k_m2>", "", 200},
      {"ta", "GET", "/admin/v1/keys/<k_m2>", "", 200},
      {"m2", "GET", "/admin/v1/keys/<k_m2>", "", 200},
      {"m1", "GET", "/admin/v1/keys/<k_m2>", "", 403},
      {"va", "GET", "/admin/v1/keys/<k_m2>", "", 200},
      {"ob", "GET", "/admin/v1/keys/<k_m2>", "", 403},
      {"ta", "GET", "/admin/v1/keys/<k_m3>", "", 403},
      {"m1", "POST", "/admin/v1/keys", R"({"name":"mine"})", 201},
      {"m1", "POST", "/admin/v1/keys", R"({"name":"theirs","user_id":"<m2>"})", 403},
      {"ta", "POST", "/admin/v1/keys", R"({"name":"theirs","user_id":"<m2>"})", 201},
      {"ta", "POST", "/admin/v1/keys", R"({"name":"theirs","user_id":"<m3>"})", 403},
      {"ta", "POST", "/admin/v1/keys", R"({"name":"team","team_id":"<A1>"})", 201},
      {"oa", "POST", "/admin/v1/keys", R"({"name":"service"})", 201},
      {"va", "POST", "/admin/v1/keys", R"({"name":"x"})", 403},
      {"ob", "POST", "/admin/v1/keys", R"({"name":"x","org_id":"<A>"})", 403},
      {"m2", "PATCH", "/admin/v1/keys/<k_m2>", R"({"name":"renamed"})", 200},
      {"m1", "PATCH", "/admin/v1/keys/<k_m2>", R"({"name":"renamed"})", 403},
      {"va", "PATCH", "/admin/v1/keys/<k_m2>", R"({"name":"renamed"})", 403},
      {"m1", "POST", "/admin/v1/keys/<k_m2>/rotate", "", 403},
      {"va", "POST", "/admin/v1/keys/<k_m2>/rotate", "", 403},
      {"m2", "POST", "/admin/v1/keys/<k_m2>/rotate", R"({"grace_period":60})", 200},
      {"m1", "POST", "/admin/v1/keys/<k_ta>/revoke", "", 403},
      {"va", "POST", "/admin/v1/keys/<k_ta>/revoke", "", 403},
      {"ob", "POST", "/admin/v1/keys/<k_ta>/revoke", "", 403},
      {"ta", "POST", "/admin/v1/keys/<k_m3>/revoke", "", 403},
      {"ta", "POST", "/admin/v1/keys/<k_m1>/revoke", "", 200},
      {"oa", "POST", "/admin/v1/keys/<k_m3>/revoke", "", 200},
  });
  // A member's key is its own even when it names no user.
  const std::set<std::string> own = listed("m1", "/admin/v1/keys");
  EXPECT_EQ(own.size(), 3U);  // the fixture's two and "mine"
  for (const std::string& id : own) {
    EXPECT_EQ(stored_key(id).user_id, ids_["m1"]);
  }
  for (const std::string& id : listed("ta", "/admin/v1/keys")) {
    EXPECT_EQ(stored_key(id).team_id, ids_["A1"]);
  }
  EXPECT_EQ(listed("ob", "/admin/v1/keys").size(), 2U);
  EXPECT_EQ(listed("ob", "/admin/v1/keys?org_id=<A>").size(), 0U);
}

TEST_P(AdminAccessTest, UsageAndBudgets) {
  check({
      {"admin", "GET", "/admin/v1/usage", "", 200},
      {"oa", "GET", "/admin/v1/usage", "", 200},
      {"ta", "GET", "/admin/v1/usage", "", 200},
      {"m1", "GET", "/admin/v1/usage", "", 200},
      {"va", "GET", "/admin/v1/usage", "", 200},
      {"oa", "GET", "/admin/v1/usage?org_id=<A>&group_by=team", "", 200},
      {"va", "GET", "/admin/v1/usage?org_id=<A>", "", 200},
      {"ta", "GET", "/admin/v1/usage?org_id=<A>", "", 403},
      {"m1", "GET", "/admin/v1/usage?org_id=<A>", "", 403},
      {"ob", "GET", "/admin/v1/usage?org_id=<A>", "", 403},
      {"ta", "GET", "/admin/v1/usage?team_id=<A1>&group_by=user", "", 200},
      {"ta", "GET", "/admin/v1/usage?team_id=<A2>", "", 403},
      {"m1", "GET", "/admin/v1/usage?team_id=<A1>", "", 403},
      {"m1", "GET", "/admin/v1/usage?user_id=<m1>&group_by=key", "", 200},
      {"m2", "GET", "/admin/v1/usage?user_id=<m1>", "", 403},
      {"ta", "GET", "/admin/v1/usage?user_id=<m1>", "", 200},
      {"m2", "GET", "/admin/v1/usage?key_id=<k_m2>", "", 200},
      {"m1", "GET", "/admin/v1/usage?key_id=<k_m2>", "", 403},
      {"admin", "GET", "/admin/v1/usage?key_id=key_nope", "", 404},
      {"admin", "GET", "/admin/v1/usage?org_id=<A>&team_id=<A1>", "", 400},
      {"oa", "GET", "/admin/v1/budgets/org/<A>", "", 200},
      {"va", "GET", "/admin/v1/budgets/org/<A>", "", 200},
      {"ta", "GET", "/admin/v1/budgets/org/<A>", "", 403},
      {"m1", "GET", "/admin/v1/budgets/org/<A>", "", 403},
      {"ob", "GET", "/admin/v1/budgets/org/<A>", "", 403},
      {"ta", "GET", "/admin/v1/budgets/team/<A1>", "", 200},
      {"m1", "GET", "/admin/v1/budgets/team/<A1>", "", 403},
      {"m1", "GET", "/admin/v1/budgets/user/<m1>", "", 200},
      {"m2", "GET", "/admin/v1/budgets/user/<m1>", "", 403},
      {"m1", "GET", "/admin/v1/budgets/key/<k_m1>", "", 200},
      {"admin", "GET", "/admin/v1/budgets/planet/<A>", "", 400},
      {"admin", "GET", "/admin/v1/budgets/team/team_nope", "", 404},
  });
}

TEST_P(AdminAccessTest, AuditLog) {
  check({
      {"admin", "GET", "/admin/v1/audit", "", 200},
      {"oa", "GET", "/admin/v1/audit", "", 200},
      {"va", "GET", "/admin/v1/audit", "", 200},
      {"ta", "GET", "/admin/v1/audit", "", 403},
      {"m1", "GET", "/admin/v1/audit", "", 403},
  });
  // Each organization's admins read their own organization's entries only.
  for (const auto& [caller, org] : {std::pair{"oa", "A"}, std::pair{"ob", "B"}}) {
    const json::value page = expect(200, "GET", "/admin/v1/audit?limit=1000", "", secrets_[caller]);
    ASSERT_FALSE(page.at("data").as_array().empty());
    for (const json::value& entry : page.at("data").as_array()) {
      EXPECT_EQ(entry.at("detail").at("org_id").as_string(), ids_[org]) << caller;
    }
  }
}

}  // namespace
}  // namespace nexus::control::admin

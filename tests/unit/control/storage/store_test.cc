// The store's organizations, teams, users and keys, on SQLite and on a real PostgreSQL server
// (store_factories.h): round trips of every field, replacement by id, references checked,
// pagination, the generation counter and live_keys' filtering by time.
#include "governance/store.h"

#include <gtest/gtest.h>

#include <tuple>

#include "store_factories.h"
#include "store_test_support.h"

namespace nexus::governance {
namespace {

using storage::testing::FactoryName;
using storage::testing::must_find;
using storage::testing::StoreFactories;

Controls full_controls() {
  return Controls{
      .limits = {.rpm = 60, .tpm = 100000, .max_parallel = 4},
      .model_limits = {{.model = "gpt-4o", .limits = {.rpm = 10, .tpm = 5000000000ULL}},
                       {.model = "claude", .limits = {.max_parallel = 1}}},
      .budget =
          Budget{.hard = 12'500'000'000, .soft = 10'000'000'000, .period = BudgetPeriod::kWeekly}};
}

auto fields(const Org& org) { return std::tie(org.id, org.name, org.controls, org.created_at); }
auto fields(const Team& team) {
  return std::tie(team.id, team.org_id, team.name, team.controls, team.created_at);
}
auto fields(const User& user) {
  return std::tie(user.id, user.org_id, user.team_id, user.name, user.role, user.controls,
                  user.created_at);
}
auto fields(const VirtualKey& key) {
  return std::tie(key.id, key.hash, key.prefix, key.name, key.org_id, key.team_id, key.user_id,
                  key.allowed_models, key.allowed_ips, key.metadata, key.controls, key.created_at,
                  key.expires_at, key.revoked_at, key.previous_hash, key.previous_valid_until);
}

VirtualKey make_key(const std::string& id, std::string org_id = "org_a") {
  return VirtualKey{.id = id,
                    .hash = "hash-of-" + id,
                    .prefix = "nx-" + id.substr(0, 9),
                    .name = "key " + id,
                    .org_id = std::move(org_id),
                    .metadata = "{}",
                    .created_at = 1000};
}

template <typename Factory>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(factory_.unavailable(), "");
    auto opened = factory_.open();
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
    ASSERT_TRUE(this->store_->put_org({.id = "org_a", .name = "Acme", .created_at = 1}));
  }

  uint64_t generation() {
    auto value = this->store_->generation();
    EXPECT_TRUE(value) << value.error().message();
    return value ? *value : 0;
  }

  Factory factory_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreTest, StoreFactories, FactoryName);

TYPED_TEST(StoreTest, OrgRoundTripsAndIsReplacedById) {
  const Org org{.id = "org_b", .name = "Beta", .controls = full_controls(), .created_at = 42};
  ASSERT_TRUE(this->store_->put_org(org));
  const Org org_read = must_find(this->store_->get_org("org_b"));
  EXPECT_EQ(fields(org_read), fields(org));

  Org renamed = org;
  renamed.name = "Beta Corp";
  renamed.controls = {};
  ASSERT_TRUE(this->store_->put_org(renamed));
  const Org renamed_read = must_find(this->store_->get_org("org_b"));
  EXPECT_EQ(fields(renamed_read), fields(renamed));

  auto missing = this->store_->get_org("org_nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TYPED_TEST(StoreTest, TeamAndUserRoundTrip) {
  const Team team{.id = "team_a",
                  .org_id = "org_a",
                  .name = "Platform",
                  .controls = full_controls(),
                  .created_at = 7};
  ASSERT_TRUE(this->store_->put_team(team));
  const User user{.id = "user_a",
                  .org_id = "org_a",
                  .team_id = "team_a",
                  .name = "ada@example.com",
                  .role = Role::kTeamAdmin,
                  .controls = full_controls(),
                  .created_at = 8};
  const User loner{.id = "user_b", .org_id = "org_a", .name = "bob", .role = Role::kViewer};
  ASSERT_TRUE(this->store_->put_user(user));
  ASSERT_TRUE(this->store_->put_user(loner));

  const Team team_read = must_find(this->store_->get_team("team_a"));
  EXPECT_EQ(fields(team_read), fields(team));
  const User user_read = must_find(this->store_->get_user("user_a"));
  EXPECT_EQ(fields(user_read), fields(user));
  const User loner_read = must_find(this->store_->get_user_by_name("bob"));
  EXPECT_EQ(fields(loner_read), fields(loner)) << "an empty team_id reads back empty";
}

TYPED_TEST(StoreTest, EveryRoleRoundTrips) {
  int n = 0;
  for (const Role role :
       {Role::kAdmin, Role::kOrgAdmin, Role::kTeamAdmin, Role::kMember, Role::kViewer}) {
    const std::string id = "user_" + std::to_string(n++);
    ASSERT_TRUE(this->store_->put_user({.id = id, .org_id = "org_a", .name = id, .role = role}));
    EXPECT_EQ(must_find(this->store_->get_user(id)).role, role);
  }
}

TYPED_TEST(StoreTest, KeyRoundTripsEveryField) {
  ASSERT_TRUE(this->store_->put_team({.id = "team_a", .org_id = "org_a", .name = "T"}));
  ASSERT_TRUE(this->store_->put_user({.id = "user_a", .org_id = "org_a", .name = "ada"}));
  VirtualKey key = make_key("key_a");
  key.team_id = "team_a";
  key.user_id = "user_a";
  key.allowed_models = {"gpt-4o", "claude-\"quoted\""};
  key.allowed_ips = {"10.0.0.0/8", "::1"};
  key.metadata = R"({"env":"prod","tags":["a","b"]})";
  key.controls = full_controls();
  key.expires_at = 5000;
  key.revoked_at = 6000;
  key.previous_hash = "hash-before-key_a";
  key.previous_valid_until = 7000;
  ASSERT_TRUE(this->store_->put_key(key));

  const VirtualKey key_read = must_find(this->store_->get_key("key_a"));
  EXPECT_EQ(fields(key_read), fields(key));
  EXPECT_EQ(must_find(this->store_->get_key_by_hash("hash-of-key_a")).id, "key_a");
  auto unknown = this->store_->get_key_by_hash("hash-of-nothing");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->has_value());
}

TYPED_TEST(StoreTest, ARotatedKeyIsFoundByEitherHashWhateverTheTime) {
  VirtualKey key = make_key("key_a");
  ASSERT_TRUE(
      this->store_->put_key(make_key("key_b")));  // no previous hash: many keys may have none
  ASSERT_TRUE(this->store_->put_key(key));
  EXPECT_TRUE(must_find(this->store_->get_key("key_a")).previous_hash.empty());

  key.previous_hash = key.hash;
  key.previous_valid_until = 5000;
  key.hash = "hash-of-key_a-rotated";
  ASSERT_TRUE(this->store_->put_key(key));
  EXPECT_EQ(must_find(this->store_->get_key_by_hash("hash-of-key_a-rotated")).id, "key_a");
  const VirtualKey by_previous = must_find(this->store_->get_key_by_hash("hash-of-key_a"));
  EXPECT_EQ(by_previous.id, "key_a");
  EXPECT_EQ(by_previous.previous_valid_until, 5000) << "the caller checks the time";
  EXPECT_TRUE(by_previous.hash_valid_at("hash-of-key_a", 4999));
  EXPECT_FALSE(by_previous.hash_valid_at("hash-of-key_a", 5000));
  EXPECT_TRUE(by_previous.hash_valid_at("hash-of-key_a-rotated", 1'000'000));
  EXPECT_EQ(must_find(this->store_->get_key_by_hash("hash-of-key_b")).id, "key_b");

  VirtualKey thief = make_key("key_c");
  thief.previous_hash = "hash-of-key_a";
  auto duplicate = this->store_->put_key(thief);
  ASSERT_FALSE(duplicate) << "a previous hash is unique too";
  EXPECT_EQ(duplicate.error().code(), ErrorCode::kBadRequest);

  auto live = this->store_->live_keys(6000);
  ASSERT_TRUE(live);
  ASSERT_EQ(live->size(), 2U);
  EXPECT_EQ(live->front().previous_hash, "hash-of-key_a") << "live keys carry it";
}

TYPED_TEST(StoreTest, ReferencesAreChecked) {
  auto orphan = this->store_->put_team({.id = "team_x", .org_id = "org_missing", .name = "X"});
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code(), ErrorCode::kBadRequest);
  EXPECT_NE(orphan.error().message().find("put_team"), std::string::npos)
      << orphan.error().message();
  EXPECT_NE(orphan.error().message().find("FOREIGN KEY"), std::string::npos)
      << orphan.error().message();

  ASSERT_TRUE(this->store_->put_user({.id = "user_a", .org_id = "org_a", .name = "ada"}));
  auto same_name = this->store_->put_user({.id = "user_b", .org_id = "org_a", .name = "ada"});
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().code(), ErrorCode::kBadRequest);
  EXPECT_NE(same_name.error().message().find("UNIQUE"), std::string::npos);

  VirtualKey bad_metadata = make_key("key_a");
  bad_metadata.metadata = "{not json";
  auto refused = this->store_->put_key(bad_metadata);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kBadRequest);
  EXPECT_NE(refused.error().message().find("CHECK"), std::string::npos);

  ASSERT_TRUE(this->store_->put_key(make_key("key_a")));
  VirtualKey same_hash = make_key("key_b");
  same_hash.hash = "hash-of-key_a";
  auto duplicate = this->store_->put_key(same_hash);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code(), ErrorCode::kBadRequest);
}

TYPED_TEST(StoreTest, DeletingWhatIsReferencedIsRefusedUntilTheChildrenAreGone) {
  ASSERT_TRUE(this->store_->put_team({.id = "team_a", .org_id = "org_a", .name = "T"}));
  ASSERT_TRUE(this->store_->put_user(
      {.id = "user_a", .org_id = "org_a", .team_id = "team_a", .name = "ada"}));
  VirtualKey key = make_key("key_a");
  key.user_id = "user_a";
  ASSERT_TRUE(this->store_->put_key(key));

  auto refused = this->store_->delete_org("org_a");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kBadRequest);
  EXPECT_FALSE(this->store_->delete_user("user_a"));
  EXPECT_FALSE(this->store_->delete_team("team_a"));

  ASSERT_TRUE(this->store_->delete_key("key_a"));
  ASSERT_TRUE(this->store_->delete_user("user_a"));
  ASSERT_TRUE(this->store_->delete_team("team_a"));
  ASSERT_TRUE(this->store_->delete_org("org_a"));
  auto gone = this->store_->get_org("org_a");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(this->store_->delete_org("org_a")) << "deleting an unknown id is not an error";
}

TYPED_TEST(StoreTest, ListsPageByIdAndFilterByOrganization) {
  ASSERT_TRUE(this->store_->put_org({.id = "org_b", .name = "B"}));
  for (const char* id : {"key_5", "key_1", "key_3", "key_2", "key_4"}) {
    ASSERT_TRUE(this->store_->put_key(make_key(id)));
  }
  ASSERT_TRUE(this->store_->put_key(make_key("key_0", "org_b")));
  ASSERT_TRUE(this->store_->put_key(make_key("key_9", "")));  // a key of no organization

  std::vector<std::string> seen;
  Page page{.limit = 2};
  for (int pages = 0; pages < 10; ++pages) {
    auto keys = this->store_->list_keys("org_a", page);
    ASSERT_TRUE(keys) << keys.error().message();
    if (keys->empty()) {
      break;
    }
    EXPECT_LE(keys->size(), 2U);
    for (const VirtualKey& key : *keys) {
      seen.push_back(key.id);
    }
    page.after = keys->back().id;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"key_1", "key_2", "key_3", "key_4", "key_5"}));

  auto all = this->store_->list_keys("", {.limit = 100});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 7U);
  EXPECT_EQ(all->front().id, "key_0");
  EXPECT_EQ(all->back().id, "key_9");
  EXPECT_EQ(all->back().org_id, "");

  ASSERT_TRUE(this->store_->put_team({.id = "team_2", .org_id = "org_b", .name = "T2"}));
  ASSERT_TRUE(this->store_->put_team({.id = "team_1", .org_id = "org_a", .name = "T1"}));
  auto teams = this->store_->list_teams("org_b", {});
  ASSERT_TRUE(teams);
  ASSERT_EQ(teams->size(), 1U);
  EXPECT_EQ(teams->front().id, "team_2");
  auto orgs = this->store_->list_orgs({.after = "org_a", .limit = 10});
  ASSERT_TRUE(orgs);
  ASSERT_EQ(orgs->size(), 1U);
  EXPECT_EQ(orgs->front().id, "org_b");
  ASSERT_TRUE(this->store_->put_user({.id = "user_1", .org_id = "org_b", .name = "u1"}));
  ASSERT_TRUE(this->store_->put_user({.id = "user_2", .org_id = "org_a", .name = "u2"}));
  auto users = this->store_->list_users("org_a", {});
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 1U);
  EXPECT_EQ(users->front().id, "user_2");
  auto every_user = this->store_->list_users("", {});
  ASSERT_TRUE(every_user);
  EXPECT_EQ(every_user->size(), 2U);
}

TYPED_TEST(StoreTest, GenerationCountsChangesOnly) {
  const uint64_t start = this->generation();
  EXPECT_GE(start, 1U) << "the fixture's put_org counted";
  ASSERT_TRUE(this->store_->put_team({.id = "team_a", .org_id = "org_a", .name = "T"}));
  EXPECT_EQ(this->generation(), start + 1);
  ASSERT_TRUE(this->store_->put_team({.id = "team_a", .org_id = "org_a", .name = "T renamed"}));
  EXPECT_EQ(this->generation(), start + 2);
  ASSERT_TRUE(this->store_->put_key(make_key("key_a")));
  EXPECT_EQ(this->generation(), start + 3);
  ASSERT_TRUE(this->store_->delete_team("team_a"));
  EXPECT_EQ(this->generation(), start + 4);
  ASSERT_TRUE(this->store_->delete_team("team_a"));
  EXPECT_EQ(this->generation(), start + 4) << "deleting nothing changes nothing";
  ASSERT_FALSE(this->store_->put_team({.id = "team_b", .org_id = "org_missing", .name = "B"}));
  EXPECT_EQ(this->generation(), start + 4) << "a refused put is rolled back with its bump";
  const std::vector<UsageRecord> usage{storage::testing::usage_record("req-1", 1, 1)};
  ASSERT_TRUE(this->store_->append_usage(usage));
  ASSERT_TRUE(this->store_->append_audit({.time = 1, .actor = "admin", .action = "x"}));
  EXPECT_EQ(this->generation(), start + 4) << "the ledger and the audit log are not configuration";
}

TYPED_TEST(StoreTest, LiveKeysLeaveOutRevokedAndExpiredKeysAtNow) {
  constexpr UnixMillis kNow = 1'000'000;
  auto with_times = [](const std::string& id, UnixMillis expires_at, UnixMillis revoked_at) {
    VirtualKey key = make_key(id);
    key.expires_at = expires_at;
    key.revoked_at = revoked_at;
    return key;
  };
  ASSERT_TRUE(this->store_->put_key(with_times("key_plain", 0, 0)));
  ASSERT_TRUE(this->store_->put_key(with_times("key_revoked", 0, kNow - 1)));
  ASSERT_TRUE(this->store_->put_key(with_times("key_revoked_now", 0, kNow)));
  ASSERT_TRUE(this->store_->put_key(with_times("key_grace", 0, kNow + 60'000)));  // rotated
  ASSERT_TRUE(this->store_->put_key(with_times("key_expired", kNow - 1, 0)));
  ASSERT_TRUE(this->store_->put_key(with_times("key_expiring", kNow + 1, 0)));

  auto live = this->store_->live_keys(kNow);
  ASSERT_TRUE(live) << live.error().message();
  std::vector<std::string> ids;
  for (const VirtualKey& key : *live) {
    ids.push_back(key.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"key_expiring", "key_grace", "key_plain"}));
}

TYPED_TEST(StoreTest, DataSurvivesReopening) {
  ASSERT_TRUE(this->store_->put_key(make_key("key_a")));
  const uint64_t before = this->generation();
  this->store_.reset();
  auto reopened = this->factory_.open();
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(must_find((*reopened)->get_key("key_a")).id, "key_a");
  auto after = (*reopened)->generation();
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, before);
}

}  // namespace
}  // namespace nexus::governance

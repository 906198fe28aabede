// The store's usage ledger and audit log, on SQLite and on a real PostgreSQL server
// (store_factories.h): records round trip, a request is counted once however often it is
// written, spend() and query_usage() sums are exact, grouping by day follows UTC, pagination is
// by group.
#include <gtest/gtest.h>

#include "governance/store.h"
#include "store_factories.h"
#include "store_test_support.h"

namespace nexus::governance {
namespace {

using storage::testing::FactoryName;
using storage::testing::must_find;
using storage::testing::StoreFactories;
using storage::testing::usage_record;

constexpr UnixMillis kDay = 86'400'000;
constexpr UnixMillis kNov23 = 1'795'392'000'000;  // 2026-11-23T00:00:00Z

template <typename Factory>
class StoreLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(factory_.unavailable(), "");
    auto opened = factory_.open();
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
  }

  void append(std::vector<UsageRecord> records) {
    auto appended = this->store_->append_usage(records);
    ASSERT_TRUE(appended) << appended.error().message();
  }

  NanoUsd spend(ScopeKind scope, std::string_view id, UnixMillis from) {
    auto spent = this->store_->spend(scope, id, from);
    EXPECT_TRUE(spent) << spent.error().message();
    return spent ? *spent : -1;
  }

  std::vector<UsageRow> query(const UsageQuery& usage_query) {
    auto rows = this->store_->query_usage(usage_query);
    EXPECT_TRUE(rows) << rows.error().message();
    return rows ? *rows : std::vector<UsageRow>{};
  }

  Factory factory_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreLedgerTest, StoreFactories, FactoryName);

TYPED_TEST(StoreLedgerTest, ARecordRoundTripsEveryField) {
  const UsageRecord record{.request_id = "req-1",
                           .time = kNov23 + 5,
                           .key_id = "key_a",
                           .user_id = "user_a",
                           .team_id = "",
                           .org_id = "org_a",
                           .model = "claude-sonnet",
                           .provider = "bedrock",
                           .deployment_model = "anthropic.claude-sonnet-4",
                           .usage = {.input = 1200,
                                     .output = 300,
                                     .cache_read = 1000,
                                     .cache_write = 100,
                                     .reasoning = 50},
                           .usage_estimated = true,
                           .cost = 9'223'372'036'854'775'000,  // near the top of int64
                           .latency_ms = 4'000'000'000U,
                           .status = 499};
  this->append({record});
  const UsageRecord got = must_find(this->store_->get_usage("req-1"));
  EXPECT_EQ(std::tie(got.request_id, got.time, got.key_id, got.user_id, got.team_id, got.org_id,
                     got.model, got.provider, got.deployment_model, got.usage_estimated, got.cost,
                     got.latency_ms, got.status),
            std::tie(record.request_id, record.time, record.key_id, record.user_id, record.team_id,
                     record.org_id, record.model, record.provider, record.deployment_model,
                     record.usage_estimated, record.cost, record.latency_ms, record.status));
  EXPECT_TRUE(got.usage == record.usage);
  auto missing = this->store_->get_usage("req-unknown");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TYPED_TEST(StoreLedgerTest, ARequestIsCountedOnceHoweverOftenItIsWritten) {
  this->append({usage_record("req-1", kNov23, 700), usage_record("req-2", kNov23, 300)});
  // A replayed batch, and a retry carrying a different cost: the first write stands.
  this->append({usage_record("req-1", kNov23, 700), usage_record("req-2", kNov23, 300)});
  this->append({usage_record("req-2", kNov23, 999'999), usage_record("req-3", kNov23, 5)});
  // The same id twice in one batch.
  this->append({usage_record("req-4", kNov23, 1), usage_record("req-4", kNov23, 1)});

  EXPECT_EQ(this->spend(ScopeKind::kKey, "key_a", 0), 700 + 300 + 5 + 1);
  auto rows = this->query({.group_by = UsageGroup::kKey});
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].requests, 4U);
  EXPECT_EQ(must_find(this->store_->get_usage("req-2")).cost, 300);
}

TYPED_TEST(StoreLedgerTest, SpendSumsOneScopeFromATime) {
  auto record = [](std::string id, UnixMillis time, NanoUsd cost, std::string key,
                   std::string team) {
    UsageRecord usage = usage_record(std::move(id), time, cost);
    usage.key_id = std::move(key);
    usage.team_id = std::move(team);
    usage.user_id = "user_" + usage.key_id;
    return usage;
  };
  this->append({record("r1", kNov23 - 1, 1'000'000'000, "key_a", "team_a"),
                record("r2", kNov23, 2'000'000'001, "key_a", "team_a"),
                record("r3", kNov23 + kDay, 40, "key_b", "team_a"),
                record("r4", kNov23 + kDay, 7, "key_c", "team_b")});

  EXPECT_EQ(this->spend(ScopeKind::kKey, "key_a", 0), 3'000'000'001);
  EXPECT_EQ(this->spend(ScopeKind::kKey, "key_a", kNov23), 2'000'000'001) << "`from` is inclusive";
  EXPECT_EQ(this->spend(ScopeKind::kTeam, "team_a", kNov23), 2'000'000'041);
  EXPECT_EQ(this->spend(ScopeKind::kUser, "user_key_b", 0), 40);
  EXPECT_EQ(this->spend(ScopeKind::kOrg, "org_a", 0), 3'000'000'048);
  EXPECT_EQ(this->spend(ScopeKind::kOrg, "org_a", kNov23 + 2 * kDay), 0);
  EXPECT_EQ(this->spend(ScopeKind::kTeam, "team_unknown", 0), 0);
}

TYPED_TEST(StoreLedgerTest, UsageSumsByModelAreExact) {
  UsageRecord a = usage_record("r1", kNov23, 3);
  a.usage = {.input = 10, .output = 5, .cache_read = 4, .cache_write = 1, .reasoning = 2};
  UsageRecord b = usage_record("r2", kNov23 + 1, 4);
  b.usage = {.input = 20, .output = 6, .cache_read = 0, .cache_write = 3, .reasoning = 1};
  UsageRecord c = usage_record("r3", kNov23 + 2, 11);
  c.model = "claude";
  c.usage = {.input = 1, .output = 1};
  this->append({a, b, c});

  auto rows = this->query({.group_by = UsageGroup::kModel});
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].group, "claude");
  EXPECT_EQ(rows[0].requests, 1U);
  EXPECT_EQ(rows[0].cost, 11);
  EXPECT_EQ(rows[1].group, "gpt-4o");
  EXPECT_EQ(rows[1].requests, 2U);
  EXPECT_EQ(rows[1].cost, 7);
  EXPECT_TRUE(
      rows[1].usage ==
      (llm::Usage{.input = 30, .output = 11, .cache_read = 4, .cache_write = 4, .reasoning = 3}));
}

TYPED_TEST(StoreLedgerTest, DaysAreUtcCalendarDaysAndTheRangeIsHalfOpen) {
  this->append({usage_record("r1", kNov23 - 1, 1),  // 2026-11-22T23:59:59.999Z
                usage_record("r2", kNov23, 2),      // 2026-11-23T00:00:00.000Z
                usage_record("r3", kNov23 + kDay - 1, 4), usage_record("r4", kNov23 + kDay, 8)});

  auto rows = this->query({.group_by = UsageGroup::kDay});
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].group, "2026-11-22");
  EXPECT_EQ(rows[0].cost, 1);
  EXPECT_EQ(rows[1].group, "2026-11-23");
  EXPECT_EQ(rows[1].cost, 6);
  EXPECT_EQ(rows[1].requests, 2U);
  EXPECT_EQ(rows[2].group, "2026-11-24");

  rows = this->query({.group_by = UsageGroup::kDay, .from = kNov23, .to = kNov23 + kDay});
  ASSERT_EQ(rows.size(), 1U) << "`to` is exclusive";
  EXPECT_EQ(rows[0].group, "2026-11-23");
  EXPECT_EQ(rows[0].cost, 6);
}

TYPED_TEST(StoreLedgerTest, UsageFiltersByScopeAndPagesByGroup) {
  std::vector<UsageRecord> records;
  for (int i = 0; i < 5; ++i) {
    UsageRecord record = usage_record("r" + std::to_string(i), kNov23, 10 + i);
    record.key_id = "key_" + std::to_string(i);
    record.team_id = i < 3 ? "team_a" : "team_b";
    records.push_back(record);
  }
  UsageRecord teamless = usage_record("r-none", kNov23, 100);
  teamless.team_id = "";
  teamless.key_id = "key_9";
  records.push_back(teamless);
  this->append(records);

  auto team_a = this->query({.group_by = UsageGroup::kKey,
                             .scope = ScopeKind::kTeam,
                             .scope_id = "team_a",
                             .page = {.limit = 100}});
  ASSERT_EQ(team_a.size(), 3U);
  EXPECT_EQ(team_a[2].group, "key_2");

  std::vector<std::string> groups;
  UsageQuery paged{.group_by = UsageGroup::kKey, .page = {.limit = 2}};
  for (int pages = 0; pages < 10; ++pages) {
    auto rows = this->query(paged);
    if (rows.empty()) {
      break;
    }
    EXPECT_LE(rows.size(), 2U);
    for (const UsageRow& row : rows) {
      groups.push_back(row.group);
    }
    paged.page.after = rows.back().group;
  }
  EXPECT_EQ(groups,
            (std::vector<std::string>{"key_0", "key_1", "key_2", "key_3", "key_4", "key_9"}));

  auto by_team = this->query({.group_by = UsageGroup::kTeam});
  ASSERT_EQ(by_team.size(), 3U);
  EXPECT_EQ(by_team[0].group, "") << "requests of no team are a group of their own, first";
  EXPECT_EQ(by_team[0].cost, 100);
  EXPECT_EQ(by_team[1].cost, 10 + 11 + 12);
  EXPECT_EQ(by_team[2].cost, 13 + 14);
}

TYPED_TEST(StoreLedgerTest, AuditEntriesListInOrderFromATime) {
  ASSERT_TRUE(this->store_->append_audit({.time = 20,
                                          .actor = "admin",
                                          .action = "key.create",
                                          .target = "key_a",
                                          .detail = R"({"name":"ci"})"}));
  ASSERT_TRUE(this->store_->append_audit(
      {.time = 10, .actor = "user_a", .action = "team.update", .target = "team_a"}));
  ASSERT_TRUE(this->store_->append_audit(
      {.time = 20, .actor = "admin", .action = "key.revoke", .target = "key_a"}));

  auto all = this->store_->list_audit(0, 10);
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].action, "team.update");
  EXPECT_EQ((*all)[0].detail, "{}") << "no detail is stored as an empty object";
  EXPECT_EQ((*all)[1].action, "key.create") << "equal times keep the order appended";
  EXPECT_EQ((*all)[1].detail, R"({"name":"ci"})");
  EXPECT_EQ((*all)[1].actor, "admin");
  EXPECT_EQ((*all)[1].target, "key_a");
  EXPECT_EQ((*all)[2].action, "key.revoke");

  auto later = this->store_->list_audit(15, 1);
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1U);
  EXPECT_EQ((*later)[0].action, "key.create");
}

}  // namespace
}  // namespace nexus::governance

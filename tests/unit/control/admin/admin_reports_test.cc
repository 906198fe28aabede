// Lists page by `after`/`limit` without skipping or repeating; usage sums from the ledger;
// budget state for the current calendar period; the audit log's cursor.
#include <gtest/gtest.h>

#include "admin_test_support.h"

namespace nexus::control::admin {
namespace {

namespace json = boost::json;
using testing::AdminTest;

class AdminReportsTest : public AdminTest {
 protected:
  // Every item of a list, page by page; the pages' sizes go to `sizes`.
  std::vector<std::string> walk(const std::string& target, std::vector<size_t>& sizes,
                                std::string_view key = testing::kAdminKey,
                                std::string_view field = "id") {
    std::vector<std::string> items;
    std::string after;
    for (int page = 0; page < 20; ++page) {
      std::string page_target = target;
      page_target += target.find('?') == std::string::npos ? "?after=" : "&after=";
      page_target += after;
      const json::value body = expect(200, "GET", page_target, "", key);
      sizes.push_back(body.at("data").as_array().size());
      for (const json::value& item : body.at("data").as_array()) {
        items.emplace_back(item.at(field).as_string());
      }
      if (body.at("next").is_null()) {
        return items;
      }
      after = std::string(body.at("next").as_string());
    }
    ADD_FAILURE() << "more than 20 pages";
    return items;
  }

  governance::UsageRecord record(std::string id, UnixMillis time, std::string model,
                                 governance::NanoUsd cost) {
    governance::UsageRecord usage;
    usage.request_id = std::move(id);
    usage.time = time;
    usage.key_id = key_;
    usage.user_id = user_;
    usage.team_id = team_;
    usage.org_id = org_;
    usage.model = std::move(model);
    usage.provider = "openai";
    usage.deployment_model = "gpt-4o-2024-08-06";
    usage.usage = {.input = 100, .output = 20, .cache_read = 0, .cache_write = 0, .reasoning = 0};
    usage.cost = cost;
    usage.latency_ms = 250;
    usage.status = 200;
    return usage;
  }

  void make_scope() {
    org_ = create("/admin/v1/orgs", R"({"name":"o","budget":{"hard_usd":10,"soft_usd":2}})");
    team_ = create("/admin/v1/teams", R"({"name":"t","org_id":")" + org_ + "\"}");
    user_ = create("/admin/v1/users", R"({"name":"u","team_id":")" + team_ + "\"}");
    key_ = create("/admin/v1/keys", R"({"name":"k","user_id":")" + user_ +
                                        R"(","budget":{"hard_usd":1,"period":"daily"}})");
  }

  std::string org_, team_, user_, key_;
};

TEST_F(AdminReportsTest, ListsPageByIdWithoutSkippingOrRepeating) {
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) {
    made.insert(create("/admin/v1/orgs", R"({"name":"o"})"));
  }
  std::vector<size_t> sizes;
  const std::vector<std::string> seen = walk("/admin/v1/orgs?limit=2", sizes);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), made);
  EXPECT_EQ(seen.size(), 5U);
  EXPECT_TRUE(std::ranges::is_sorted(seen));
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));
}

TEST_F(AdminReportsTest, AFilteredListFillsItsPagesFromLaterOnes) {
  const std::string org = create("/admin/v1/orgs", R"({"name":"o"})");
  const std::string mine = user_with_key("mine", org, "", "member");
  const std::string other = create("/admin/v1/users", R"({"name":"x","org_id":")" + org + "\"}");
  std::set<std::string> own;
  for (int i = 0; i < 12; ++i) {
    const std::string owner = i % 3 == 0 ? users_["mine"] : other;
    const std::string id = create("/admin/v1/keys", R"({"name":"k","user_id":")" + owner + "\"}");
    if (owner == users_["mine"]) {
      own.insert(id);
    }
  }
  std::vector<size_t> sizes;
  const std::vector<std::string> seen = walk("/admin/v1/keys?limit=2", sizes, mine);
  EXPECT_EQ(seen.size(), 5U);  // four here and the one user_with_key made
  for (const std::string& id : own) {
    EXPECT_NE(std::ranges::find(seen, id), seen.end());
  }
  EXPECT_EQ(sizes.front(), 2U) << "a page is full while the member has more keys";
}

TEST_F(AdminReportsTest, SumsUsageByDimensionAndPagesByGroup) {
  make_scope();
  const UnixMillis day = 86'400'000;
  std::vector<governance::UsageRecord> records;
  records.reserve(10);
  const char* models[] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 10; ++i) {
    records.push_back(
        record("req-" + std::to_string(i), now_ - 1 - (i % 2) * day, models[i % 5], 1'000'000));
  }
  ASSERT_TRUE(store_->append_usage(records));

  const json::value by_day = expect(200, "GET", "/admin/v1/usage?group_by=day");
  ASSERT_EQ(by_day.at("data").as_array().size(), 2U);
  EXPECT_EQ(by_day.at("data").at(0).at("group").as_string(), "2026-03-14");
  EXPECT_EQ(by_day.at("data").at(1).at("requests").as_int64(), 5);
  EXPECT_EQ(by_day.at("data").at(1).at("input_tokens").as_int64(), 500);
  EXPECT_EQ(by_day.at("data").at(1).at("cost_usd").to_number<double>(), 0.005);

  std::vector<size_t> sizes;
  const std::vector<std::string> groups = walk(
      "/admin/v1/usage?group_by=model&limit=2&org_id=" + org_, sizes, testing::kAdminKey, "group");
  EXPECT_EQ(groups, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));

  const json::value today =
      expect(200, "GET", "/admin/v1/usage?group_by=key&from=2026-03-15&to=2026-03-16");
  ASSERT_EQ(today.at("data").as_array().size(), 1U);
  EXPECT_EQ(today.at("data").at(0).at("group").as_string(), key_);
  EXPECT_EQ(today.at("data").at(0).at("requests").as_int64(), 5);
  expect(400, "GET", "/admin/v1/usage?from=yesterday");
}

TEST_F(AdminReportsTest, ReportsABudgetsSpendInTheCurrentPeriod) {
  make_scope();
  const UnixMillis march_1 = at("2026-03-01T00:00:00Z");
  ASSERT_TRUE(store_->append_usage(std::vector{
      record("feb", march_1 - 1, "a", 5'000'000'000),  // last month: not counted
      record("mar-1", march_1, "a", 1'250'000'000),    // the first millisecond counts
      record("mar-14", now_ - 86'400'000, "a", 500'000'000),
      record("today", now_ - 1, "a", 750'000'000),
  }));
  const json::value org = expect(200, "GET", "/admin/v1/budgets/org/" + org_);
  EXPECT_EQ(org.at("budget").at("hard_usd").to_number<double>(), 10.0);
  EXPECT_EQ(org.at("budget").at("period").as_string(), "monthly");
  EXPECT_EQ(org.at("period").at("start").as_string(), "2026-03-01T00:00:00Z");
  EXPECT_EQ(org.at("period").at("end").as_string(), "2026-04-01T00:00:00Z");
  EXPECT_EQ(org.at("resets_at").as_string(), "2026-04-01T00:00:00Z");
  EXPECT_EQ(org.at("spend_usd").to_number<double>(), 2.5);
  EXPECT_EQ(org.at("remaining_usd").to_number<double>(), 7.5);
  EXPECT_TRUE(org.at("soft_exceeded").as_bool());
  EXPECT_FALSE(org.at("hard_exceeded").as_bool());

  const json::value key = expect(200, "GET", "/admin/v1/budgets/key/" + key_);
  EXPECT_EQ(key.at("period").at("start").as_string(), "2026-03-15T00:00:00Z");
  EXPECT_EQ(key.at("spend_usd").to_number<double>(), 0.75);

  const json::value team = expect(200, "GET", "/admin/v1/budgets/team/" + team_);
  EXPECT_TRUE(team.at("budget").is_null());
  EXPECT_TRUE(team.at("spend_usd").is_null());
  EXPECT_EQ(team.at("limits").at("rpm").as_int64(), 0);
}

TEST_F(AdminReportsTest, TheAuditCursorNeitherSkipsNorRepeatsEntriesOfOneMillisecond) {
  // Seven changes in the same millisecond, then three later: pages of three.
  for (int i = 0; i < 7; ++i) {
    create("/admin/v1/orgs", R"({"name":"same"})");
  }
  now_ += 5;
  for (int i = 0; i < 3; ++i) {
    create("/admin/v1/orgs", R"({"name":"later"})");
  }
  std::vector<size_t> sizes;
  const std::vector<std::string> targets =
      walk("/admin/v1/audit?limit=3", sizes, testing::kAdminKey, "target");
  EXPECT_EQ(targets.size(), 10U);
  EXPECT_EQ(std::set<std::string>(targets.begin(), targets.end()).size(), 10U);
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 1}));
  const json::value from = expect(200, "GET", "/admin/v1/audit?from=2026-03-15T12:00:00.005Z");
  EXPECT_EQ(from.at("data").as_array().size(), 3U);
  expect(400, "GET", "/admin/v1/audit?after=garbage");
}

}  // namespace
}  // namespace nexus::control::admin

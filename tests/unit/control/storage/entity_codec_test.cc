// The shared row codec (entity_codec.h) and ledger statements (ledger_sql.h) without a database:
// what a writer fills is what the reader of the same column list reads back, column for column,
// and the statements built for each dialect number their parameters as the stores bind them.
// The stores' own tests (store_test.cc, store_ledger_test.cc) run the same code on SQLite and
// PostgreSQL.
#include "control/storage/entity_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "control/storage/ledger_sql.h"

namespace nexus::storage {
namespace {

using governance::AuditEntry;
using governance::UsageQuery;
using governance::UsageRecord;
using governance::User;
using governance::VirtualKey;

// The parameters a writer gave, then read back as the row of a SELECT of the same columns
// (NULL as a database returns it: "" and 0).
class RecordedRow final : public ParamWriter, public RowReader {
 public:
  using ParamWriter::add;
  RecordedRow& add(std::string_view text) override {
    values_.emplace_back(std::string(text));
    return *this;
  }
  RecordedRow& add(int64_t value) override {
    values_.emplace_back(value);
    return *this;
  }
  RecordedRow& add(bool value) override {
    values_.emplace_back(int64_t{value ? 1 : 0});
    return *this;
  }
  RecordedRow& add_id_or_null(std::string_view id) override {
    values_.emplace_back(id.empty() ? Value(std::monostate()) : Value(std::string(id)));
    return *this;
  }

  [[nodiscard]] std::string text(int column) const override {
    const auto* text = std::get_if<std::string>(&values_.at(column));
    return text != nullptr ? *text : std::string();
  }
  [[nodiscard]] int64_t int64(int column) const override {
    const auto* value = std::get_if<int64_t>(&values_.at(column));
    return value != nullptr ? *value : 0;
  }
  [[nodiscard]] bool boolean(int column) const override { return int64(column) != 0; }

  [[nodiscard]] size_t size() const { return values_.size(); }
  [[nodiscard]] bool is_null(int column) const {
    return std::holds_alternative<std::monostate>(values_.at(column));
  }

 private:
  using Value = std::variant<std::monostate, std::string, int64_t>;
  std::vector<Value> values_;
};

size_t column_count(std::string_view columns) {
  return static_cast<size_t>(std::ranges::count(columns, ',')) + 1;
}

TEST(EntityCodecTest, AKeyReadsBackAsWrittenAndFillsItsColumnList) {
  const VirtualKey key{.id = "key_1",
                       .hash = "h1",
                       .prefix = "nx-abc",
                       .name = "ci",
                       .org_id = "org_1",
                       .team_id = "",
                       .user_id = "user_1",
                       .allowed_models = {"gpt-4o", "claude"},
                       .allowed_ips = {"10.0.0.0/8"},
                       .metadata = R"({"env":"ci"})",
                       .controls = {.limits = {.rpm = 60}},
                       .created_at = 1000,
                       .expires_at = 2000,
                       .revoked_at = 0,
                       .previous_hash = "h0",
                       .previous_valid_until = 1500};
  RecordedRow row;
  write_key(row, key);
  ASSERT_EQ(row.size(), column_count(kKeyColumns));
  EXPECT_TRUE(row.is_null(5)) << "a key of no team writes NULL, so the foreign key holds";
  auto read = read_key(row);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read->id, key.id);
  EXPECT_EQ(read->hash, key.hash);
  EXPECT_EQ(read->prefix, key.prefix);
  EXPECT_EQ(read->name, key.name);
  EXPECT_EQ(read->org_id, key.org_id);
  EXPECT_EQ(read->team_id, key.team_id);
  EXPECT_EQ(read->user_id, key.user_id);
  EXPECT_EQ(read->allowed_models, key.allowed_models);
  EXPECT_EQ(read->allowed_ips, key.allowed_ips);
  EXPECT_EQ(read->metadata, key.metadata);
  EXPECT_EQ(read->controls, key.controls);
  EXPECT_EQ(read->created_at, key.created_at);
  EXPECT_EQ(read->expires_at, key.expires_at);
  EXPECT_EQ(read->revoked_at, key.revoked_at);
  EXPECT_EQ(read->previous_hash, key.previous_hash);
  EXPECT_EQ(read->previous_valid_until, key.previous_valid_until);
}

TEST(EntityCodecTest, AUserWithAnUnknownRoleIsADamagedRow) {
  RecordedRow row;
  write_user(row, User{.id = "user_1", .org_id = "org_1", .name = "a@example.com"});
  ASSERT_EQ(row.size(), column_count(kUserColumns));
  ASSERT_TRUE(read_user(row));

  RecordedRow damaged;
  damaged.add("user_2").add("org_1").add("").add("b@example.com").add("overlord").add("{}");
  damaged.add(int64_t{0});
  auto read = read_user(damaged);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), ErrorCode::kInternal);
  EXPECT_NE(read.error().message().find("user_2 has an unknown role"), std::string::npos);
}

TEST(EntityCodecTest, AUsageRecordReadsBackAsWritten) {
  const UsageRecord record{
      .request_id = "req_1",
      .time = 1234,
      .key_id = "key_1",
      .user_id = "user_1",
      .team_id = "team_1",
      .org_id = "org_1",
      .model = "gpt-4o",
      .provider = "openai",
      .deployment_model = "gpt-4o-2024-08-06",
      .usage = {.input = 1, .output = 2, .cache_read = 3, .cache_write = 4, .reasoning = 5},
      .usage_estimated = true,
      .cost = 42,
      .latency_ms = 250,
      .status = 499};
  RecordedRow row;
  write_usage(row, record);
  ASSERT_EQ(row.size(), static_cast<size_t>(kUsageColumnCount));
  ASSERT_EQ(column_count(kUsageColumns), static_cast<size_t>(kUsageColumnCount));
  const UsageRecord read = read_usage(row);
  EXPECT_EQ(read.request_id, record.request_id);
  EXPECT_EQ(read.time, record.time);
  EXPECT_EQ(read.deployment_model, record.deployment_model);
  EXPECT_EQ(read.usage.input, 1U);
  EXPECT_EQ(read.usage.reasoning, 5U);
  EXPECT_TRUE(read.usage_estimated);
  EXPECT_EQ(read.cost, 42);
  EXPECT_EQ(read.latency_ms, 250U);
  EXPECT_EQ(read.status, 499);
}

TEST(EntityCodecTest, AnAuditEntryWithoutDetailWritesAnEmptyObject) {
  RecordedRow row;
  write_audit(row, AuditEntry{.time = 5, .actor = "admin", .action = "key.create", .target = "k"});
  ASSERT_EQ(row.size(), column_count(kAuditColumns));
  EXPECT_EQ(read_audit(row).detail, "{}");
}

TEST(EntityCodecTest, AnUpsertReplacesEveryColumnButTheId) {
  EXPECT_EQ(upsert_sql("orgs", kOrgColumns, '$'),
            "INSERT INTO orgs (id, name, controls, created_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, controls = excluded.controls, "
            "created_at = excluded.created_at");
  const std::string keys = upsert_sql("keys", kKeyColumns, '?');
  EXPECT_NE(keys.find("?16)"), std::string::npos) << keys;
  EXPECT_EQ(keys.find("?17"), std::string::npos) << keys;
  EXPECT_EQ(keys.find("id = excluded.id,"), std::string::npos) << keys;
  EXPECT_NE(keys.find("previous_valid_until = excluded.previous_valid_until"), std::string::npos);
}

TEST(LedgerSqlTest, ABatchInsertNumbersEveryRowsParameters) {
  const SqlDialect postgres{.sigil = '$', .text_param = "::text", .utc_day = "day"};
  const std::string sql = insert_usage_sql(postgres, 2);
  EXPECT_NE(sql.find("($1, $2,"), std::string::npos) << sql;
  EXPECT_NE(sql.find("$18), ($19, "), std::string::npos) << sql;
  EXPECT_NE(sql.find("$36) ON CONFLICT (request_id) DO NOTHING"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("$37"), std::string::npos) << sql;
}

TEST(LedgerSqlTest, AUsageQueryBindsItsParametersInEachDialect) {
  const SqlDialect sqlite{.sigil = '?', .text_param = "", .utc_day = "sqlite_day(time)"};
  const SqlDialect postgres{.sigil = '$', .text_param = "::text", .utc_day = "pg_day(time)"};
  UsageQuery query{.group_by = governance::UsageGroup::kDay};
  EXPECT_EQ(usage_query_sql(sqlite, query),
            "SELECT sqlite_day(time) AS grp, COUNT(*), SUM(input_tokens), SUM(output_tokens), "
            "SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost) "
            "FROM usage WHERE time >= ?1 AND time < ?2 AND (?3 = '' OR sqlite_day(time) > ?3) "
            "GROUP BY grp ORDER BY grp LIMIT ?4");
  query.group_by = governance::UsageGroup::kModel;
  query.scope = governance::ScopeKind::kTeam;
  const std::string sql = usage_query_sql(postgres, query);
  EXPECT_NE(sql.find("($3::text = '' OR model > $3::text) AND team_id = $5 GROUP BY"),
            std::string::npos)
      << sql;
  EXPECT_EQ(spend_sql(postgres, governance::ScopeKind::kUser),
            "SELECT COALESCE(SUM(cost), 0) FROM usage WHERE user_id = $1 AND time >= $2");
}

}  // namespace
}  // namespace nexus::storage

#include "control/storage/ledger_sql.h"

#include "control/storage/entity_codec.h"

namespace nexus::storage {
namespace {

using governance::ScopeKind;
using governance::UsageGroup;
using governance::UsageQuery;

void append_placeholder(std::string& sql, const SqlDialect& dialect, int parameter) {
  sql += dialect.sigil;
  sql += std::to_string(parameter);
}

std::string_view scope_column(ScopeKind scope) {
  switch (scope) {
    case ScopeKind::kOrg:
      return "org_id";
    case ScopeKind::kTeam:
      return "team_id";
    case ScopeKind::kUser:
      return "user_id";
    case ScopeKind::kKey:
      return "key_id";
  }
  return "key_id";
}

std::string_view group_expression(const SqlDialect& dialect, UsageGroup group) {
  switch (group) {
    case UsageGroup::kKey:
      return "key_id";
    case UsageGroup::kUser:
      return "user_id";
    case UsageGroup::kTeam:
      return "team_id";
    case UsageGroup::kOrg:
      return "org_id";
    case UsageGroup::kModel:
      return "model";
    case UsageGroup::kDay:
      return dialect.utc_day;
  }
  return "model";
}

}  // namespace

std::string insert_usage_sql(const SqlDialect& dialect, size_t rows) {
  std::string sql = "INSERT INTO usage (";
  sql += kUsageColumns;
  sql += ") VALUES ";
  for (size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    append_placeholders(sql, dialect.sigil, static_cast<int>(row) * kUsageColumnCount + 1,
                        kUsageColumnCount);
    sql += ")";
  }
  sql += " ON CONFLICT (request_id) DO NOTHING";
  return sql;
}

std::string spend_sql(const SqlDialect& dialect, ScopeKind scope) {
  std::string sql = "SELECT COALESCE(SUM(cost), 0) FROM usage WHERE ";
  sql += scope_column(scope);
  sql += " = ";
  append_placeholder(sql, dialect, 1);
  sql += " AND time >= ";
  append_placeholder(sql, dialect, 2);
  return sql;
}

std::string usage_query_sql(const SqlDialect& dialect, const UsageQuery& query) {
  const std::string_view group = group_expression(dialect, query.group_by);
  std::string after;  // parameter 3, typed where the dialect needs it
  append_placeholder(after, dialect, 3);
  after += dialect.text_param;

  std::string sql = "SELECT ";
  sql += group;
  sql +=
      " AS grp, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), "
      "SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost) FROM usage WHERE time >= ";
  append_placeholder(sql, dialect, 1);
  sql += " AND time < ";
  append_placeholder(sql, dialect, 2);
  sql += " AND (";
  sql += after;
  sql += " = '' OR ";
  sql += group;
  sql += " > ";
  sql += after;
  sql += ")";
  if (query.scope) {
    sql += " AND ";
    sql += scope_column(*query.scope);
    sql += " = ";
    append_placeholder(sql, dialect, 5);
  }
  sql += " GROUP BY grp ORDER BY grp LIMIT ";
  append_placeholder(sql, dialect, 4);
  return sql;
}

}  // namespace nexus::storage

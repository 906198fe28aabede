// PostgresStore: the usage ledger and the audit log.
#include <limits>

#include "control/storage/postgres_store.h"

namespace nexus::storage {
namespace {

using governance::AuditEntry;
using governance::NanoUsd;
using governance::ScopeKind;
using governance::UnixMillis;
using governance::UsageGroup;
using governance::UsageQuery;
using governance::UsageRecord;
using governance::UsageRow;

// Rows per INSERT statement: 18 parameters each, well under the protocol's 65535 per statement,
// and one round trip for a typical batch (governance.ledger_batch defaults to 500).
constexpr size_t kRowsPerInsert = 1000;
constexpr size_t kUsageColumns = 18;

// Token counts are uint64 in memory and BIGINT (int64) in the table; no real count comes near the
// limit, a corrupt one is clamped rather than stored negative.
int64_t as_int64(uint64_t count) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(count > kMax ? kMax : count);
}

uint64_t as_count(int64_t value) { return value < 0 ? 0 : static_cast<uint64_t>(value); }

// The SQL of a scope's or group's column: constants chosen by enum, never caller text.
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

// Days are UTC calendar days, "YYYY-MM-DD": computed on a timestamp WITHOUT time zone from the
// epoch, so the session's TimeZone plays no part; COLLATE "C" orders them as SQLite does.
std::string_view group_expression(UsageGroup group) {
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
      return "(to_char(TIMESTAMP '1970-01-01 00:00:00' + (time / 1000) * INTERVAL '1 second', "
             "'YYYY-MM-DD') COLLATE \"C\")";
  }
  return "model";
}

// $1 from, $2 to, $3 after ("" on the first page), $4 limit, $5 the scope's id.
std::string usage_query_sql(const UsageQuery& query) {
  const std::string_view group = group_expression(query.group_by);
  std::string sql = "SELECT ";
  sql += group;
  sql +=
      " AS grp, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), "
      "SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost) FROM usage "
      "WHERE time >= $1 AND time < $2 AND ($3::text = '' OR ";
  sql += group;
  sql += " > $3::text)";
  if (query.scope) {
    sql += " AND ";
    sql += scope_column(*query.scope);
    sql += " = $5";
  }
  sql += " GROUP BY grp ORDER BY grp LIMIT $4";
  return sql;
}

// INSERT of `rows` records, ON CONFLICT DO NOTHING: a request id already present (or twice in
// the batch) is skipped, the first write stands. Placeholders only: the text depends on the count.
std::string insert_usage_sql(size_t rows) {
  std::string sql =
      "INSERT INTO usage (request_id, time, key_id, user_id, team_id, org_id, model, "
      "provider, deployment_model, input_tokens, output_tokens, cache_read_tokens, "
      "cache_write_tokens, reasoning_tokens, usage_estimated, cost, latency_ms, status) VALUES ";
  size_t parameter = 1;
  for (size_t row = 0; row < rows; ++row) {
    sql += row == 0 ? "(" : ", (";
    for (size_t column = 0; column < kUsageColumns; ++column) {
      sql += column == 0 ? "$" : ", $";
      sql += std::to_string(parameter++);
    }
    sql += ")";
  }
  sql += " ON CONFLICT (request_id) DO NOTHING";
  return sql;
}

void add_usage(PgParams& params, const UsageRecord& record) {
  params.add(record.request_id)
      .add(record.time)
      .add(record.key_id)
      .add(record.user_id)
      .add(record.team_id)
      .add(record.org_id)
      .add(record.model)
      .add(record.provider)
      .add(record.deployment_model)
      .add(as_int64(record.usage.input))
      .add(as_int64(record.usage.output))
      .add(as_int64(record.usage.cache_read))
      .add(as_int64(record.usage.cache_write))
      .add(as_int64(record.usage.reasoning))
      .add(record.usage_estimated)
      .add(record.cost)
      .add(int64_t{record.latency_ms})
      .add(int64_t{record.status});
}

UsageRecord read_usage(const PgRow& row) {
  return UsageRecord{.request_id = row.text(0),
                     .time = row.int64(1),
                     .key_id = row.text(2),
                     .user_id = row.text(3),
                     .team_id = row.text(4),
                     .org_id = row.text(5),
                     .model = row.text(6),
                     .provider = row.text(7),
                     .deployment_model = row.text(8),
                     .usage = {.input = as_count(row.int64(9)),
                               .output = as_count(row.int64(10)),
                               .cache_read = as_count(row.int64(11)),
                               .cache_write = as_count(row.int64(12)),
                               .reasoning = as_count(row.int64(13))},
                     .usage_estimated = row.boolean(14),
                     .cost = row.int64(15),
                     .latency_ms = static_cast<uint32_t>(row.int64(16)),
                     .status = static_cast<int>(row.int64(17))};
}

UsageRow read_usage_row(const PgRow& row) {
  return UsageRow{.group = row.text(0),
                  .requests = as_count(row.int64(1)),
                  .usage = {.input = as_count(row.int64(2)),
                            .output = as_count(row.int64(3)),
                            .cache_read = as_count(row.int64(4)),
                            .cache_write = as_count(row.int64(5)),
                            .reasoning = as_count(row.int64(6))},
                  .cost = row.int64(7)};
}

}  // namespace

Result<void> PostgresStore::append_usage(std::span<const UsageRecord> records) {
  if (records.empty()) {
    return {};
  }
  return run([&](PgConnection& conn) -> Result<void> {
    auto transaction = PgTransaction::begin(conn, "append_usage");
    if (!transaction) {
      return std::unexpected(std::move(transaction.error()));
    }
    for (size_t first = 0; first < records.size(); first += kRowsPerInsert) {
      const auto chunk = records.subspan(first, std::min(kRowsPerInsert, records.size() - first));
      PgParams params;
      for (const UsageRecord& record : chunk) {
        add_usage(params, record);
      }
      if (auto inserted = conn.exec("append_usage", insert_usage_sql(chunk.size()), params);
          !inserted) {
        return std::unexpected(std::move(inserted.error()));
      }
    }
    // synchronous_commit is not off (PgConnection makes sure): COMMIT returns once the WAL is
    // flushed, so the batch is durable.
    return transaction->commit();
  });
}

Result<NanoUsd> PostgresStore::spend(ScopeKind scope, std::string_view id, UnixMillis from) {
  std::string sql = "SELECT COALESCE(SUM(cost), 0) FROM usage WHERE ";
  sql += scope_column(scope);
  sql += " = $1 AND time >= $2";
  return run([&](PgConnection& conn) -> Result<NanoUsd> {
    auto rows = conn.exec("spend", sql, PgParams().add(id).add(from));
    if (!rows) {
      return std::unexpected(std::move(rows.error()));
    }
    return rows->empty() ? 0 : rows->int64(0, 0);
  });
}

Result<std::vector<UsageRow>> PostgresStore::query_usage(const UsageQuery& query) {
  PgParams params;
  params.add(query.from)
      .add(query.to == 0 ? std::numeric_limits<int64_t>::max() : query.to)
      .add(query.page.after)
      .add(static_cast<int64_t>(query.page.limit));
  if (query.scope) {
    params.add(query.scope_id);
  }
  const std::string sql = usage_query_sql(query);
  return run([&](PgConnection& conn) -> Result<std::vector<UsageRow>> {
    auto rows = conn.exec("query_usage", sql, params);
    if (!rows) {
      return std::unexpected(std::move(rows.error()));
    }
    std::vector<UsageRow> usage;
    usage.reserve(static_cast<size_t>(rows->size()));
    for (int index = 0; index < rows->size(); ++index) {
      usage.push_back(read_usage_row(PgRow{*rows, index}));
    }
    return usage;
  });
}

Result<std::optional<UsageRecord>> PostgresStore::get_usage(std::string_view request_id) {
  return run([&](PgConnection& conn) -> Result<std::optional<UsageRecord>> {
    auto rows = conn.exec(
        "get_usage",
        "SELECT request_id, time, key_id, user_id, team_id, org_id, model, provider, "
        "deployment_model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
        "reasoning_tokens, usage_estimated, cost, latency_ms, status FROM usage "
        "WHERE request_id = $1",
        PgParams().add(request_id));
    if (!rows) {
      return std::unexpected(std::move(rows.error()));
    }
    if (rows->empty()) {
      return std::nullopt;
    }
    return read_usage(PgRow{*rows, 0});
  });
}

Result<void> PostgresStore::append_audit(const AuditEntry& entry) {
  PgParams params;
  params.add(entry.time)
      .add(entry.actor)
      .add(entry.action)
      .add(entry.target)
      .add(entry.detail.empty() ? std::string_view("{}") : entry.detail);
  return run([&](PgConnection& conn) -> Result<void> {
    // One statement: PostgreSQL makes it its own transaction.
    auto inserted = conn.exec("append_audit",
                              "INSERT INTO audit (time, actor, action, target, detail) "
                              "VALUES ($1, $2, $3, $4, $5)",
                              params);
    if (!inserted) {
      return std::unexpected(std::move(inserted.error()));
    }
    return {};
  });
}

Result<std::vector<AuditEntry>> PostgresStore::list_audit(UnixMillis from, uint32_t limit) {
  return run([&](PgConnection& conn) -> Result<std::vector<AuditEntry>> {
    auto rows = conn.exec("list_audit",
                          "SELECT time, actor, action, target, detail FROM audit "
                          "WHERE time >= $1 ORDER BY time, seq LIMIT $2",
                          PgParams().add(from).add(static_cast<int64_t>(limit)));
    if (!rows) {
      return std::unexpected(std::move(rows.error()));
    }
    std::vector<AuditEntry> entries;
    entries.reserve(static_cast<size_t>(rows->size()));
    for (int index = 0; index < rows->size(); ++index) {
      entries.push_back(AuditEntry{.time = rows->int64(index, 0),
                                   .actor = rows->text(index, 1),
                                   .action = rows->text(index, 2),
                                   .target = rows->text(index, 3),
                                   .detail = rows->text(index, 4)});
    }
    return entries;
  });
}

}  // namespace nexus::storage

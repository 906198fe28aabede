// SqliteStore: the usage ledger and the audit log.
#include <limits>

#include "control/storage/sqlite_store.h"

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

// Token counts are uint64 in memory and INTEGER (int64) in SQLite; no real count comes near the
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

// Days are UTC calendar days, "YYYY-MM-DD" (sorting as text sorts them in time).
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
      return "strftime('%Y-%m-%d', time / 1000, 'unixepoch')";
  }
  return "model";
}

// ?1 from, ?2 to, ?3 after ("" on the first page), ?4 limit, ?5 the scope's id.
std::string usage_query_sql(const UsageQuery& query) {
  const std::string_view group = group_expression(query.group_by);
  std::string sql = "SELECT ";
  sql += group;
  sql +=
      " AS grp, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), "
      "SUM(cache_write_tokens), SUM(reasoning_tokens), SUM(cost) FROM usage "
      "WHERE time >= ?1 AND time < ?2 AND (?3 = '' OR ";
  sql += group;
  sql += " > ?3)";
  if (query.scope) {
    sql += " AND ";
    sql += scope_column(*query.scope);
    sql += " = ?5";
  }
  sql += " GROUP BY grp ORDER BY grp LIMIT ?4";
  return sql;
}

constexpr const char* kInsertUsage =
    "INSERT OR IGNORE INTO usage (request_id, time, key_id, user_id, team_id, org_id, model, "
    "provider, deployment_model, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens, reasoning_tokens, usage_estimated, cost, latency_ms, status) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

void bind_usage(Statement& statement, const UsageRecord& record) {
  statement.bind(1, record.request_id);
  statement.bind(2, record.time);
  statement.bind(3, record.key_id);
  statement.bind(4, record.user_id);
  statement.bind(5, record.team_id);
  statement.bind(6, record.org_id);
  statement.bind(7, record.model);
  statement.bind(8, record.provider);
  statement.bind(9, record.deployment_model);
  statement.bind(10, as_int64(record.usage.input));
  statement.bind(11, as_int64(record.usage.output));
  statement.bind(12, as_int64(record.usage.cache_read));
  statement.bind(13, as_int64(record.usage.cache_write));
  statement.bind(14, as_int64(record.usage.reasoning));
  statement.bind(15, int64_t{record.usage_estimated ? 1 : 0});
  statement.bind(16, record.cost);
  statement.bind(17, int64_t{record.latency_ms});
  statement.bind(18, int64_t{record.status});
}

UsageRecord read_usage(const Statement& row) {
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
                     .usage_estimated = row.int64(14) != 0,
                     .cost = row.int64(15),
                     .latency_ms = static_cast<uint32_t>(row.int64(16)),
                     .status = static_cast<int>(row.int64(17))};
}

}  // namespace

Result<void> SqliteStore::append_usage(std::span<const UsageRecord> records) {
  if (records.empty()) {
    return {};
  }
  const std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(db_, "append_usage");
  if (!transaction) {
    return std::unexpected(std::move(transaction.error()));
  }
  auto statement = db_.prepare("append_usage", kInsertUsage);
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  for (const UsageRecord& record : records) {
    bind_usage(*statement, record);
    if (auto inserted = statement->run(); !inserted) {
      return inserted;
    }
    statement->reset();
  }
  // synchronous=FULL: the WAL is synced before COMMIT returns, so the batch is durable.
  return transaction->commit();
}

Result<NanoUsd> SqliteStore::spend(ScopeKind scope, std::string_view id, UnixMillis from) {
  std::string sql = "SELECT COALESCE(SUM(cost), 0) FROM usage WHERE ";
  sql += scope_column(scope);
  sql += " = ?1 AND time >= ?2";
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("spend", sql);
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, id);
  statement->bind(2, from);
  auto row = statement->step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  return *row ? statement->int64(0) : 0;
}

Result<std::vector<UsageRow>> SqliteStore::query_usage(const UsageQuery& query) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("query_usage", usage_query_sql(query));
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, query.from);
  statement->bind(2, query.to == 0 ? std::numeric_limits<int64_t>::max() : query.to);
  statement->bind(3, query.page.after);
  statement->bind(4, static_cast<int64_t>(query.page.limit));
  if (query.scope) {
    statement->bind(5, query.scope_id);
  }
  std::vector<UsageRow> rows;
  for (;;) {
    auto row = statement->step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return rows;
    }
    rows.push_back(UsageRow{.group = statement->text(0),
                            .requests = as_count(statement->int64(1)),
                            .usage = {.input = as_count(statement->int64(2)),
                                      .output = as_count(statement->int64(3)),
                                      .cache_read = as_count(statement->int64(4)),
                                      .cache_write = as_count(statement->int64(5)),
                                      .reasoning = as_count(statement->int64(6))},
                            .cost = statement->int64(7)});
  }
}

Result<std::optional<UsageRecord>> SqliteStore::get_usage(std::string_view request_id) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare(
      "get_usage",
      "SELECT request_id, time, key_id, user_id, team_id, org_id, model, provider, "
      "deployment_model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
      "reasoning_tokens, usage_estimated, cost, latency_ms, status FROM usage "
      "WHERE request_id = ?1");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, request_id);
  auto row = statement->step();
  if (!row) {
    return std::unexpected(std::move(row.error()));
  }
  if (!*row) {
    return std::nullopt;
  }
  return read_usage(*statement);
}

Result<void> SqliteStore::append_audit(const AuditEntry& entry) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("append_audit",
                               "INSERT INTO audit (time, actor, action, target, detail) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, entry.time);
  statement->bind(2, entry.actor);
  statement->bind(3, entry.action);
  statement->bind(4, entry.target);
  statement->bind(5, entry.detail.empty() ? std::string_view("{}") : entry.detail);
  return statement->run();  // one statement: SQLite makes it its own transaction
}

Result<std::vector<AuditEntry>> SqliteStore::list_audit(UnixMillis from, uint32_t limit) {
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("list_audit",
                               "SELECT time, actor, action, target, detail FROM audit "
                               "WHERE time >= ?1 ORDER BY time, seq LIMIT ?2");
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  statement->bind(1, from);
  statement->bind(2, static_cast<int64_t>(limit));
  std::vector<AuditEntry> entries;
  for (;;) {
    auto row = statement->step();
    if (!row) {
      return std::unexpected(std::move(row.error()));
    }
    if (!*row) {
      return entries;
    }
    entries.push_back(AuditEntry{.time = statement->int64(0),
                                 .actor = statement->text(1),
                                 .action = statement->text(2),
                                 .target = statement->text(3),
                                 .detail = statement->text(4)});
  }
}

}  // namespace nexus::storage

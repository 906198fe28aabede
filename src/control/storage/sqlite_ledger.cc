// SqliteStore: the usage ledger and the audit log.
#include <limits>

#include "control/storage/entity_codec.h"
#include "control/storage/ledger_sql.h"
#include "control/storage/sqlite_store.h"

namespace nexus::storage {
namespace {

using governance::AuditEntry;
using governance::NanoUsd;
using governance::ScopeKind;
using governance::UnixMillis;
using governance::UsageQuery;
using governance::UsageRecord;
using governance::UsageRow;

// Days are UTC calendar days, "YYYY-MM-DD" (sorting as text sorts them in time).
constexpr SqlDialect kSqlite{
    .sigil = '?',
    .text_param = "",
    .utc_day = "strftime('%Y-%m-%d', time / 1000, 'unixepoch')",
};

}  // namespace

Result<void> SqliteStore::append_usage(std::span<const UsageRecord> records) {
  if (records.empty()) {
    return {};
  }
  // One row per statement: the statement is prepared once and cached, and SQLite runs it in
  // process, so stepping it per record costs no round trip.
  static const std::string kInsert = insert_usage_sql(kSqlite, 1);
  const std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(db_, "append_usage");
  if (!transaction) {
    return std::unexpected(std::move(transaction.error()));
  }
  auto statement = db_.prepare("append_usage", kInsert);
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  for (const UsageRecord& record : records) {
    StatementParams params(*statement);
    write_usage(params, record);
    if (auto inserted = statement->run(); !inserted) {
      return inserted;
    }
    statement->reset();
  }
  // synchronous=FULL: the WAL is synced before COMMIT returns, so the batch is durable.
  return transaction->commit();
}

Result<NanoUsd> SqliteStore::spend(ScopeKind scope, std::string_view id, UnixMillis from) {
  const std::string sql = spend_sql(kSqlite, scope);
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
  const std::string sql = usage_query_sql(kSqlite, query);
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("query_usage", sql);
  if (statement) {
    statement->bind(1, query.from);
    statement->bind(2, query.to == 0 ? std::numeric_limits<int64_t>::max() : query.to);
    statement->bind(3, query.page.after);
    statement->bind(4, static_cast<int64_t>(query.page.limit));
    if (query.scope) {
      statement->bind(5, query.scope_id);
    }
  }
  return read_all_prepared<UsageRow>(statement, read_usage_row);
}

Result<std::optional<UsageRecord>> SqliteStore::get_usage(std::string_view request_id) {
  static const std::string kSql = select_sql(kUsageColumns, "usage WHERE request_id = ?1");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("get_usage", kSql);
  if (statement) {
    statement->bind(1, request_id);
  }
  return read_one_prepared<UsageRecord>(statement, read_usage);
}

Result<void> SqliteStore::append_audit(const AuditEntry& entry) {
  static const std::string kSql = [] {
    std::string sql = "INSERT INTO audit (";
    sql += kAuditColumns;
    sql += ") VALUES (?1, ?2, ?3, ?4, ?5)";
    return sql;
  }();
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("append_audit", kSql);
  if (!statement) {
    return std::unexpected(std::move(statement.error()));
  }
  StatementParams params(*statement);
  write_audit(params, entry);
  return statement->run();  // one statement: SQLite makes it its own transaction
}

Result<std::vector<AuditEntry>> SqliteStore::list_audit(UnixMillis from, uint32_t limit) {
  static const std::string kSql =
      select_sql(kAuditColumns, "audit WHERE time >= ?1 ORDER BY time, seq LIMIT ?2");
  const std::lock_guard lock(mutex_);
  auto statement = db_.prepare("list_audit", kSql);
  if (statement) {
    statement->bind(1, from);
    statement->bind(2, static_cast<int64_t>(limit));
  }
  return read_all_prepared<AuditEntry>(statement, read_audit);
}

}  // namespace nexus::storage

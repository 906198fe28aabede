// PostgresStore: the usage ledger and the audit log.
#include <algorithm>
#include <limits>

#include "control/storage/entity_codec.h"
#include "control/storage/ledger_sql.h"
#include "control/storage/postgres_store.h"

namespace nexus::storage {
namespace {

using governance::AuditEntry;
using governance::NanoUsd;
using governance::ScopeKind;
using governance::UnixMillis;
using governance::UsageQuery;
using governance::UsageRecord;
using governance::UsageRow;

// Days are UTC calendar days, "YYYY-MM-DD": computed on a timestamp WITHOUT time zone from the
// epoch, so the session's TimeZone plays no part; COLLATE "C" orders them as SQLite does. The
// page's `after` is compared with '' before PostgreSQL sees its type: "::text" says it.
constexpr SqlDialect kPostgres{
    .sigil = '$',
    .text_param = "::text",
    .utc_day =
        "(to_char(TIMESTAMP '1970-01-01 00:00:00' + (time / 1000) * INTERVAL '1 second', "
        "'YYYY-MM-DD') COLLATE \"C\")",
};

// Rows per INSERT statement: 18 parameters each, well under the protocol's 65535 per statement,
// and one round trip for a typical batch (governance.ledger_batch defaults to 500).
constexpr size_t kRowsPerInsert = 1000;

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
        write_usage(params, record);
      }
      const std::string sql = insert_usage_sql(kPostgres, chunk.size());
      if (auto inserted = conn.exec("append_usage", sql, params); !inserted) {
        return std::unexpected(std::move(inserted.error()));
      }
    }
    // synchronous_commit is not off (PgConnection makes sure): COMMIT returns once the WAL is
    // flushed, so the batch is durable.
    return transaction->commit();
  });
}

Result<NanoUsd> PostgresStore::spend(ScopeKind scope, std::string_view id, UnixMillis from) {
  const std::string sql = spend_sql(kPostgres, scope);
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
  const std::string sql = usage_query_sql(kPostgres, query);
  return run([&](PgConnection& conn) {
    return query_all<UsageRow>(conn, "query_usage", sql, params, read_usage_row);
  });
}

Result<std::optional<UsageRecord>> PostgresStore::get_usage(std::string_view request_id) {
  static const std::string kSql = select_sql(kUsageColumns, "usage WHERE request_id = $1");
  return run([&](PgConnection& conn) {
    return query_one<UsageRecord>(conn, "get_usage", kSql, PgParams().add(request_id), read_usage);
  });
}

Result<void> PostgresStore::append_audit(const AuditEntry& entry) {
  static const std::string kSql = [] {
    std::string sql = "INSERT INTO audit (";
    sql += kAuditColumns;
    sql += ") VALUES ($1, $2, $3, $4, $5)";
    return sql;
  }();
  PgParams params;
  write_audit(params, entry);
  return run([&](PgConnection& conn) -> Result<void> {
    // One statement: PostgreSQL makes it its own transaction.
    auto inserted = conn.exec("append_audit", kSql, params);
    if (!inserted) {
      return std::unexpected(std::move(inserted.error()));
    }
    return {};
  });
}

Result<std::vector<AuditEntry>> PostgresStore::list_audit(UnixMillis from, uint32_t limit) {
  static const std::string kSql =
      select_sql(kAuditColumns, "audit WHERE time >= $1 ORDER BY time, seq LIMIT $2");
  return run([&](PgConnection& conn) {
    return query_all<AuditEntry>(conn, "list_audit", kSql,
                                 PgParams().add(from).add(static_cast<int64_t>(limit)), read_audit);
  });
}

}  // namespace nexus::storage

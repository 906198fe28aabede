// The usage ledger's statements, built once for both stores from what their SQL differs in (a
// SqlDialect): placeholders, a parameter's type where PostgreSQL cannot infer it, and how a
// row's UTC day is computed. Parameters are always bound, never spliced: the only text spliced
// in is constants chosen by enum.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "governance/store.h"

namespace nexus::storage {

struct SqlDialect {
  char sigil;                   // of a numbered placeholder: '?' (?1, SQLite) or '$' ($1)
  std::string_view text_param;  // after a text parameter compared with '': "" or "::text"
  // A row's UTC calendar day, "YYYY-MM-DD", ordered bytewise (as text sorts days in time).
  std::string_view utc_day;
};

// INSERT of `rows` usage records (kUsageColumns each, parameters in order: write_usage() per
// record), ON CONFLICT DO NOTHING: a request id already present (or twice in the batch) is
// skipped, the first write stands.
std::string insert_usage_sql(const SqlDialect& dialect, size_t rows);

// What a scope spent: parameter 1 the scope's id, 2 from (time >= from).
std::string spend_sql(const SqlDialect& dialect, governance::ScopeKind scope);

// The rows of read_usage_row() (entity_codec.h), ordered by group: parameters 1 from, 2 to,
// 3 after ("" on the first page), 4 limit, 5 the scope's id (when query.scope is set).
std::string usage_query_sql(const SqlDialect& dialect, const governance::UsageQuery& query);

}  // namespace nexus::storage

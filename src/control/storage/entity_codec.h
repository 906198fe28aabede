// The governance entities as rows, written once for both stores: which columns a table's
// statements name (in order), how a row of them decodes into an entity (RowReader) and how an
// entity encodes into a statement's parameters (ParamWriter). The SQLite and PostgreSQL stores
// keep only what differs: their SQL text around these column lists, placeholders and
// transactions.
//
// A column list is the order of both the SELECT a reader expects and the INSERT a writer fills:
// change the list, the reader and the writer together.
#pragma once

#include <string>
#include <string_view>

#include "control/storage/sql_values.h"
#include "governance/store.h"
#include "nexus/core/result.h"

namespace nexus::storage {

inline constexpr std::string_view kOrgColumns = "id, name, controls, created_at";
inline constexpr std::string_view kTeamColumns = "id, org_id, name, controls, created_at";
inline constexpr std::string_view kUserColumns =
    "id, org_id, team_id, name, role, controls, created_at";
inline constexpr std::string_view kKeyColumns =
    "id, hash, prefix, name, org_id, team_id, user_id, allowed_models, allowed_ips, metadata, "
    "controls, created_at, expires_at, revoked_at, previous_hash, previous_valid_until";
inline constexpr int kUsageColumnCount = 18;
inline constexpr std::string_view kUsageColumns =
    "request_id, time, key_id, user_id, team_id, org_id, model, provider, deployment_model, "
    "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, "
    "usage_estimated, cost, latency_ms, status";
inline constexpr std::string_view kAuditColumns = "time, actor, action, target, detail";

// Readers: a row of the table's column list. Stored text that does not decode (controls, lists,
// a role) is kInternal naming the entity: a damaged database.
Result<governance::Org> read_org(const RowReader& row);
Result<governance::Team> read_team(const RowReader& row);
Result<governance::User> read_user(const RowReader& row);
Result<governance::VirtualKey> read_key(const RowReader& row);
governance::UsageRecord read_usage(const RowReader& row);
governance::AuditEntry read_audit(const RowReader& row);
// A row of a usage query: the group, COUNT(*), the five token sums, then SUM(cost).
governance::UsageRow read_usage_row(const RowReader& row);

// Writers: the parameters of an INSERT of the table's column list. An optional reference ("" for
// none) is written as NULL, so that its foreign key holds; empty JSON text as "{}".
void write_org(ParamWriter& params, const governance::Org& org);
void write_team(ParamWriter& params, const governance::Team& team);
void write_user(ParamWriter& params, const governance::User& user);
void write_key(ParamWriter& params, const governance::VirtualKey& key);
void write_usage(ParamWriter& params, const governance::UsageRecord& record);
void write_audit(ParamWriter& params, const governance::AuditEntry& entry);

// "SELECT <columns> FROM <rest>": constant text only.
std::string select_sql(std::string_view columns, std::string_view from_rest);
// "INSERT INTO <table> (<columns>) VALUES (<placeholders>) ON CONFLICT (id) DO UPDATE SET" every
// column but the first (the id) from `excluded`: put_* of an entity, replacing it by id. The same
// text in both stores but for the placeholders' sigil ('?' or '$').
std::string upsert_sql(std::string_view table, std::string_view columns, char sigil);
// "<sigil>first, <sigil>first+1, ..." (count of them): "?1, ?2" for SQLite, "$1, $2" for
// PostgreSQL.
void append_placeholders(std::string& sql, char sigil, int first, int count);

}  // namespace nexus::storage

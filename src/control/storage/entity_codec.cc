#include "control/storage/entity_codec.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "control/storage/store_codec.h"

namespace nexus::storage {
namespace {

using governance::AuditEntry;
using governance::Org;
using governance::Team;
using governance::UsageRecord;
using governance::UsageRow;
using governance::User;
using governance::VirtualKey;

// Token counts are uint64 in memory and 64-bit signed integers in both databases; no real count
// comes near the limit, a corrupt one is clamped rather than stored negative.
int64_t as_int64(uint64_t count) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(count > kMax ? kMax : count);
}

uint64_t as_count(int64_t value) { return value < 0 ? 0 : static_cast<uint64_t>(value); }

// Five token columns from `first` on: input, output, cache read, cache write, reasoning.
llm::Usage read_tokens(const RowReader& row, int first) {
  return {.input = as_count(row.int64(first)),
          .output = as_count(row.int64(first + 1)),
          .cache_read = as_count(row.int64(first + 2)),
          .cache_write = as_count(row.int64(first + 3)),
          .reasoning = as_count(row.int64(first + 4))};
}

std::string_view json_or_empty_object(const std::string& text) {
  return text.empty() ? std::string_view("{}") : std::string_view(text);
}

}  // namespace

Result<Org> read_org(const RowReader& row) {
  auto controls = controls_from_json(row.text(2));
  if (!controls) {
    return std::unexpected(std::move(controls.error()));
  }
  return Org{.id = row.text(0),
             .name = row.text(1),
             .controls = std::move(*controls),
             .created_at = row.int64(3)};
}

Result<Team> read_team(const RowReader& row) {
  auto controls = controls_from_json(row.text(3));
  if (!controls) {
    return std::unexpected(std::move(controls.error()));
  }
  return Team{.id = row.text(0),
              .org_id = row.text(1),
              .name = row.text(2),
              .controls = std::move(*controls),
              .created_at = row.int64(4)};
}

Result<User> read_user(const RowReader& row) {
  auto controls = controls_from_json(row.text(5));
  const auto role = parse_role(row.text(4));
  if (!controls || !role) {
    std::string message = "stored user ";
    message += row.text(0);
    message += controls ? " has an unknown role" : " has damaged controls";
    return fail(ErrorCode::kInternal, std::move(message));
  }
  return User{.id = row.text(0),
              .org_id = row.text(1),
              .team_id = row.text(2),
              .name = row.text(3),
              .role = *role,
              .controls = std::move(*controls),
              .created_at = row.int64(6)};
}

Result<VirtualKey> read_key(const RowReader& row) {
  auto allowed_models = strings_from_json(row.text(7));
  auto allowed_ips = strings_from_json(row.text(8));
  auto controls = controls_from_json(row.text(10));
  if (!allowed_models || !allowed_ips || !controls) {
    std::string message = "stored key ";
    message += row.text(0);
    message += " is damaged (allowed_models, allowed_ips or controls)";
    return fail(ErrorCode::kInternal, std::move(message));
  }
  return VirtualKey{.id = row.text(0),
                    .hash = row.text(1),
                    .prefix = row.text(2),
                    .name = row.text(3),
                    .org_id = row.text(4),
                    .team_id = row.text(5),
                    .user_id = row.text(6),
                    .allowed_models = std::move(*allowed_models),
                    .allowed_ips = std::move(*allowed_ips),
                    .metadata = row.text(9),
                    .controls = std::move(*controls),
                    .created_at = row.int64(11),
                    .expires_at = row.int64(12),
                    .revoked_at = row.int64(13),
                    .previous_hash = row.text(14),  // NULL (none) reads as ""
                    .previous_valid_until = row.int64(15)};
}

UsageRecord read_usage(const RowReader& row) {
  return UsageRecord{.request_id = row.text(0),
                     .time = row.int64(1),
                     .key_id = row.text(2),
                     .user_id = row.text(3),
                     .team_id = row.text(4),
                     .org_id = row.text(5),
                     .model = row.text(6),
                     .provider = row.text(7),
                     .deployment_model = row.text(8),
                     .usage = read_tokens(row, 9),
                     .usage_estimated = row.boolean(14),
                     .cost = row.int64(15),
                     .latency_ms = static_cast<uint32_t>(row.int64(16)),
                     .status = static_cast<int>(row.int64(17))};
}

AuditEntry read_audit(const RowReader& row) {
  return AuditEntry{.time = row.int64(0),
                    .actor = row.text(1),
                    .action = row.text(2),
                    .target = row.text(3),
                    .detail = row.text(4)};
}

UsageRow read_usage_row(const RowReader& row) {
  return UsageRow{.group = row.text(0),
                  .requests = as_count(row.int64(1)),
                  .usage = read_tokens(row, 2),
                  .cost = row.int64(7)};
}

void write_org(ParamWriter& params, const Org& org) {
  params.add(org.id).add(org.name).add(controls_to_json(org.controls)).add(org.created_at);
}

void write_team(ParamWriter& params, const Team& team) {
  params.add(team.id)
      .add_id_or_null(team.org_id)
      .add(team.name)
      .add(controls_to_json(team.controls))
      .add(team.created_at);
}

void write_user(ParamWriter& params, const User& user) {
  params.add(user.id)
      .add_id_or_null(user.org_id)
      .add_id_or_null(user.team_id)
      .add(user.name)
      .add(role_name(user.role))
      .add(controls_to_json(user.controls))
      .add(user.created_at);
}

void write_key(ParamWriter& params, const VirtualKey& key) {
  params.add(key.id)
      .add(key.hash)
      .add(key.prefix)
      .add(key.name)
      .add_id_or_null(key.org_id)
      .add_id_or_null(key.team_id)
      .add_id_or_null(key.user_id)
      .add(strings_to_json(key.allowed_models))
      .add(strings_to_json(key.allowed_ips))
      .add(json_or_empty_object(key.metadata))
      .add(controls_to_json(key.controls))
      .add(key.created_at)
      .add(key.expires_at)
      .add(key.revoked_at)
      .add_id_or_null(key.previous_hash)  // NULL: none (see migration 3)
      .add(key.previous_valid_until);
}

void write_usage(ParamWriter& params, const UsageRecord& record) {
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

void write_audit(ParamWriter& params, const AuditEntry& entry) {
  params.add(entry.time)
      .add(entry.actor)
      .add(entry.action)
      .add(entry.target)
      .add(json_or_empty_object(entry.detail));
}

std::string select_sql(std::string_view columns, std::string_view from_rest) {
  std::string sql = "SELECT ";
  sql += columns;
  sql += " FROM ";
  sql += from_rest;
  return sql;
}

void append_placeholders(std::string& sql, char sigil, int first, int count) {
  for (int parameter = first; parameter < first + count; ++parameter) {
    if (parameter != first) {
      sql += ", ";
    }
    sql += sigil;
    sql += std::to_string(parameter);
  }
}

std::string upsert_sql(std::string_view table, std::string_view columns, char sigil) {
  std::string sql = "INSERT INTO ";
  sql += table;
  sql += " (";
  sql += columns;
  sql += ") VALUES (";
  const int count = static_cast<int>(std::ranges::count(columns, ',')) + 1;
  append_placeholders(sql, sigil, 1, count);
  sql += ") ON CONFLICT (id) DO UPDATE SET ";
  // Every column after the id: the list is "a, b, c" (constant text, one ", " between names).
  std::string_view rest = columns.substr(columns.find(", ") + 2);
  for (bool first = true; !rest.empty(); first = false) {
    const size_t end = rest.find(", ");
    const std::string_view column = rest.substr(0, end);
    if (!first) {
      sql += ", ";
    }
    sql += column;
    sql += " = excluded.";
    sql += column;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
  }
  return sql;
}

}  // namespace nexus::storage

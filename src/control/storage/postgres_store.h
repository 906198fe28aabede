// The PostgreSQL implementation of governance::Store (`governance.store: postgres://...`): the
// store several Nexus instances share. Same schema meaning, errors and semantics as the SQLite
// store (sqlite_store.h): a broken constraint is kBadRequest naming it, anything else kInternal;
// puts and deletes bump the generation in their own transaction; the ledger skips request ids
// already present (INSERT ... ON CONFLICT DO NOTHING); lists page by id; usage days are UTC.
//
// One connection under a mutex, as for SQLite: the store carries control-plane traffic and the
// ledger writer's batches, never a worker's request. A connection the server closed (a restart,
// a fail-over, an idle timeout in a proxy) is reopened once, and the operation run again, before
// an operation fails.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "control/storage/pg_connection.h"
#include "governance/store.h"

namespace nexus::storage {

class PostgresStore final : public governance::Store {
 public:
  // Connects to `url` and applies the migrations (under the advisory lock).
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& url);

  Result<void> put_org(const governance::Org& org) override;
  Result<std::optional<governance::Org>> get_org(std::string_view id) override;
  Result<std::vector<governance::Org>> list_orgs(const governance::Page& page) override;
  Result<void> delete_org(std::string_view id) override;

  Result<void> put_team(const governance::Team& team) override;
  Result<std::optional<governance::Team>> get_team(std::string_view id) override;
  Result<std::vector<governance::Team>> list_teams(std::string_view org_id,
                                                   const governance::Page& page) override;
  Result<void> delete_team(std::string_view id) override;

  Result<void> put_user(const governance::User& user) override;
  Result<std::optional<governance::User>> get_user(std::string_view id) override;
  Result<std::optional<governance::User>> get_user_by_name(std::string_view name) override;
  Result<std::vector<governance::User>> list_users(std::string_view org_id,
                                                   const governance::Page& page) override;
  Result<void> delete_user(std::string_view id) override;

  Result<void> put_key(const governance::VirtualKey& key) override;
  Result<std::optional<governance::VirtualKey>> get_key(std::string_view id) override;
  Result<std::optional<governance::VirtualKey>> get_key_by_hash(std::string_view hash) override;
  Result<std::vector<governance::VirtualKey>> list_keys(std::string_view org_id,
                                                        const governance::Page& page) override;
  Result<std::vector<governance::VirtualKey>> live_keys(governance::UnixMillis now) override;
  Result<void> delete_key(std::string_view id) override;
  Result<uint64_t> generation() override;

  Result<void> append_usage(std::span<const governance::UsageRecord> records) override;
  Result<governance::NanoUsd> spend(governance::ScopeKind scope, std::string_view id,
                                    governance::UnixMillis from) override;
  Result<std::vector<governance::UsageRow>> query_usage(
      const governance::UsageQuery& query) override;
  Result<std::optional<governance::UsageRecord>> get_usage(std::string_view request_id) override;

  Result<void> append_audit(const governance::AuditEntry& entry) override;
  Result<std::vector<governance::AuditEntry>> list_audit(governance::UnixMillis from,
                                                         uint32_t limit) override;

 private:
  explicit PostgresStore(PgConnection conn) : conn_(std::move(conn)) {}

  // Runs `unit` (a whole operation: a transaction it uses begins and ends inside it) with mutex_
  // held. When it failed because the connection broke, reconnects once and runs it again: every
  // unit may be repeated (puts replace by id, deleting nothing changes nothing, the ledger skips
  // request ids already present; an audit entry whose COMMIT was lost with the connection may be
  // recorded twice).
  template <typename Unit>
  auto run(Unit unit) -> decltype(unit(std::declval<PgConnection&>())) {
    const std::lock_guard lock(mutex_);
    auto result = unit(conn_);
    if (result || !conn_.broken()) {
      return result;
    }
    spdlog::warn("PostgreSQL store {}: the connection broke ({}); reconnecting", conn_.url(),
                 result.error().message());
    if (auto reconnected = conn_.reconnect(); !reconnected) {
      spdlog::error("PostgreSQL store {}: {}", conn_.url(), reconnected.error().message());
      return result;
    }
    return unit(conn_);
  }

  // Runs `change` (a put or delete, one statement) and bumps the generation when it changed a
  // row, in one transaction. Called inside run().
  static Result<void> write_entity(PgConnection& conn, std::string_view operation,
                                   const std::string& sql, const PgParams& params);
  // A list by id after page.after ($1), at most page.limit ($2), of one organization ($3) when
  // org_id is set: a separate statement each, so that each uses its index. Called inside run().
  template <typename T, typename Read>
  static Result<std::vector<T>> read_list(PgConnection& conn, std::string_view operation,
                                          const std::string& all, const std::string& of_org,
                                          std::string_view org_id, const governance::Page& page,
                                          Read read) {
    PgParams params;
    params.add(page.after).add(static_cast<int64_t>(page.limit));
    if (!org_id.empty()) {
      params.add(org_id);
    }
    return query_all<T>(conn, operation, org_id.empty() ? all : of_org, params, read);
  }
  // DELETE FROM <table> WHERE id = $1, through write_entity.
  Result<void> delete_by_id(std::string_view operation, const std::string& sql,
                            std::string_view id);

  std::mutex mutex_;  // guards conn_: run() holds it for a whole operation
  PgConnection conn_;
};

}  // namespace nexus::storage

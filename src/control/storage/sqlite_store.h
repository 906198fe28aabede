// The SQLite implementation of governance::Store (the embedded default): one database file in
// WAL mode with synchronous=FULL, so that a committed transaction (a ledger batch, a new key)
// survives a crash or a power loss.
//
// One connection under a mutex: SQLite serialises writers anyway (one write lock per database),
// and the store carries control-plane traffic (admin API, start-up, key refreshes) and the ledger
// writer's batches, never a worker's request, so a pool of readers would buy nothing measurable.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "control/storage/sqlite_db.h"
#include "governance/store.h"

namespace nexus::storage {

class SqliteStore final : public governance::Store {
 public:
  // Opens `path` (creating it and its directory), sets the PRAGMAs and applies the migrations.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);

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
  explicit SqliteStore(SqliteDb db) : db_(std::move(db)) {}

  // Runs `change` (a put or delete: one statement, already bound) and bumps the generation
  // when it changed a row, in one transaction. Called with mutex_ held.
  Result<void> write_entity(std::string_view operation, Statement& change);
  // Prepares `sql` (an upsert), binds the parameters `write` gives and runs it through
  // write_entity, under mutex_.
  Result<void> put_entity(std::string_view operation, const std::string& sql,
                          const std::function<void(ParamWriter&)>& write);
  // A list by id after page.after (?1), at most page.limit (?2), of one organization (?3) when
  // org_id is set: a separate statement each, so that each uses its index. Under mutex_.
  Result<Statement> prepare_list(std::string_view operation, const std::string& all,
                                 const std::string& of_org, std::string_view org_id,
                                 const governance::Page& page);
  // DELETE FROM <table> WHERE id = ?1, through write_entity.
  Result<void> delete_by_id(std::string_view operation, const std::string& sql,
                            std::string_view id);

  std::mutex mutex_;  // guards db_: every method takes it for its whole duration
  SqliteDb db_;
};

}  // namespace nexus::storage

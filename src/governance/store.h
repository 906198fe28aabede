// The governance store: organizations, teams, users, virtual keys, the usage ledger and the
// audit log. One interface, two implementations: SQLite (embedded, the default) and PostgreSQL
// (when `governance.store` is a postgres:// URL), in src/control/storage/.
//
// Threads: a Store is used by the control plane (admin API, CLI, start-up) and by the ledger
// writer thread, never by a worker's event loop. Implementations serialise their own access
// (one connection under a mutex), so any thread may call any method.
//
// Money is integer nano-dollars (1e-9 USD, int64): sums are exact, and $9.2 billion fits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::governance {

using NanoUsd = int64_t;
using UnixMillis = int64_t;  // milliseconds since the epoch, UTC

// Who may do what through the admin API, from most to least powerful.
enum class Role : uint8_t { kAdmin, kOrgAdmin, kTeamAdmin, kMember, kViewer };

// What a limit or budget is attached to.
enum class ScopeKind : uint8_t { kOrg, kTeam, kUser, kKey };

// Request limits; 0 means none.
struct Limits {
  uint32_t rpm = 0;           // requests per minute
  uint64_t tpm = 0;           // tokens per minute, input + output
  uint32_t max_parallel = 0;  // requests in flight at once
  bool operator==(const Limits&) const = default;
};

// Limits for one model (a name clients use), on top of the scope's own.
struct ModelLimits {
  std::string model;
  Limits limits;
  bool operator==(const ModelLimits&) const = default;
};

enum class BudgetPeriod : uint8_t { kDaily, kWeekly, kMonthly, kTotal };

// A spending cap over a calendar period (aligned in the governance time zone; weeks start on
// Monday). Over `hard` requests are refused; crossing `soft` raises an alert (log + metric).
struct Budget {
  NanoUsd hard = 0;  // 0: no hard cap
  NanoUsd soft = 0;  // 0: no alert
  BudgetPeriod period = BudgetPeriod::kMonthly;
  bool operator==(const Budget&) const = default;
};

// What every scope carries.
struct Controls {
  Limits limits;
  std::vector<ModelLimits> model_limits;
  std::optional<Budget> budget;
  bool operator==(const Controls&) const = default;
};

struct Org {
  std::string id;  // generated ("org_" + random), immutable
  std::string name;
  Controls controls;
  UnixMillis created_at = 0;
};

struct Team {
  std::string id;  // "team_..."
  std::string org_id;
  std::string name;
  Controls controls;
  UnixMillis created_at = 0;
};

struct User {
  std::string id;  // "user_..."
  std::string org_id;
  std::string team_id;  // may be empty: a user of the organization only
  std::string name;     // e-mail or login, unique
  Role role = Role::kMember;
  Controls controls;
  UnixMillis created_at = 0;
};

// A virtual key. The secret ("nx-" + 43 base64url characters) is shown once at creation and
// stored only as hash = hex(SHA-256(pepper || secret)); `prefix` (its first 12 characters)
// identifies it in lists and logs.
struct VirtualKey {
  std::string id;  // "key_..."
  std::string hash;
  std::string prefix;
  std::string name;
  std::string org_id;
  std::string team_id;                      // may be empty
  std::string user_id;                      // may be empty
  std::vector<std::string> allowed_models;  // empty: every model
  std::vector<std::string> allowed_ips;     // addresses or CIDR ranges; empty: any
  std::string metadata;                     // a JSON object (tags and free metadata), "{}" if none
  Controls controls;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;  // 0: never
  // 0: not revoked. A key rotated by an older Nexus (which made a new key) has the end of its
  // grace period here.
  UnixMillis revoked_at = 0;
  // Rotation gives the key a new secret (hash, prefix) and keeps the old one's hash here: it
  // still authenticates as this key while now < previous_valid_until. "" and 0: none.
  std::string previous_hash;
  UnixMillis previous_valid_until = 0;

  // Whether `presented` (a hash) opens this key at `now`: its current hash, or its previous one
  // within the grace period. Revocation and expiry are checked apart.
  [[nodiscard]] bool hash_valid_at(std::string_view presented, UnixMillis now) const {
    return presented == hash ||
           (!previous_hash.empty() && presented == previous_hash && now < previous_valid_until);
  }
};

// One request, as billed. request_id is unique: recording it again changes nothing (a retried
// write, a replayed batch), so a request is never counted twice.
struct UsageRecord {
  std::string request_id;
  UnixMillis time = 0;  // when the request ended
  std::string key_id, user_id, team_id, org_id;
  std::string model;             // the name the client used
  std::string provider;          // the deployment that answered: provider name ...
  std::string deployment_model;  // ... and its model id
  llm::Usage usage;
  bool usage_estimated = false;  // counted from the text: the provider reported none
  NanoUsd cost = 0;
  uint32_t latency_ms = 0;
  int status = 0;  // what the client got (499: it left first)
};

struct AuditEntry {
  UnixMillis time = 0;
  std::string actor;   // user id, or "admin" for the admin key
  std::string action;  // e.g. "key.create", "team.update"
  std::string target;  // the id acted on
  std::string detail;  // a JSON object: what changed (never a secret)
};

// A page of a list: `after` is the last id of the previous page ("" for the first).
struct Page {
  std::string after;
  uint32_t limit = 100;
};

// Usage summed by the given dimension over [from, to).
enum class UsageGroup : uint8_t { kKey, kUser, kTeam, kOrg, kModel, kDay };
struct UsageQuery {
  UsageGroup group_by = UsageGroup::kDay;
  UnixMillis from = 0;
  UnixMillis to = 0;               // 0: no end (now)
  std::optional<ScopeKind> scope;  // only this scope's usage ...
  std::string scope_id;            // ... when set
  Page page;                       // `after`: the last group key of the previous page
};
struct UsageRow {
  std::string group;  // the key, user, team or org id, the model, or the UTC day ("2026-11-23")
  uint64_t requests = 0;
  llm::Usage usage;
  NanoUsd cost = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Organizations, teams, users and keys. put_* inserts or replaces by id; get_* returns
  // nullopt for an unknown id; delete_* of an unknown id is not an error. Listing is by id, at
  // most page.limit items after page.after; an empty org_id lists every organization's.
  //
  // References are checked: a team, user or key naming an unknown org, team or user, a second
  // user of the same name, a second key of the same hash, or deleting what something still
  // refers to (an org with teams, users or keys; a team with users or keys; a user with keys)
  // fails with ErrorCode::kBadRequest, the message naming the constraint (the admin API answers
  // 409 or 400). An empty org_id, team_id or user_id refers to nothing (a key of no team, say).
  // Any other failure is kInternal.
  virtual Result<void> put_org(const Org& org) = 0;
  virtual Result<std::optional<Org>> get_org(std::string_view id) = 0;
  virtual Result<std::vector<Org>> list_orgs(const Page& page) = 0;
  virtual Result<void> delete_org(std::string_view id) = 0;

  virtual Result<void> put_team(const Team& team) = 0;
  virtual Result<std::optional<Team>> get_team(std::string_view id) = 0;
  virtual Result<std::vector<Team>> list_teams(std::string_view org_id, const Page& page) = 0;
  virtual Result<void> delete_team(std::string_view id) = 0;

  virtual Result<void> put_user(const User& user) = 0;
  virtual Result<std::optional<User>> get_user(std::string_view id) = 0;
  // By its unique name (its e-mail or login).
  virtual Result<std::optional<User>> get_user_by_name(std::string_view name) = 0;
  virtual Result<std::vector<User>> list_users(std::string_view org_id, const Page& page) = 0;
  virtual Result<void> delete_user(std::string_view id) = 0;

  virtual Result<void> put_key(const VirtualKey& key) = 0;
  virtual Result<std::optional<VirtualKey>> get_key(std::string_view id) = 0;
  // By hash_key_secret(pepper, secret): how a presented secret is looked up. Finds a key by its
  // current hash or by its previous_hash, whatever the time: revoked and expired keys and ended
  // grace periods too, the caller checks the times (VirtualKey::hash_valid_at), as the store
  // keeps no clock. Hashes are unique across both columns (256 random bits each).
  virtual Result<std::optional<VirtualKey>> get_key_by_hash(std::string_view hash) = 0;
  // org_id empty: every organization's.
  virtual Result<std::vector<VirtualKey>> list_keys(std::string_view org_id, const Page& page) = 0;
  // Every key neither revoked nor expired at `now` (revoked_at and expires_at are 0 or later
  // than `now`), by id, with its previous hash: the key directory is built from it.
  virtual Result<std::vector<VirtualKey>> live_keys(UnixMillis now) = 0;
  // Keys are normally revoked (put_key with revoked_at), which keeps them listed; deleting one
  // is for removing its user. Its usage stays in the ledger.
  virtual Result<void> delete_key(std::string_view id) = 0;
  // Bumped by every put_* and by every delete_* that removed something, in the same
  // transaction: another instance sharing the store notices a change.
  virtual Result<uint64_t> generation() = 0;

  // The usage ledger. append_usage writes the whole batch in one durable transaction
  // (records already present, by request_id, are skipped: a replayed batch counts nothing twice).
  // Called by the ledger writer's thread (governance/ledger_writer.h), not by workers.
  virtual Result<void> append_usage(std::span<const UsageRecord> records) = 0;
  // What a scope spent since `from` (time >= from): budgets are rebuilt from it at start-up.
  virtual Result<NanoUsd> spend(ScopeKind scope, std::string_view id, UnixMillis from) = 0;
  // Rows ordered by group, at most page.limit of them, groups after page.after. Requests
  // without the grouped id (no team, say) form the group "", which sorts first.
  virtual Result<std::vector<UsageRow>> query_usage(const UsageQuery& query) = 0;
  virtual Result<std::optional<UsageRecord>> get_usage(std::string_view request_id) = 0;

  virtual Result<void> append_audit(const AuditEntry& entry) = 0;
  // Entries at or after `from`, oldest first (in the order appended for equal times).
  virtual Result<std::vector<AuditEntry>> list_audit(UnixMillis from, uint32_t limit) = 0;
};

// Opens (creating and migrating) the SQLite store at `path` ("./data/nexus.db"); its directory
// is created if missing. WAL journal; synchronous=FULL, so a committed ledger batch survives a
// crash or power loss.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

// Opens (migrating) the PostgreSQL store at `url` ("postgres://user:password@host:5432/nexus",
// or "postgresql://..."), shared by every instance configured with it. Commits wait for the WAL
// flush (synchronous_commit is kept on). Errors name the URL without its password.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

// `governance.store` as logs may show it: a postgres URL without its password
// ("postgres://user@host:port/database"), a sqlite: store as it is.
std::string store_for_logs(const std::string& store);

}  // namespace nexus::governance

// The admin API (/admin/v1): organizations, teams, users and virtual keys; usage, budgets and
// the audit log. A function of request to response, apart from any transport (admin_server.h
// serves it over HTTP), so that every handler is tested without sockets.
//
// Threads: handle() is called by one thread at a time (the admin server's); the store
// serialises its own access. Every successful change is written to the audit log and then
// `on_change` is called (the data plane rereads its key directory).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "control/admin/admin_request.h"
#include "control/admin/identity.h"
#include "governance/ledger_writer.h"
#include "governance/periods.h"
#include "governance/scope_state.h"
#include "governance/store.h"

namespace nexus::control::admin {

// The wall clock, in ms since the epoch; tests pass their own.
using Clock = std::function<governance::UnixMillis()>;
Clock system_clock();

struct AdminSettings {
  Credentials credentials;  // the pepper and the admin key's hash
  // Budget periods' calendar (governance.time_zone); required for GET /budgets.
  std::shared_ptr<const governance::TimeZone> time_zone;
  // The data plane's live counters of a scope (in flight, reserved, this minute), when this
  // process knows them (GET /budgets adds them as "live"); unset or nullopt: not known.
  std::function<std::optional<governance::ScopeView>(governance::ScopeKind, const std::string&)>
      live_scope;
  // The usage ledger writer's queue and throughput (GET /ledger); unset: 404.
  std::function<governance::LedgerWriter::Stats()> ledger_stats;
};

class AdminApi {
 public:
  AdminApi(governance::Store& store, AdminSettings settings, Clock clock,
           std::function<void()> on_change);

  AdminResponse handle(const AdminRequest& request);

 private:
  governance::Store& store_;
  AdminSettings settings_;
  Clock clock_;
  std::function<void()> on_change_;
};

}  // namespace nexus::control::admin

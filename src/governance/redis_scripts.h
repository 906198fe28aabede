// The Lua scripts RedisLimiter runs in Redis, one call per admission and one per settlement, so
// that a request's check and take over all of its scopes are one atomic step however many
// instances share the server (docs/governance.md, "Shared counters (Redis)" describes the keys).
#pragma once

#include <string_view>

namespace nexus::governance {

// ARGV: now_ms, minute, tokens, reserve, model, member, lease_ms, scope count, then per scope
// (kAdmitScopeArgs): tag, rpm, tpm, max_parallel, has model limits (0/1), the model's rpm, tpm
// and max_parallel, hard budget (0: none), budget period start.
// Returns {0} admitted; {1, scope, model (0/1), limit, a, b} refused (rpm/tpm/max_parallel:
// a = the limit, b = the minute's tokens; budget: a = spent, b = reserved); {2, scope} the
// scope's budget counters for the period do not exist (rebuild them from the ledger, retry).
extern const std::string_view kAdmitScript;
inline constexpr int kAdmitScopeArgs = 10;

// ARGV: now_ms, now minute, admission minute, estimated tokens, used tokens, cost, model,
// member, scope count, then per scope (kSettleScopeArgs): tag, has model limits (0/1), has a
// budget (0/1), budget period start, soft budget (0: none).
// Returns a flat list {scope, spent, ...} of the scopes whose spend crossed their soft budget
// now (once per period, whichever instance settles first).
extern const std::string_view kSettleScript;
inline constexpr int kSettleScopeArgs = 5;

}  // namespace nexus::governance

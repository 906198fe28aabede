// What RedisLimiter passes to its scripts (redis_scripts.h) and what their answers mean: the
// arguments built from a request's scopes, and a refusal worded exactly as ScopeState words it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "governance/limiter.h"
#include "governance/redis_connection.h"

namespace nexus::governance {

// The hash tag of a scope's keys: its kind's letter and its id ("t:team_x").
std::string scope_tag(const ScopeState& scope);
// The key of a scope's budget counters for the period starting at `period_start`.
std::string budget_key(const ScopeState& scope, UnixMillis period_start);

// Whether the scope limits anything at all (otherwise nothing needs counting).
bool limits_anything(const Controls& controls);
bool has_hard_budget(const Controls& controls);

// The admission script's ARGV for `demand` in every scope; `member` names the request in the
// in-flight sets.
std::vector<std::string> admit_script_args(Scopes scopes, const Demand& demand, UnixMillis now,
                                           std::string_view member, std::chrono::milliseconds lease,
                                           const TimeZone& zone);
// The settlement script's ARGV.
std::vector<std::string> settle_script_args(Scopes scopes, const Demand& demand, UnixMillis now,
                                            uint64_t used_tokens, NanoUsd cost,
                                            std::string_view member, const TimeZone& zone);

// An integer reply, or a string one holding an integer (0 otherwise).
int64_t reply_integer(const RedisReply& reply);

// The refusal of the admission script's answer {1, scope, model, limit, a, b} by `scope`.
Refusal script_refusal(const std::vector<RedisReply>& fields, const ScopeState& scope,
                       const Demand& demand, UnixMillis now, const TimeZone& zone);

}  // namespace nexus::governance

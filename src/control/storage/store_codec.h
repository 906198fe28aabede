// How the store's structured columns are written: controls (limits, model limits, budget) and
// string lists as JSON text, roles and budget periods as names. Any store implementation may use
// it (the PostgreSQL one writes the same JSON into jsonb columns).
//
// Controls are written in full, e.g.
//   {"limits":{"rpm":60,"tpm":0,"max_parallel":0},
//    "model_limits":[{"model":"gpt-4o","limits":{"rpm":10,"tpm":0,"max_parallel":0}}],
//    "budget":{"hard":10000000000,"soft":0,"period":"monthly"}}
// ("budget" is absent without a budget); missing members read as their defaults, so that a
// later version may add one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "governance/store.h"
#include "nexus/core/result.h"

namespace nexus::storage {

std::string controls_to_json(const governance::Controls& controls);
// kInternal naming what is wrong: stored text that does not parse means a damaged database.
Result<governance::Controls> controls_from_json(std::string_view text);

std::string strings_to_json(const std::vector<std::string>& strings);
Result<std::vector<std::string>> strings_from_json(std::string_view text);

// "admin", "org_admin", "team_admin", "member", "viewer".
std::string_view role_name(governance::Role role);
std::optional<governance::Role> parse_role(std::string_view name);

// "daily", "weekly", "monthly", "total".
std::string_view budget_period_name(governance::BudgetPeriod period);
std::optional<governance::BudgetPeriod> parse_budget_period(std::string_view name);

}  // namespace nexus::storage

// One scale between OpenAI's reasoning effort words and Anthropic's thinking budgets (tokens),
// for every provider that must turn one into the other: low 1024, medium 2048, high 4096;
// "minimal" and "none" are no thinking.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nexus::llm {

inline constexpr uint64_t kLowEffortBudget = 1024;
inline constexpr uint64_t kMediumEffortBudget = 2048;
inline constexpr uint64_t kHighEffortBudget = 4096;

// The budget of an effort word: 0 for no thinking, nullopt for a word Nexus does not know.
inline std::optional<uint64_t> effort_budget(std::string_view effort) {
  if (effort == "minimal" || effort == "none") {
    return 0;
  }
  if (effort == "low") {
    return kLowEffortBudget;
  }
  if (effort == "medium") {
    return kMediumEffortBudget;
  }
  if (effort == "high") {
    return kHighEffortBudget;
  }
  return std::nullopt;
}

// The effort word of a budget: up to 1024 tokens low, up to 2048 medium, more high.
inline std::string_view budget_effort(uint64_t budget) {
  if (budget <= kLowEffortBudget) {
    return "low";
  }
  return budget <= kMediumEffortBudget ? "medium" : "high";
}

}  // namespace nexus::llm

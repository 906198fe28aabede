// What one diagnose check found (docs/observability.md, "Diagnose"): the common result of every
// check, local or over the network, which the renderers (render.h) print and the exit status is
// derived from.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace nexus::cli::diagnose {

// kWarn: works, but needs attention (a certificate close to expiry, a low fd limit); kSkip: not
// run, and `detail` says why (an earlier step failed, a check not asked for).
enum class Status { kOk, kWarn, kFail, kSkip };

std::string_view status_name(Status status);  // "ok", "warn", "fail", "skip"

// A machine-readable value a check measured, next to its human-readable detail; only the JSON
// renderer shows these (e.g. "days_left": 41, "addresses": ["10.0.0.1"]).
using FactValue = std::variant<int64_t, std::string, std::vector<std::string>>;

struct CheckResult {
  std::string name;    // what was checked: "dns", "tcp_connect", "tls", "fd_limit"...
  std::string target;  // what it was checked on: "cluster backend 10.0.0.1:443", "process"
  Status status = Status::kOk;
  std::chrono::microseconds duration{0};  // how long the check itself took
  std::string detail;                     // one line for people; never a secret
  std::vector<std::pair<std::string, FactValue>> facts;
};

struct Summary {
  size_t ok = 0;
  size_t warn = 0;
  size_t fail = 0;
  size_t skip = 0;
};

// Runs `check` (a callable returning a CheckResult) and records how long it took.
template <typename Check>
CheckResult timed(Check&& check) {
  const auto start = std::chrono::steady_clock::now();
  CheckResult result = std::forward<Check>(check)();
  result.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

Summary summarize(std::span<const CheckResult> results);

// The process exit status of a run whose configuration loaded: 1 when any check failed, else 0
// (warnings and skips do not fail a run). A configuration that does not load is 2 (diagnose.h).
int exit_status(std::span<const CheckResult> results);

}  // namespace nexus::cli::diagnose

#include "cli/diagnose/check_result.h"

#include <algorithm>

namespace nexus::cli::diagnose {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
    case Status::kSkip:
      return "skip";
  }
  return "?";
}

Summary summarize(std::span<const CheckResult> results) {
  Summary summary;
  for (const CheckResult& result : results) {
    switch (result.status) {
      case Status::kOk:
        ++summary.ok;
        break;
      case Status::kWarn:
        ++summary.warn;
        break;
      case Status::kFail:
        ++summary.fail;
        break;
      case Status::kSkip:
        ++summary.skip;
        break;
    }
  }
  return summary;
}

int exit_status(std::span<const CheckResult> results) {
  const bool failed = std::ranges::any_of(
      results, [](const CheckResult& result) { return result.status == Status::kFail; });
  return failed ? 1 : 0;
}

}  // namespace nexus::cli::diagnose

// Runs diagnose's checks side by side, at most `parallel` at a time, so that a report over many
// endpoints takes about as long as its slowest few, not the sum of them.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "cli/diagnose/check_result.h"

namespace nexus::cli::diagnose {

// One unit of work: a local check, or the network steps of one target (endpoint_checks.h).
// Called on a worker thread; jobs share nothing.
struct Job {
  std::string target;  // what it checks, for the result of a job that threw
  std::function<std::vector<CheckResult>()> run;
};

// Runs every job on a pool of `parallel` threads (at least one) and returns their results in the
// order of `jobs`, whatever order they finished in. A job that throws (Asio or OpenSSL running
// out of memory, say) becomes one failed "internal" result instead of ending the run.
std::vector<CheckResult> run_jobs(const std::vector<Job>& jobs, size_t parallel);

}  // namespace nexus::cli::diagnose

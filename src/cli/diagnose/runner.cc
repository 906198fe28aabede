#include "cli/diagnose/runner.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <string>

namespace nexus::cli::diagnose {

std::vector<CheckResult> run_jobs(const std::vector<Job>& jobs, size_t parallel) {
  // One slot per job, each written by one thread only and read after join().
  std::vector<std::vector<CheckResult>> slots(jobs.size());
  {
    boost::asio::thread_pool pool(std::max<size_t>(parallel, 1));
    for (size_t index = 0; index < jobs.size(); ++index) {
      boost::asio::post(pool, [&jobs, &slots, index] {
        // The edge of a job: what it throws is reported, never lost with the others' results.
        try {
          slots[index] = jobs[index].run();
        } catch (const std::exception& failure) {
          CheckResult result;
          result.name = "internal";
          result.target = jobs[index].target;
          result.status = Status::kFail;
          result.detail = std::string("the check stopped: ") + failure.what();
          slots[index].push_back(std::move(result));
        }
      });
    }
    pool.join();
  }
  std::vector<CheckResult> results;
  for (std::vector<CheckResult>& slot : slots) {
    std::ranges::move(slot, std::back_inserter(results));
  }
  return results;
}

}  // namespace nexus::cli::diagnose

// diagnose's runner: results in the order of the jobs, a throwing job reported, not lost.
#include "cli/diagnose/runner.h"

#include <gtest/gtest.h>

#include <latch>
#include <stdexcept>

namespace nexus::cli::diagnose {
namespace {

CheckResult named(std::string name) {
  CheckResult result;
  result.name = std::move(name);
  return result;
}

TEST(DiagnoseRunner, ResultsKeepTheJobsOrderWhateverOrderTheyFinishIn) {
  // The first job cannot finish before the last has: completion order is the reverse of the
  // jobs' order, and the results must still come out in the jobs' order.
  std::latch last_done(1);
  std::vector<Job> jobs;
  jobs.push_back({"first", [&last_done] {
                    last_done.wait();
                    return std::vector<CheckResult>{named("a1"), named("a2")};
                  }});
  jobs.push_back({"middle", [] { return std::vector<CheckResult>{}; }});
  jobs.push_back({"last", [&last_done] {
                    std::vector<CheckResult> results{named("c")};
                    last_done.count_down();
                    return results;
                  }});
  const std::vector<CheckResult> results = run_jobs(jobs, 3);
  ASSERT_EQ(results.size(), 3U);
  EXPECT_EQ(results[0].name, "a1");
  EXPECT_EQ(results[1].name, "a2");
  EXPECT_EQ(results[2].name, "c");
}

TEST(DiagnoseRunner, AThrowingJobBecomesAFailedResult) {
  std::vector<Job> jobs;
  jobs.push_back({"cluster x 10.0.0.1:1", []() -> std::vector<CheckResult> {
                    throw std::runtime_error("out of sockets");
                  }});
  jobs.push_back({"process", [] { return std::vector<CheckResult>{named("fd_limit")}; }});
  const std::vector<CheckResult> results = run_jobs(jobs, 1);
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].name, "internal");
  EXPECT_EQ(results[0].target, "cluster x 10.0.0.1:1");
  EXPECT_EQ(results[0].status, Status::kFail);
  EXPECT_EQ(results[0].detail, "the check stopped: out of sockets");
  EXPECT_EQ(results[1].name, "fd_limit");
}

}  // namespace
}  // namespace nexus::cli::diagnose

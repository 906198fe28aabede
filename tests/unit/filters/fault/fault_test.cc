// fault: configured and header-asked delays and aborts, what earlier filters and the access log
// see of an abort, and config errors.
#include <gtest/gtest.h>

#include <string>

#include "../filter_test_harness.h"
#include "filters/fault/fault_filter.h"

namespace nexus::filters {
namespace {

using filter::Verdict;
using filter::testing::Exchange;
using filter::testing::expect_config_errors;
using std::chrono::milliseconds;

class FaultTest : public filter::testing::ChainTest {
 protected:
  std::unique_ptr<Exchange> exchange() {
    return ChainTest::exchange({.method = "GET", .target = "/"});
  }
};

TEST_F(FaultTest, AlwaysAbortAnswersWithTheStatusAndAnOpenAiError) {
  load("  - fault: {abort: {status: 418}}\n");
  auto ex = exchange();
  ASSERT_EQ(ex->request_headers(), Verdict::kReply);
  const filter::LocalReply reply = ex->run().take_reply();
  EXPECT_EQ(reply.status, 418);
  EXPECT_EQ(reply.body,
            R"({"error":{"message":"fault injected by the fault filter","type":"server_error",)"
            R"("code":"fault_injected"}})");
  ASSERT_TRUE(reply.error.has_value());
  EXPECT_EQ(reply.error->code_name(), "fault_injected");  // what the access log writes
}

TEST_F(FaultTest, AlwaysDelayPausesForTheDurationThenContinues) {
  load("  - fault: {delay: {duration: 250ms}}\n");
  auto ex = exchange();
  ASSERT_EQ(ex->request_headers(), Verdict::kPause);
  EXPECT_EQ(ex->run().pause_delay(), milliseconds(250));
  EXPECT_EQ(ex->run().resume(), Verdict::kContinue);
}

TEST_F(FaultTest, DelayThenAbortWhenBothApply) {
  load("  - fault: {delay: {duration: 100ms}, abort: {status: 503}}\n");
  auto ex = exchange();
  ASSERT_EQ(ex->request_headers(), Verdict::kPause);
  EXPECT_EQ(ex->run().pause_delay(), milliseconds(100));
  ASSERT_EQ(ex->run().resume(), Verdict::kReply);
  EXPECT_EQ(ex->run().take_reply().status, 503);
}

TEST_F(FaultTest, ZeroPercentNeverApplies) {
  load("  - fault: {delay: {duration: 1s, percentage: 0}, abort: {percentage: 0}}\n");
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(exchange()->request_headers(), Verdict::kContinue);
  }
}

TEST_F(FaultTest, APercentageAppliesToAboutThatShare) {
  load("  - fault: {abort: {status: 500, percentage: 50}}\n");
  int aborted = 0;
  constexpr int kRequests = 4000;
  for (int i = 0; i < kRequests; ++i) {
    aborted += exchange()->request_headers() == Verdict::kReply ? 1 : 0;
  }
  // Binomial(4000, 0.5): the bounds are more than 9 standard deviations wide.
  EXPECT_GT(aborted, 1700);
  EXPECT_LT(aborted, 2300);
}

TEST_F(FaultTest, HeaderControlAbortsAndDelaysOnlyWhenAsked) {
  load("  - fault: {header_control: true, max_header_delay: 2s}\n");
  EXPECT_EQ(exchange()->request_headers(), Verdict::kContinue);

  auto abort = exchange();
  abort->add_request_header("X-Nexus-Fault-Abort", "502");
  ASSERT_EQ(abort->request_headers(), Verdict::kReply);
  EXPECT_EQ(abort->run().take_reply().status, 502);

  auto delay = exchange();
  delay->add_request_header("x-nexus-fault-delay-ms", "60000");
  ASSERT_EQ(delay->request_headers(), Verdict::kPause);
  EXPECT_EQ(delay->run().pause_delay(), milliseconds(2000)) << "capped at max_header_delay";
}

TEST_F(FaultTest, HeaderValuesThatAreNotUsableAreIgnored) {
  load("  - fault: {header_control: true}\n");
  for (const char* value : {"abc", "99", "600", "-1", "", "5O2"}) {
    auto ex = exchange();
    ex->add_request_header("x-nexus-fault-abort", value);
    EXPECT_EQ(ex->request_headers(), Verdict::kContinue) << value;
  }
  auto ex = exchange();
  ex->add_request_header("x-nexus-fault-delay-ms", "0");
  EXPECT_EQ(ex->request_headers(), Verdict::kContinue) << "a zero delay is no delay";
}

TEST_F(FaultTest, WithoutHeaderControlTheHeadersDoNothing) {
  load("  - fault: {delay: {duration: 1s, percentage: 0}}\n");
  auto ex = exchange();
  ex->add_request_header("x-nexus-fault-abort", "500");
  ex->add_request_header("x-nexus-fault-delay-ms", "100");
  EXPECT_EQ(ex->request_headers(), Verdict::kContinue);
}

TEST(FaultConfig, ErrorsNameTheKey) {
  expect_config_errors({
      {"  - fault: {}\n",
       "test.yaml:5: filters[0].fault: expected at least one of delay, abort and header_control"},
      {"  - fault: {delay: {percentage: 10}}\n", "test.yaml:5: filters[0].fault.delay.duration: "},
      {"  - fault: {delay: {duration: 1s, percentage: 101}}\n",
       "test.yaml:5: filters[0].fault.delay.percentage: expected a number from 0 to 100, got "
       "'101'"},
      {"  - fault: {abort: {percentage: ten}}\n",
       "test.yaml:5: filters[0].fault.abort.percentage: expected a number from 0 to 100"},
      {"  - fault: {abort: {status: 600}}\n", "test.yaml:5: filters[0].fault.abort.status: "},
      {"  - fault: {abort: {status: 500, code: x}}\n",
       "test.yaml:5: filters[0].fault.abort: unknown key 'code'"},
  });
}

}  // namespace
}  // namespace nexus::filters

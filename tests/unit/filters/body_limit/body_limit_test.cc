// body_limit: declared lengths refused before the body, streamed bodies counted, and config
// errors.
#include <gtest/gtest.h>

#include <string>

#include "../filter_test_harness.h"
#include "filters/body_limit/body_limit_filter.h"

namespace nexus::filters {
namespace {

using filter::Verdict;
using filter::testing::Exchange;
using filter::testing::expect_config_errors;
using filter::testing::load_filter;

class BodyLimitTest : public filter::testing::ChainTest {
 protected:
  void SetUp() override { load("  - body_limit: {max_bytes: 10}\n"); }
  std::unique_ptr<Exchange> exchange() {
    return ChainTest::exchange({.method = "POST", .target = "/"});
  }
  static void expect_413(filter::ChainRun& run) {
    const filter::LocalReply reply = run.take_reply();
    EXPECT_EQ(reply.status, 413);
    ASSERT_TRUE(reply.error.has_value());
    EXPECT_EQ(reply.error->code_name(), "payload_too_large");
    EXPECT_NE(reply.body.find("larger than 10 bytes"), std::string::npos) << reply.body;
  }
};

TEST_F(BodyLimitTest, DeclaredLengthOverTheLimitIsRefusedBeforeTheBody) {
  auto ex = exchange();
  ex->add_request_header("Content-Length", "11");
  ASSERT_EQ(ex->request_headers(), Verdict::kReply);
  expect_413(ex->run());
}

TEST_F(BodyLimitTest, DeclaredLengthAtTheLimitPassesAndTheBodyIsNotCounted) {
  auto ex = exchange();
  ex->add_request_header("Content-Length", "10");
  ASSERT_EQ(ex->request_headers(), Verdict::kContinue);
  EXPECT_FALSE(ex->run().wants_request_body()) << "the codec enforces a declared length";
}

TEST_F(BodyLimitTest, AStreamedBodyIsCountedAcrossPieces) {
  auto ex = exchange();
  ex->add_request_header("Transfer-Encoding", "chunked");
  ASSERT_EQ(ex->request_headers(), Verdict::kContinue);
  ASSERT_TRUE(ex->run().wants_request_body());
  std::string piece = "123456";
  ASSERT_EQ(ex->run().request_body(piece, false), Verdict::kContinue);
  EXPECT_EQ(piece, "123456") << "passed on untouched";
  piece = "7890";
  ASSERT_EQ(ex->run().request_body(piece, false), Verdict::kContinue);  // exactly 10
  piece = "x";
  ASSERT_EQ(ex->run().request_body(piece, true), Verdict::kReply);
  expect_413(ex->run());
}

TEST_F(BodyLimitTest, NoBodyAtAllPasses) {
  auto ex = exchange();
  EXPECT_EQ(ex->request_headers(), Verdict::kContinue);
  std::string empty;
  EXPECT_EQ(ex->run().request_body(empty, true), Verdict::kContinue);
}

TEST(BodyLimitConfig, SizesAndErrors) {
  auto factory = load_filter("  - body_limit: {max_bytes: 2MiB}\n");
  ASSERT_TRUE(factory) << factory.error().message();
  EXPECT_EQ(static_cast<const BodyLimitFactory&>(**factory).max_bytes(), 2U << 20);

  expect_config_errors({
      {"  - body_limit: {}\n", "test.yaml:5: filters[0].body_limit.max_bytes: "},
      {"  - body_limit: {max_bytes: lots}\n", "test.yaml:5: filters[0].body_limit.max_bytes: "},
      {"  - body_limit: {max_bytes: 1KiB, per: route}\n",
       "test.yaml:5: filters[0].body_limit: unknown key 'per'"},
  });
}

}  // namespace
}  // namespace nexus::filters

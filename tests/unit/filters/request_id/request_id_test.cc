// request_id: UUIDv7 layout and ordering, accepting or replacing the client's id, propagation
// upstream, to the response and into the kRequestId slot, and config errors.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "../filter_test_harness.h"
#include "filters/request_id/request_id_filter.h"
#include "filters/request_id/uuid_v7.h"
#include "http/filter/request_slots.h"

namespace nexus::filters {
namespace {

using filter::testing::Exchange;
using filter::testing::FakeClock;
using filter::testing::load_error;
using filter::testing::load_filter;
using filter::testing::ReplyingFactory;
using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr uint64_t kMs = 1'717'171'717'171;  // 2024-05-31T16:08:37.171Z

system_clock::time_point at(uint64_t ms) { return system_clock::time_point(milliseconds(ms)); }

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The UUID text back to its 16 bytes (asserting the 8-4-4-4-12 shape).
std::array<uint8_t, 16> parse_uuid(const std::string& text) {
  EXPECT_EQ(text.size(), 36U) << text;
  std::array<uint8_t, 16> bytes{};
  size_t byte = 0;
  for (size_t i = 0; i < text.size() && byte < 16; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      EXPECT_EQ(text[i], '-') << text;
      continue;
    }
    EXPECT_TRUE(is_lower_hex(text[i]) && is_lower_hex(text[i + 1])) << text;
    bytes[byte++] = static_cast<uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16));
    ++i;
  }
  return bytes;
}

uint64_t timestamp_of(const std::array<uint8_t, 16>& bytes) {
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) {
    ms = (ms << 8) | bytes[i];
  }
  return ms;
}

std::string next_id(UuidV7Generator& generator, std::chrono::system_clock::time_point now) {
  const UuidText id = generator.next(now);
  return {id.data(), id.size()};
}

TEST(RequestIdUuid, HasVersion7Variant10AndTheClocksMilliseconds) {
  UuidV7Generator generator;
  const std::string id = next_id(generator, at(kMs));
  const auto bytes = parse_uuid(id);
  EXPECT_EQ(bytes[6] >> 4, 7) << id;
  EXPECT_EQ(bytes[8] >> 6, 0b10) << id;
  EXPECT_EQ(timestamp_of(bytes), kMs) << id;
  EXPECT_EQ(id[14], '7');
  EXPECT_EQ(id.substr(0, 13), "018fcf69-0433") << "48-bit big-endian milliseconds";
}

TEST(RequestIdUuid, ManyIdsAreUniqueAndStrictlyIncreasingWithinAMillisecond) {
  UuidV7Generator generator;
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 20000; ++i) {
    std::string id = next_id(generator, at(kMs + static_cast<uint64_t>(i / 5000)));
    EXPECT_GT(id, previous) << "ids of one generator sort in creation order";
    previous = id;
    seen.insert(std::move(id));
  }
  EXPECT_EQ(seen.size(), 20000U);
}

TEST(RequestIdUuid, TwoGeneratorsDoNotCollide) {
  UuidV7Generator a;
  UuidV7Generator b;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    seen.insert(next_id(a, at(kMs)));
    seen.insert(next_id(b, at(kMs)));
  }
  EXPECT_EQ(seen.size(), 10000U);
}

TEST(RequestIdUuid, ASmallClockStepBackKeepsTheOrderALargeOneFollowsTheClock) {
  UuidV7Generator generator;
  const std::string first = next_id(generator, at(kMs));
  const std::string after_small_step = next_id(generator, at(kMs - 5));
  EXPECT_GT(after_small_step, first);
  EXPECT_EQ(timestamp_of(parse_uuid(after_small_step)), kMs);
  const std::string after_large_step = next_id(generator, at(kMs - 60'000));
  EXPECT_EQ(timestamp_of(parse_uuid(after_large_step)), kMs - 60'000);
}

TEST(RequestIdUuid, TheRandomBitsComeFromTheSeed) {
  const std::array<uint64_t, 4> seed = {1, 2, 3, 4};
  UuidV7Generator a{FastRandom(seed)};
  UuidV7Generator b{FastRandom(seed)};
  UuidV7Generator c{FastRandom({5, 6, 7, 8})};
  const std::string from_a = next_id(a, at(kMs));
  EXPECT_EQ(from_a, next_id(b, at(kMs)));
  EXPECT_NE(from_a, next_id(c, at(kMs)));
  EXPECT_EQ(from_a.substr(0, 13), next_id(c, at(kMs)).substr(0, 13)) << "same millisecond";
}

TEST(RequestIdSanity, AcceptsVisibleAsciiUpToTheLimit) {
  EXPECT_TRUE(is_sane_request_id("abc-123_XYZ.~!"));
  EXPECT_TRUE(is_sane_request_id(std::string(kMaxRequestIdLength, 'a')));
  EXPECT_FALSE(is_sane_request_id(""));
  EXPECT_FALSE(is_sane_request_id(std::string(kMaxRequestIdLength + 1, 'a')));
  EXPECT_FALSE(is_sane_request_id("has space"));
  EXPECT_FALSE(is_sane_request_id("tab\there"));
  EXPECT_FALSE(is_sane_request_id("del\x7f"));
  EXPECT_FALSE(is_sane_request_id("caf\xc3\xa9"));
  EXPECT_FALSE(is_sane_request_id(std::string("nul\0x", 5)));
}

class RequestIdFilterTest : public ::testing::Test {
 protected:
  void load(std::string_view yaml) {
    auto factory = load_filter(yaml);
    ASSERT_TRUE(factory) << factory.error().message();
    chain_ = {*factory};
  }
  std::unique_ptr<Exchange> exchange() {
    clock_.set_wall(at(kMs));
    return std::make_unique<Exchange>(
        chain_, filter::RequestInfo{.method = "GET", .target = "/", .peer_ip = "10.0.0.1"}, clock_);
  }

  FakeClock clock_;
  config::FilterChain chain_;
};

TEST_F(RequestIdFilterTest, GeneratesAnIdAndPropagatesItEverywhere) {
  load("  - request_id: {}\n");
  auto ex = exchange();
  ASSERT_EQ(ex->request_headers(), filter::Verdict::kContinue);
  const std::string_view* slot = ex->context().slots().get(filter::kRequestId);
  ASSERT_NE(slot, nullptr);
  const auto bytes = parse_uuid(std::string(*slot));
  EXPECT_EQ(timestamp_of(bytes), kMs) << "from ctx.clock().wall()";
  EXPECT_EQ(ex->request_header("x-request-id"), *slot);
  ex->add_response_header("x-request-id", "upstream-own");
  ASSERT_EQ(ex->response_headers(200), filter::Verdict::kContinue);
  EXPECT_EQ(Exchange::values(ex->response_fields(), "x-request-id"),
            std::vector<std::string>{std::string(*slot)});
}

TEST_F(RequestIdFilterTest, KeepsASaneIncomingIdAndReplacesABadOne) {
  load("  - request_id: {}\n");
  auto ex = exchange();
  ex->add_request_header("X-Request-Id", "client-id-42");
  ex->request_headers();
  EXPECT_EQ(*ex->context().slots().get(filter::kRequestId), "client-id-42");
  EXPECT_EQ(Exchange::values(ex->request_fields(), "x-request-id"),
            std::vector<std::string>{"client-id-42"});

  auto bad = exchange();
  bad->add_request_header("x-request-id", std::string(200, 'x'));
  bad->add_request_header("x-request-id", "second");
  bad->request_headers();
  const std::string id(*bad->context().slots().get(filter::kRequestId));
  EXPECT_EQ(id.size(), 36U);
  EXPECT_EQ(Exchange::values(bad->request_fields(), "x-request-id"), std::vector<std::string>{id})
      << "every field of that name is replaced by one";
}

TEST_F(RequestIdFilterTest, UntrustedIncomingIdsAreAlwaysReplaced) {
  load("  - request_id: {trust_incoming: false}\n");
  auto ex = exchange();
  ex->add_request_header("x-request-id", "client-id-42");
  ex->request_headers();
  EXPECT_NE(*ex->context().slots().get(filter::kRequestId), "client-id-42");
  EXPECT_NE(ex->request_header("x-request-id"), "client-id-42");
}

TEST_F(RequestIdFilterTest, CustomHeaderAndNoResponseHeader) {
  load("  - request_id: {header: X-Trace-Id, response: false}\n");
  EXPECT_EQ(chain_.front()->hooks() & filter::kResponseHeadersHook, 0U);
  auto ex = exchange();
  ex->add_request_header("x-trace-id", "t-1");
  ex->request_headers();
  EXPECT_EQ(*ex->context().slots().get(filter::kRequestId), "t-1");
  ex->response_headers(200);
  EXPECT_EQ(ex->response_header("x-trace-id"), "<absent>");
}

// A later filter's local reply (a 401 from auth) still carries the id.
TEST_F(RequestIdFilterTest, LocalRepliesOfLaterFiltersGetTheId) {
  load("  - request_id: {}\n");
  chain_.push_back(
      std::make_shared<ReplyingFactory>(filter::LocalReply{.status = 401, .body = "{}"}));
  auto ex = exchange();
  ex->add_request_header("x-request-id", "abc");
  ASSERT_EQ(ex->request_headers(), filter::Verdict::kReply);
  const filter::LocalReply reply = ex->reply_and_filter();
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(ex->response_header("x-request-id"), "abc");
}

TEST(RequestIdConfig, Errors) {
  EXPECT_EQ(load_error("  - request_id: {header: \"x bad\"}\n"),
            "test.yaml:5: filters[0].request_id.header: expected a header name, got 'x bad'");
  EXPECT_EQ(load_error("  - request_id: {trust_incoming: maybe}\n")
                .rfind("test.yaml:5: filters[0].request_id.trust_incoming: ", 0),
            0U);
  EXPECT_NE(load_error("  - request_id: {colour: red}\n").find("unknown key 'colour'"),
            std::string::npos);
}

}  // namespace
}  // namespace nexus::filters

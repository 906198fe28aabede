// cors: origin matching, preflight answers, headers on actual responses (local replies too),
// credentials with "*", Vary merging and config errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../filter_test_harness.h"
#include "filters/cors/cors_filter.h"

namespace nexus::filters {
namespace {

using filter::Verdict;
using filter::testing::Exchange;
using filter::testing::expect_config_errors;
using filter::testing::FakeClock;
using filter::testing::load_filter;
using filter::testing::ReplyingFactory;
using Values = std::vector<std::string>;

constexpr std::string_view kAbsent = "<absent>";

std::shared_ptr<filter::FilterFactory> must_load(std::string_view yaml) {
  auto factory = load_filter(yaml);
  EXPECT_TRUE(factory) << factory.error().message();
  return factory ? *factory : nullptr;
}

const CorsPolicy& policy_of(const std::shared_ptr<filter::FilterFactory>& factory) {
  return dynamic_cast<const CorsFactory&>(*factory).policy();
}

struct MatchCase {
  const char* origin;
  bool allowed;
};

TEST(CorsMatching, ExactAndWildcardSubdomainOrigins) {
  auto factory = must_load(
      "  - cors:\n"
      "      allow_origins: [\"https://app.test.com\", \"https://*.example.com\",\n"
      "                      \"http://*.local.dev:8080\"]\n");
  ASSERT_NE(factory, nullptr);
  const CorsPolicy& policy = policy_of(factory);
  const MatchCase cases[] = {
      {"https://app.test.com", true},
      {"HTTPS://APP.TEST.COM", true},
      {"https://app.test.com:443", false},
      {"https://other.test.com", false},
      {"http://app.test.com", false},
      {"https://a.example.com", true},
      {"https://a.b.example.com", true},
      {"https://A-1.Example.COM", true},
      {"https://example.com", false},
      {"https://.example.com", false},
      {"https://a..example.com", false},
      {"https://evil-example.com", false},
      {"https://aexample.com", false},
      {"https://a.example.com.evil.com", false},
      {"https://a.example.com:8443", false},
      {"https://a/b.example.com", false},
      {"https://user@a.example.com", false},
      {"http://a.example.com", false},
      {"http://a.local.dev:8080", true},
      {"http://a.local.dev", false},
      {"null", false},
      {"", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(policy.origin_allowed(c.origin), c.allowed) << c.origin;
  }
}

TEST(CorsMatching, StarAllowsEveryOrigin) {
  auto factory = must_load("  - cors: {allow_origins: [\"*\"]}\n");
  ASSERT_NE(factory, nullptr);
  EXPECT_TRUE(policy_of(factory).origin_allowed("https://anything.org"));
  EXPECT_TRUE(policy_of(factory).origin_independent());
}

class CorsTest : public ::testing::Test {
 protected:
  void load(std::string_view yaml) {
    auto factory = must_load(yaml);
    ASSERT_NE(factory, nullptr);
    chain_ = {factory};
  }
  std::unique_ptr<Exchange> exchange(std::string method, std::string origin = "") {
    auto ex = std::make_unique<Exchange>(
        chain_, filter::RequestInfo{.method = std::move(method), .target = "/v1/chat"}, clock_);
    if (!origin.empty()) {
      ex->add_request_header("Origin", std::move(origin));
    }
    return ex;
  }
  // Runs a preflight and returns the local reply.
  filter::LocalReply preflight(std::string origin, std::string method,
                               std::string request_headers = "") {
    auto ex = exchange("OPTIONS", std::move(origin));
    ex->add_request_header("Access-Control-Request-Method", std::move(method));
    if (!request_headers.empty()) {
      ex->add_request_header("Access-Control-Request-Headers", std::move(request_headers));
    }
    EXPECT_EQ(ex->request_headers(), Verdict::kReply);
    return ex->run().take_reply();
  }
  static std::string header(const filter::LocalReply& reply, std::string_view name) {
    for (const auto& [n, v] : reply.headers) {
      if (http1::iequals(n, name)) {
        return v;
      }
    }
    return std::string(kAbsent);
  }

  FakeClock clock_;
  config::FilterChain chain_;
};

constexpr std::string_view kFull =
    "  - cors:\n"
    "      allow_origins: [\"https://*.example.com\"]\n"
    "      allow_methods: [GET, POST, DELETE]\n"
    "      allow_headers: [Content-Type, Authorization]\n"
    "      expose_headers: [X-Request-Id, X-RateLimit-Remaining]\n"
    "      allow_credentials: true\n"
    "      max_age: 10m\n";

TEST_F(CorsTest, AllowedPreflightIsAnswered204WithEveryHeader) {
  load(kFull);
  const auto reply = preflight("https://app.example.com", "DELETE", "content-type, Authorization");
  EXPECT_EQ(reply.status, 204);
  EXPECT_EQ(reply.body, "");
  EXPECT_EQ(reply.content_type, "");
  EXPECT_EQ(header(reply, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(header(reply, "access-control-allow-credentials"), "true");
  EXPECT_EQ(header(reply, "access-control-allow-methods"), "GET, POST, DELETE");
  EXPECT_EQ(header(reply, "access-control-allow-headers"), "content-type, authorization");
  EXPECT_EQ(header(reply, "access-control-max-age"), "600");
  EXPECT_EQ(header(reply, "vary"),
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  EXPECT_EQ(header(reply, "access-control-expose-headers"), kAbsent) << "not for preflights";
}

TEST_F(CorsTest, RejectedPreflightsAre403WithoutCorsHeaders) {
  load(kFull);
  struct Case {
    const char* origin;
    const char* method;
    const char* headers;
    const char* message;
  };
  const Case cases[] = {
      {"https://example.com", "GET", "", "origin not allowed"},
      {"https://app.example.com", "PUT", "", "method not allowed"},
      {"https://app.example.com", "get", "", "method not allowed"},
      {"https://app.example.com", "POST", "content-type, x-secret", "header 'x-secret'"},
  };
  for (const auto& c : cases) {
    const auto reply = preflight(c.origin, c.method, c.headers);
    EXPECT_EQ(reply.status, 403) << c.origin << " " << c.method;
    EXPECT_NE(reply.body.find(c.message), std::string::npos) << reply.body;
    EXPECT_NE(reply.body.find("\"permission_error\""), std::string::npos) << reply.body;
    EXPECT_EQ(header(reply, "access-control-allow-origin"), kAbsent);
    EXPECT_EQ(header(reply, "access-control-allow-methods"), kAbsent);
    EXPECT_NE(header(reply, "vary"), kAbsent);
  }
}

TEST_F(CorsTest, StarHeadersAndMethodsEchoTheRequest) {
  load("  - cors: {allow_origins: [\"*\"], allow_methods: [\"*\"], allow_headers: [\"*\"]}\n");
  const auto reply = preflight("https://x.org", "PATCH", "X-One,x-two , ");
  EXPECT_EQ(reply.status, 204);
  EXPECT_EQ(header(reply, "access-control-allow-origin"), "*");
  EXPECT_EQ(header(reply, "access-control-allow-methods"), "PATCH");
  EXPECT_EQ(header(reply, "access-control-allow-headers"), "x-one, x-two");
  EXPECT_EQ(header(reply, "access-control-allow-credentials"), kAbsent);
  EXPECT_EQ(header(reply, "access-control-max-age"), kAbsent);
}

TEST_F(CorsTest, OptionsWithoutRequestMethodIsAnOrdinaryRequest) {
  load(kFull);
  auto ex = exchange("OPTIONS", "https://app.example.com");
  EXPECT_EQ(ex->request_headers(), Verdict::kContinue);
  ex->response_headers(200);
  EXPECT_EQ(ex->response_header("access-control-allow-origin"), "https://app.example.com");
}

TEST_F(CorsTest, AllowedActualRequestGetsTheHeadersAndUpstreamOnesAreReplaced) {
  load(kFull);
  auto ex = exchange("POST", "https://app.example.com");
  ASSERT_EQ(ex->request_headers(), Verdict::kContinue);
  ex->add_response_header("Access-Control-Allow-Origin", "*");
  ex->add_response_header("Vary", "Accept-Encoding");
  ex->response_headers(200);
  EXPECT_EQ(Exchange::values(ex->response_fields(), "access-control-allow-origin"),
            Values{"https://app.example.com"});
  EXPECT_EQ(ex->response_header("access-control-allow-credentials"), "true");
  EXPECT_EQ(ex->response_header("access-control-expose-headers"),
            "X-Request-Id, X-RateLimit-Remaining");
  EXPECT_EQ(Exchange::values(ex->response_fields(), "vary"), Values{"Accept-Encoding, Origin"});
}

TEST_F(CorsTest, DisallowedOrNoOriginGetsNoCorsHeadersButVary) {
  load(kFull);
  for (const char* origin : {"https://evil.com", ""}) {
    auto ex = exchange("GET", origin);
    ex->request_headers();
    ex->add_response_header("Access-Control-Allow-Origin", "https://evil.com");
    ex->response_headers(200);
    EXPECT_EQ(ex->response_header("access-control-allow-origin"), kAbsent) << origin;
    EXPECT_EQ(ex->response_header("access-control-allow-credentials"), kAbsent);
    EXPECT_EQ(ex->response_header("vary"), "Origin") << "the answer depends on the Origin";
  }
}

TEST_F(CorsTest, StarWithCredentialsEchoesTheOrigin) {
  load("  - cors: {allow_origins: [\"*\"], allow_credentials: true}\n");
  auto ex = exchange("GET", "https://site.org");
  ex->request_headers();
  ex->response_headers(200);
  EXPECT_EQ(ex->response_header("access-control-allow-origin"), "https://site.org");
  EXPECT_EQ(ex->response_header("vary"), "Origin");
  const auto reply = preflight("https://site.org", "POST");
  EXPECT_EQ(header(reply, "access-control-allow-origin"), "https://site.org");
}

TEST_F(CorsTest, StarWithoutCredentialsIsAStarAndNoVary) {
  load("  - cors: {allow_origins: [\"*\"]}\n");
  auto ex = exchange("GET", "https://site.org");
  ex->request_headers();
  ex->response_headers(200);
  EXPECT_EQ(ex->response_header("access-control-allow-origin"), "*");
  EXPECT_EQ(ex->response_header("vary"), kAbsent);
}

TEST_F(CorsTest, LocalRepliesOfLaterFiltersGetTheHeaders) {
  load(kFull);
  chain_.push_back(std::make_shared<ReplyingFactory>(
      filter::LocalReply::from_error(Error(ErrorCode::kUnauthorized, "no key"))));
  auto ex = exchange("POST", "https://app.example.com");
  ASSERT_EQ(ex->request_headers(), Verdict::kReply);
  EXPECT_EQ(ex->reply_and_filter().status, 401);
  EXPECT_EQ(ex->response_header("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(ex->response_header("vary"), "Origin");
}

TEST(CorsVary, MergesIntoOneFieldAndKeepsStarOrAnExistingOrigin) {
  struct Case {
    Values before;
    Values after;
  };
  const Case cases[] = {
      {{}, {"Origin"}},
      {{"Accept-Encoding"}, {"Accept-Encoding, Origin"}},
      {{"accept-encoding", "Accept-Language , "}, {"accept-encoding, Accept-Language, Origin"}},
      {{"Accept, origin"}, {"Accept, origin"}},
      {{"*"}, {"*"}},
  };
  for (const auto& c : cases) {
    filter::Arena arena;
    std::vector<http1::Header> fields;
    for (const auto& value : c.before) {
      fields.push_back({"Vary", value});
    }
    filter::HeaderMap headers(fields, arena);
    merge_vary(headers, "Origin");
    EXPECT_EQ(Exchange::values(fields, "vary"), c.after);
  }
}

TEST(CorsConfig, Errors) {
  expect_config_errors({
      {"  - cors: {}\n", "test.yaml:5: filters[0].cors.allow_origins: required key is missing"},
      {"  - cors: {allow_origins: []}\n",
       "test.yaml:5: filters[0].cors.allow_origins: must list at least one entry"},
      {"  - cors:\n      allow_origins:\n        - https://ok.com\n        - example.com\n",
       "test.yaml:8: filters[0].cors.allow_origins[1]: expected an origin like"},
      {"  - cors: {allow_origins: [\"https://a.com/path\"]}\n",
       "test.yaml:5: filters[0].cors.allow_origins[0]: expected an origin like"},
      {"  - cors: {allow_origins: [\"https://a.*.com\"]}\n",
       "test.yaml:5: filters[0].cors.allow_origins[0]: expected an origin like"},
      {"  - cors: {allow_origins: [\"*\"], allow_methods: [\"GE T\"]}\n",
       "test.yaml:5: filters[0].cors.allow_methods[0]: expected a method like GET or *"},
      {"  - cors: {allow_origins: [\"*\"], allow_headers: [\"a:b\"]}\n",
       "test.yaml:5: filters[0].cors.allow_headers[0]: expected a header name or *"},
      {"  - cors: {allow_origins: [\"*\"], max_age: 2d}\n",
       "test.yaml:5: filters[0].cors.max_age: expected a duration"},
      {"  - cors: {allow_origins: [\"*\"], max_age: 25h}\n",
       "test.yaml:5: filters[0].cors.max_age: at most 24h"},
      {"  - cors: {allow_origins: [\"*\"], credentials: true}\n",
       "test.yaml:5: filters[0].cors: unknown key 'credentials'"},
  });
}

}  // namespace
}  // namespace nexus::filters

// The access_log filter's line: fields in order, the time format, redaction, and every ending.
#include <gtest/gtest.h>

#include "../filter_test_harness.h"
#include "filters/access_log/access_log_filter.h"
#include "http/filter/chain_run.h"
#include "http/filter/request_slots.h"

namespace nexus::filters {
namespace {

using filter::testing::expect_config_errors;
using filter::testing::load_error;
using std::chrono::milliseconds;

class FixedClock final : public filter::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point wall() const override { return wall_; }
  [[nodiscard]] std::chrono::steady_clock::time_point steady() const override { return {}; }
  std::chrono::system_clock::time_point wall_ =
      std::chrono::system_clock::time_point(milliseconds(1'795'000'123'456));  // 2026-11-18
};

class AccessLogTest : public ::testing::Test {
 protected:
  std::string line_for(AccessLogConfig config, const filter::Completion& completion,
                       std::vector<http1::Header> headers = {}) {
    auto factory = keep(std::make_shared<AccessLogFactory>(std::move(config)));
    run_.start({factory},
               {.method = "POST",
                .target = "/v1/x?y=1",
                .host = "gw.test",
                .peer_ip = "10.1.2.3",
                .route = "api"},
               nullptr, 1024);
    EXPECT_EQ(run_.request_headers(headers), filter::Verdict::kContinue);
    run_.context().slots().emplace(filter::kRequestId, "id-1");
    std::string buffer;
    return std::string(factory->format(run_.context(), completion, {}, "", buffer));
  }

  // The factories outlive the chain's filters, as the config snapshot does in the server.
  std::shared_ptr<AccessLogFactory> keep(std::shared_ptr<AccessLogFactory> factory) {
    factories_.push_back(factory);
    return factory;
  }

  FixedClock clock_;
  std::vector<std::shared_ptr<AccessLogFactory>> factories_;
  filter::ChainRun run_{clock_};
};

TEST_F(AccessLogTest, FieldsInTheConfiguredOrder) {
  AccessLogConfig config;
  config.fields = {"time", "method", "path", "status", "error", "request_id", "route", "client"};
  const Error error(ErrorCode::kUpstreamTimeout, "slow");
  EXPECT_EQ(line_for(config, {.status = 504, .error = &error}),
            R"({"time":"2026-11-18T11:08:43.456Z","method":"POST","path":"/v1/x?y=1",)"
            R"("status":504,"error":"upstream_timeout","request_id":"id-1","route":"api",)"
            R"("client":"10.1.2.3"})");
}

TEST_F(AccessLogTest, NumbersAndDurationsWithThreeDecimals) {
  AccessLogConfig config;
  config.fields = {"status", "bytes_received", "bytes_sent", "duration_ms", "upstream_duration_ms"};
  EXPECT_EQ(line_for(config, {.status = 200,
                              .request_body_bytes = 305,
                              .response_bytes = 18'446'744'073'709'551'615U,
                              .duration_ms = 1234.5678,
                              .upstream_ms = 0.0004}),
            R"({"status":200,"bytes_received":305,"bytes_sent":18446744073709551615,)"
            R"("duration_ms":1234.568,"upstream_duration_ms":0.000})");
  EXPECT_EQ(line_for(config, {.duration_ms = 0.9995, .upstream_ms = -1}),
            R"({"status":0,"bytes_received":0,"bytes_sent":0,"duration_ms":1.000,)"
            R"("upstream_duration_ms":0.000})");
}

// Model, provider and tokens are written for LLM exchanges only, the tokens only when the
// provider reported usage.
TEST_F(AccessLogTest, LlmFieldsOnlyForLlmExchanges) {
  AccessLogConfig config;
  config.fields = {"status",
                   "model",
                   "provider",
                   "input_tokens",
                   "output_tokens",
                   "cache_read_tokens",
                   "cache_write_tokens",
                   "reasoning_tokens"};
  filter::LlmUse use{.model = "fast", .provider = "openai"};
  EXPECT_EQ(line_for(config, {.status = 502, .llm = &use}),
            R"({"status":502,"model":"fast","provider":"openai"})");
  use.usage =
      llm::Usage{.input = 120, .output = 30, .cache_read = 100, .cache_write = 7, .reasoning = 12};
  EXPECT_EQ(line_for(config, {.status = 200, .llm = &use}),
            R"({"status":200,"model":"fast","provider":"openai","input_tokens":120,)"
            R"("output_tokens":30,"cache_read_tokens":100,"cache_write_tokens":7,)"
            R"("reasoning_tokens":12})");
  EXPECT_EQ(line_for(config, {.status = 200}), R"({"status":200})");
}

TEST_F(AccessLogTest, NoFieldsIsAnEmptyObject) {
  EXPECT_EQ(line_for(AccessLogConfig{}, {.status = 200}), "{}");
}

TEST_F(AccessLogTest, CredentialsAndConfiguredHeadersAreRedacted) {
  AccessLogConfig config;
  config.headers = {"user-agent", "authorization", "x-api-key", "x-secret", "absent"};
  config.redact = {"x-secret"};
  auto factory = std::make_shared<AccessLogFactory>(config);
  std::string buffer;
  EXPECT_EQ(factory->format(run_.context(), {.status = 200},
                            {"curl/8", "Bearer sk-live", "k-1", "s-1", ""}, "", buffer),
            R"({"headers":{"user-agent":"curl/8","authorization":"[redacted]",)"
            R"("x-api-key":"[redacted]","x-secret":"[redacted]","absent":""}})");
}

TEST_F(AccessLogTest, StringsAreJsonEscaped) {
  AccessLogConfig config;
  config.fields = {"path"};
  auto factory = keep(std::make_shared<AccessLogFactory>(config));
  run_.start({factory}, {.target = "/a\"b\\c\n"}, nullptr, 1024);
  std::string buffer;
  EXPECT_EQ(factory->format(run_.context(), {}, {}, "", buffer), R"({"path":"/a\"b\\c\n"})");
}

// Header names are written into the line as JSON keys without escaping: only tokens load.
TEST(AccessLogConfig, HeaderNamesMustBeTokens) {
  expect_config_errors({
      {"  - access_log: {headers: [x-ok, 'a\"b']}\n",
       R"(test.yaml:5: filters[0].access_log.headers[1]: expected a header name, got 'a"b')"},
      {"  - access_log: {redact: ['a b']}\n",
       "test.yaml:5: filters[0].access_log.redact[0]: expected a header name, got 'a b'"},
  });
  EXPECT_EQ(load_error("  - access_log: {headers: [X-Trace], redact: [x-trace]}\n"), "");
}

}  // namespace
}  // namespace nexus::filters

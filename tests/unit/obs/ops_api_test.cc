// The ops listener's answers, without sockets: /healthz, /readyz, /metrics in both formats, and
// the rest.
#include "obs/ops_api.h"

#include <gtest/gtest.h>

namespace nexus::obs {
namespace {

class OpsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.add({.name = "nexus_test_events", .help = "Events."}).has_value());
    registry_.freeze(1);
  }
  metrics::Registry registry_;
};

TEST_F(OpsApiTest, HealthzAnswersOk) {
  const net::ControlResponse answer = handle_ops_request(registry_, {}, "GET", "/healthz", "");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, R"({"status":"ok"})");
}

TEST_F(OpsApiTest, MetricsInPrometheusTextByDefault) {
  const net::ControlResponse answer = handle_ops_request(registry_, {}, "GET", "/metrics?x=1", "");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(answer.body.find("\nnexus_test_events_total 0\n"), std::string::npos) << answer.body;
  EXPECT_EQ(answer.body.find("# EOF"), std::string::npos);
}

TEST_F(OpsApiTest, MetricsInOpenMetricsWhenAsked) {
  const net::ControlResponse answer =
      handle_ops_request(registry_, {}, "GET", "/metrics", "application/openmetrics-text");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_TRUE(answer.body.ends_with("# EOF\n")) << answer.body;
}

TEST_F(OpsApiTest, ReadyzAnswersWhatTheProbeJudges) {
  const ReadinessProbe not_ready = [] {
    return Readiness{.ready = false, .detail = R"({"status":"not_ready"})"};
  };
  const net::ControlResponse refused =
      handle_ops_request(registry_, not_ready, "GET", "/readyz", "");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body, R"({"status":"not_ready"})");
  const ReadinessProbe ready = [] { return Readiness{.detail = R"({"status":"ready"})"}; };
  EXPECT_EQ(handle_ops_request(registry_, ready, "GET", "/readyz?verbose", "").status, 200);
  EXPECT_EQ(handle_ops_request(registry_, ready, "POST", "/readyz", "").status, 405);
}

TEST_F(OpsApiTest, AlertsAnswersTheViewOnlyWhenAlertsAreConfigured) {
  EXPECT_EQ(handle_ops_request(registry_, {}, "GET", "/alerts", "").status, 404);
  const AlertsView view = [] { return std::string(R"({"rules":[]})"); };
  const net::ControlResponse answer = handle_ops_request(registry_, {}, "GET", "/alerts", "", view);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, R"({"rules":[]})");
  EXPECT_EQ(handle_ops_request(registry_, {}, "POST", "/alerts", "", view).status, 405);
}

TEST_F(OpsApiTest, OtherPathsAndMethodsAreRefused) {
  EXPECT_EQ(handle_ops_request(registry_, {}, "GET", "/", "").status, 404);
  EXPECT_EQ(handle_ops_request(registry_, {}, "GET", "/metricsx", "").status, 404);
  EXPECT_EQ(handle_ops_request(registry_, {}, "POST", "/metrics", "").status, 405);
}

}  // namespace
}  // namespace nexus::obs

// The three forms of diagnose's report.
#include "cli/diagnose/render.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

namespace nexus::cli::diagnose {
namespace {

namespace json = boost::json;
using std::chrono::microseconds;

Report sample() {
  Report report;
  report.config_path = "nexus.yaml";
  CheckResult config{"config", "nexus.yaml", Status::kOk, microseconds(2100), "1 listener(s)", {}};
  CheckResult tcp{"tcp_connect",     "cluster up 127.0.0.1:9",          Status::kFail,
                  microseconds(420), "127.0.0.1:9: connection refused", {}};
  CheckResult tls{"tls",
                  "provider openai api.openai.com:443",
                  Status::kWarn,
                  microseconds(1'250'000),
                  "TLSv1.3 | expires in 3 days",
                  {}};
  tls.facts.emplace_back("days_left", int64_t{3});
  tls.facts.emplace_back("subject", std::string("api.openai.com"));
  CheckResult dns{"dns",           "cluster up 127.0.0.1:9", Status::kSkip,
                  microseconds(0), "an IP address",          {}};
  dns.facts.emplace_back("addresses", std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  report.results = {config, dns, tcp, tls};
  return report;
}

TEST(DiagnoseRender, DurationText) {
  EXPECT_EQ(duration_text(microseconds(420)), "0.42 ms");
  EXPECT_EQ(duration_text(microseconds(12'345)), "12.3 ms");
  EXPECT_EQ(duration_text(microseconds(1'250'000)), "1.25 s");
}

TEST(DiagnoseRender, FormatNames) {
  EXPECT_EQ(parse_format("text"), Format::kText);
  EXPECT_EQ(parse_format("json"), Format::kJson);
  EXPECT_EQ(parse_format("markdown"), Format::kMarkdown);
  EXPECT_EQ(parse_format("yaml"), std::nullopt);
}

TEST(DiagnoseRender, TextIsAlignedAndPlainWithoutColour) {
  std::ostringstream out;
  render_text(sample(), out, false);
  EXPECT_EQ(out.str(),
            "nexus diagnose nexus.yaml\n"
            "\n"
            "STATUS  CHECK        TARGET                                 TIME  DETAIL\n"
            "ok      config       nexus.yaml                           2.1 ms  1 listener(s)\n"
            "skip    dns          cluster up 127.0.0.1:9              0.00 ms  an IP address\n"
            "fail    tcp_connect  cluster up 127.0.0.1:9              0.42 ms  127.0.0.1:9: "
            "connection refused\n"
            "warn    tls          provider openai api.openai.com:443   1.25 s  TLSv1.3 | expires "
            "in 3 days\n"
            "\n"
            "4 checks: 1 ok, 1 warn, 1 fail, 1 skipped\n");
}

TEST(DiagnoseRender, TextColoursOnlyTheStatusWhenAsked) {
  std::ostringstream out;
  render_text(sample(), out, true);
  const std::string text = out.str();
  EXPECT_NE(text.find("\x1b[1;31mfail\x1b[0m    tcp_connect"), std::string::npos) << text;
  EXPECT_NE(text.find("\x1b[32mok\x1b[0m      config"), std::string::npos) << text;
}

TEST(DiagnoseRender, JsonCarriesStatusSummaryAndFacts) {
  std::ostringstream out;
  render_json(sample(), out);
  const json::value document = json::parse(out.str());
  const json::object& root = document.as_object();
  EXPECT_EQ(root.at("config").as_string(), "nexus.yaml");
  EXPECT_EQ(root.at("status").as_string(), "fail");
  const json::object& summary = root.at("summary").as_object();
  EXPECT_EQ(summary.at("ok").to_number<int>(), 1);
  EXPECT_EQ(summary.at("warn").to_number<int>(), 1);
  EXPECT_EQ(summary.at("fail").to_number<int>(), 1);
  EXPECT_EQ(summary.at("skip").to_number<int>(), 1);
  const json::array& checks = root.at("checks").as_array();
  ASSERT_EQ(checks.size(), 4U);
  const json::object& tcp = checks[2].as_object();
  EXPECT_EQ(tcp.at("name").as_string(), "tcp_connect");
  EXPECT_EQ(tcp.at("status").as_string(), "fail");
  EXPECT_DOUBLE_EQ(tcp.at("duration_ms").to_number<double>(), 0.42);
  EXPECT_EQ(tcp.at("detail").as_string(), "127.0.0.1:9: connection refused");
  const json::object& tls_facts = checks[3].as_object().at("facts").as_object();
  EXPECT_EQ(tls_facts.at("days_left").to_number<int>(), 3);
  EXPECT_EQ(tls_facts.at("subject").as_string(), "api.openai.com");
  const json::array& addresses = checks[1].as_object().at("facts").at("addresses").as_array();
  ASSERT_EQ(addresses.size(), 2U);
  EXPECT_EQ(addresses[1].as_string(), "10.0.0.2");
}

TEST(DiagnoseRender, JsonOfAllOkIsOk) {
  Report report;
  report.results.push_back({"fd_limit", "process", Status::kOk, microseconds(1), "fine", {}});
  report.results.push_back({"api_probe", "provider x a:1", Status::kSkip, microseconds(0), "", {}});
  std::ostringstream out;
  render_json(report, out);
  EXPECT_EQ(json::parse(out.str()).at("status").as_string(), "ok");
}

TEST(DiagnoseRender, MarkdownTableEscapesPipes) {
  std::ostringstream out;
  render_markdown(sample(), out);
  const std::string text = out.str();
  EXPECT_EQ(
      text.rfind("## nexus diagnose `nexus.yaml`\n\n| status | check | target | time | detail |\n"
                 "|---|---|---|--:|---|\n",
                 0),
      0U)
      << text;
  EXPECT_NE(text.find("| **fail** | tcp_connect | cluster up 127.0.0.1:9 | 0.42 ms | "
                      "127.0.0.1:9: connection refused |\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| TLSv1.3 \\| expires in 3 days |"), std::string::npos) << text;
  EXPECT_NE(text.find("| ok | config |"), std::string::npos) << text;
  EXPECT_NE(text.find("\n4 checks: 1 ok, 1 warn, 1 fail, 1 skipped\n"), std::string::npos);
}

}  // namespace
}  // namespace nexus::cli::diagnose

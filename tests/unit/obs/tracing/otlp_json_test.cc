// The OTLP JSON encoding: the export request's shape, hex ids, 64-bit integers as strings,
// enums as integers, escaping, and text that is not UTF-8.
#include "obs/tracing/otlp_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace nexus::obs::tracing {
namespace {

Span sample_span() {
  Span span{.trace_id = {.high = 0x4bf92f3577b34da6, .low = 0xa3ce929d0e0e4736},
            .span_id = 0x00f067aa0ba902b7,
            .parent_span_id = 0x1,
            .flags = 1,
            .name = "GET \"quoted\"",
            .kind = SpanKind::kServer,
            .start_unix_nano = 1700000000000000000,
            .end_unix_nano = 1700000000000000123};
  span.set("http.response.status_code", int64_t{200});
  span.set("ratio", 0.5);
  span.set("ok", true);
  span.set("url.path", std::string_view("/caf\xc3\xa9"));
  span.events.push_back({.name = "gen_ai.first_token", .time_unix_nano = 5, .attributes = {}});
  return span;
}

TEST(OtlpJsonTest, EncodesAnExportRequest) {
  std::string out;
  const Span span = sample_span();
  encode_export_request({&span, 1}, {.service_name = "nexus"}, out);
  const auto request = boost::json::parse(out);
  const auto& resource_spans = request.at("resourceSpans").at(0);
  const auto& service = resource_spans.at("resource").at("attributes").at(0);
  EXPECT_EQ(service.at("key"), "service.name");
  EXPECT_EQ(service.at("value").at("stringValue"), "nexus");
  const auto& scope = resource_spans.at("scopeSpans").at(0);
  EXPECT_EQ(scope.at("scope").at("name"), "nexus");
  const auto& encoded = scope.at("spans").at(0);
  EXPECT_EQ(encoded.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(encoded.at("spanId"), "00f067aa0ba902b7");
  EXPECT_EQ(encoded.at("parentSpanId"), "0000000000000001");
  EXPECT_EQ(encoded.at("name"), "GET \"quoted\"");
  EXPECT_EQ(encoded.at("kind"), 2);
  EXPECT_EQ(encoded.at("flags"), 1);
  EXPECT_EQ(encoded.at("startTimeUnixNano"), "1700000000000000000");
  EXPECT_EQ(encoded.at("endTimeUnixNano"), "1700000000000000123");
  EXPECT_EQ(encoded.at("attributes").at(0).at("value").at("intValue"), "200");
  EXPECT_EQ(encoded.at("attributes").at(1).at("value").at("doubleValue"), 0.5);
  EXPECT_EQ(encoded.at("attributes").at(2).at("value").at("boolValue"), true);
  EXPECT_EQ(encoded.at("attributes").at(3).at("value").at("stringValue"), "/caf\xc3\xa9");
  EXPECT_EQ(encoded.at("events").at(0).at("timeUnixNano"), "5");
  EXPECT_EQ(encoded.at("status").at("code"), 0);
}

TEST(OtlpJsonTest, TextThatIsNotUtf8StaysValidJson) {
  Span span = sample_span();
  span.attributes.clear();
  span.set("url.path", std::string_view("/a\xff\xc3(b\x01"));
  std::string out;
  encode_export_request({&span, 1}, {.service_name = "nexus"}, out);
  boost::system::error_code error;
  const auto request = boost::json::parse(out, error);
  ASSERT_FALSE(error) << out;
  const auto& value = request.at("resourceSpans")
                          .at(0)
                          .at("scopeSpans")
                          .at(0)
                          .at("spans")
                          .at(0)
                          .at("attributes")
                          .at(0)
                          .at("value")
                          .at("stringValue");
  EXPECT_EQ(value, "/a??(b\x01");
}

}  // namespace
}  // namespace nexus::obs::tracing

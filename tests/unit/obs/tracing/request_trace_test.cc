// One exchange's trace: the client's trace id kept, the parent's flag honoured, a traceparent
// per upstream attempt (patched in place in a head sent again), spans and their parents, the
// GenAI stream event, and nothing at all with tracing off or unsampled.
#include "obs/tracing/request_trace.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <string>

#include "obs/tracing/otlp_json.h"
#include "obs/tracing/tracer.h"

namespace nexus::obs::tracing {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kUnsampledParent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

// A tracer whose exporter keeps the spans it gets (sent at once: batch size 1).
class RequestTraceTest : public ::testing::Test {
 protected:
  void make_tracer(double ratio) {
    ExporterOptions options{.resource = {.service_name = "test"},
                            .max_queue_spans = 1000,
                            .batch_size = 1000,
                            .flush_interval = std::chrono::hours(1)};
    tracer_ = std::make_unique<Tracer>(
        ratio, std::make_unique<SpanExporter>(options, [this](std::string_view body, milliseconds) {
          const std::lock_guard lock(mutex_);
          bodies_.emplace_back(body);
          return SendResult::kSent;
        }));
  }
  // The spans of every export request made so far (the tracer is shut down first).
  boost::json::array exported() {
    tracer_.reset();
    boost::json::array out;
    for (const std::string& body : bodies_) {
      const auto request = boost::json::parse(body);
      for (const auto& span :
           request.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").as_array()) {
        out.push_back(span);
      }
    }
    return out;
  }

  // The clock the traces read: tests move it, and count the reads.
  static RequestTrace::Time fake_clock() {
    ++clock_reads;
    return fake_now;
  }
  static void at(milliseconds offset) { fake_now = kStart + offset; }

  static inline const RequestTrace::Time kStart = std::chrono::system_clock::now();
  static inline RequestTrace::Time fake_now = kStart;
  static inline int clock_reads = 0;
  std::unique_ptr<Tracer> tracer_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

TEST_F(RequestTraceTest, OffWithoutATracer) {
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  trace.begin(nullptr, kParent, "", "GET", "/", "h");
  EXPECT_FALSE(trace.active());
  EXPECT_TRUE(trace.traceparent().empty());
  std::string head = "GET / HTTP/1.1\r\n\r\n";
  trace.inject(head);
  EXPECT_EQ(head, "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(RequestTraceTest, KeepsTheClientsTraceAndPropagatesTheAttemptsId) {
  make_tracer(0.0);  // the sampled parent decides, not the ratio
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  trace.begin(tracer_.get(), kParent, "rojo=00f067aa0ba902b7", "GET", "/items", "api");
  trace.set_route("items");
  ASSERT_TRUE(trace.sampled());
  trace.begin_attempt("GET", "127.0.0.1:9000");
  const std::string first(trace.traceparent());
  EXPECT_TRUE(first.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
  EXPECT_TRUE(first.ends_with("-01"));
  EXPECT_EQ(trace.tracestate(), "rojo=00f067aa0ba902b7");
  trace.attempt_status(200);
  at(milliseconds(5));
  trace.end_attempt();
  at(milliseconds(6));
  trace.finish(200, "", "");

  const auto spans = exported();
  ASSERT_EQ(spans.size(), 2U);
  const auto& server = spans[0].as_object();
  const auto& attempt = spans[1].as_object();
  EXPECT_EQ(server.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(server.at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(server.at("kind"), 2);
  EXPECT_EQ(server.at("name"), "GET items");
  EXPECT_EQ(attempt.at("kind"), 3);
  EXPECT_EQ(attempt.at("parentSpanId"), server.at("spanId"));
  EXPECT_EQ(first.substr(36, 16), attempt.at("spanId").as_string());
  EXPECT_EQ(attempt.at("traceState"), "rojo=00f067aa0ba902b7");
}

TEST_F(RequestTraceTest, ARetryGetsANewSpanIdPatchedIntoTheHead) {
  make_tracer(1.0);
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  trace.begin(tracer_.get(), "", "", "GET", "/", "h");
  std::string head = "GET / HTTP/1.1\r\ntraceparent: ";
  head += trace.traceparent();
  head += "\r\n\r\n";
  trace.begin_attempt("GET", "a", &head);
  const std::string first(trace.traceparent());
  EXPECT_NE(head.find(first), std::string::npos);
  trace.end_attempt();
  trace.begin_attempt("GET", "b", &head);
  const std::string second(trace.traceparent());
  EXPECT_NE(first, second);
  EXPECT_EQ(head.find(first), std::string::npos);
  EXPECT_NE(head.find(second), std::string::npos);
  EXPECT_EQ(first.substr(0, 36), second.substr(0, 36));  // the same trace
}

TEST_F(RequestTraceTest, AnUnsampledParentIsHonouredAndPropagated) {
  make_tracer(1.0);
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  const int reads = clock_reads;
  trace.begin(tracer_.get(), kUnsampledParent, "", "GET", "/", "h");
  EXPECT_TRUE(trace.active());
  EXPECT_FALSE(trace.sampled());
  trace.begin_attempt("GET", "a");
  EXPECT_TRUE(trace.traceparent().starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
  EXPECT_TRUE(trace.traceparent().ends_with("-00"));
  trace.end_attempt();
  trace.finish(200, "", "");
  EXPECT_EQ(clock_reads, reads);  // an unsampled request never reads the clock
  EXPECT_TRUE(exported().empty());
}

TEST_F(RequestTraceTest, AnInvalidTraceparentStartsANewTraceWithoutItsTracestate) {
  make_tracer(1.0);
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  trace.begin(tracer_.get(), "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "a=b",
              "GET", "/", "h");
  EXPECT_TRUE(trace.sampled());
  EXPECT_TRUE(trace.trace_id().valid());
  EXPECT_TRUE(trace.tracestate().empty());
}

TEST_F(RequestTraceTest, AnLlmRequestHasRoutingAttemptAndStreamSpans) {
  make_tracer(1.0);
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  trace.begin(tracer_.get(), "", "", "POST", "/v1/chat/completions", "h");
  trace.begin_routing("gpt-x");
  trace.begin_llm_attempt(
      {.operation = "chat", .provider = "openai", .request_model = "gpt-x-2025", .max_tokens = 64});
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nhost: p\r\n\r\n";
  trace.inject(head);
  EXPECT_NE(head.find("\r\ntraceparent: 00-"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  trace.attempt_status(200);
  trace.begin_stream();
  at(milliseconds(120));
  trace.first_token();
  trace.attempt_usage("gpt-x-2025", 10, 20);
  at(milliseconds(300));
  trace.end_routing();
  at(milliseconds(301));
  trace.finish(200, "", "");

  const auto spans = exported();
  ASSERT_EQ(spans.size(), 4U);
  const auto& server = spans[0].as_object();
  const auto& routing = spans[1].as_object();
  const auto& attempt = spans[2].as_object();
  const auto& stream = spans[3].as_object();
  EXPECT_EQ(routing.at("parentSpanId"), server.at("spanId"));
  EXPECT_EQ(attempt.at("parentSpanId"), routing.at("spanId"));
  EXPECT_EQ(stream.at("parentSpanId"), attempt.at("spanId"));
  EXPECT_EQ(attempt.at("name"), "chat gpt-x-2025");
  const std::string attributes = boost::json::serialize(attempt.at("attributes"));
  for (const char* expected :
       {R"({"key":"gen_ai.provider.name","value":{"stringValue":"openai"}})",
        R"({"key":"gen_ai.request.max_tokens","value":{"intValue":"64"}})",
        R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":"10"}})",
        R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":"20"}})"}) {
    EXPECT_NE(attributes.find(expected), std::string::npos) << expected << " in " << attributes;
  }
  const auto& event = stream.at("events").at(0).as_object();
  EXPECT_EQ(event.at("name"), "gen_ai.first_token");
  // The times are the clock's at each hook.
  const auto nanos = [](const boost::json::value& field) {
    return std::stoll(std::string(field.as_string()));
  };
  EXPECT_EQ(nanos(routing.at("endTimeUnixNano")) - nanos(routing.at("startTimeUnixNano")),
            300'000'000);
  EXPECT_EQ(nanos(server.at("endTimeUnixNano")) - nanos(server.at("startTimeUnixNano")),
            301'000'000);
  EXPECT_EQ(nanos(event.at("timeUnixNano")) - nanos(server.at("startTimeUnixNano")), 120'000'000);
}

TEST_F(RequestTraceTest, AServerErrorMarksTheServerSpan) {
  make_tracer(1.0);
  RequestTrace trace;
  trace.use_clock(&fake_clock);
  at(milliseconds(0));
  trace.begin(tracer_.get(), "", "", "GET", "/", "h");
  trace.finish(502, "upstream_connect_failed", "connection refused");
  trace.finish(502, "", "");  // a second call does nothing
  const auto spans = exported();
  ASSERT_EQ(spans.size(), 1U);
  EXPECT_EQ(spans[0].at("status").at("code"), 2);
  EXPECT_EQ(spans[0].at("status").at("message"), "connection refused");
}

}  // namespace
}  // namespace nexus::obs::tracing

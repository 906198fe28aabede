// headers: template parsing, expansion of every attribute, remove/set/add on requests and
// responses (local replies too), control characters, and config errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "../filter_test_harness.h"
#include "filters/headers/headers_filter.h"
#include "filters/headers/template.h"
#include "http/filter/request_slots.h"

namespace nexus::filters {
namespace {

using filter::Verdict;
using filter::testing::Exchange;
using filter::testing::expect_config_errors;
using filter::testing::load_filter;
using filter::testing::ReplyingFactory;
using Values = std::vector<std::string>;

TEST(HeadersTemplate, ParsesLiteralsAttributesAndEscapes) {
  auto parsed = ValueTemplate::parse("a %{method} 100%% %x %{header:X-Foo}%");
  ASSERT_TRUE(parsed) << parsed.error();
  const auto& parts = parsed->parts();
  ASSERT_EQ(parts.size(), 5U);
  EXPECT_EQ(parts[0].text, "a ");
  EXPECT_EQ(parts[1].attribute, Attribute::kMethod);
  EXPECT_EQ(parts[2].text, " 100% %x ");
  EXPECT_EQ(parts[3].attribute, Attribute::kHeader);
  EXPECT_EQ(parts[3].text, "x-foo");
  EXPECT_EQ(parts[4].text, "%");
}

TEST(HeadersTemplate, RejectsBadTemplates) {
  EXPECT_EQ(ValueTemplate::parse("%{nope}").error().rfind("unknown attribute '%{nope}'", 0), 0U);
  EXPECT_EQ(ValueTemplate::parse("x %{method").error(),
            "unterminated '%{' (write %% for a literal %)");
  EXPECT_FALSE(ValueTemplate::parse("%{}"));
  EXPECT_FALSE(ValueTemplate::parse("%{header:}"));
  EXPECT_FALSE(ValueTemplate::parse("%{header:a b}"));
  EXPECT_FALSE(ValueTemplate::parse("a\r\nb"));
  EXPECT_FALSE(ValueTemplate::parse(std::string("a\0b", 3)));
}

class HeadersTest : public filter::testing::ChainTest {
 protected:
  std::unique_ptr<Exchange> exchange() {
    return ChainTest::exchange({.method = "POST",
                                .target = "/v1/chat?x=1",
                                .host = "api.example.com",
                                .peer_ip = "10.0.0.1",
                                .route = "chat"});
  }
};

TEST_F(HeadersTest, RequestOperationsRunInOnUpstreamRequestWithEveryAttribute) {
  load(
      "  - headers:\n"
      "      request:\n"
      "        remove: [Authorization, x-drop]\n"
      "        set:\n"
      "          x-info: \"%{method} %{path} %{host} %{route} %{client_ip}\"\n"
      "          x-user: \"%{identity}\"\n"
      "          x-id: \"id=%{request_id}\"\n"
      "          x-echo: \"%{header:x-in}/%{header:authorization}\"\n"
      "        add:\n"
      "          x-multi: \"second\"\n");
  EXPECT_EQ(chain_.front()->hooks(), filter::kUpstreamRequestHook);
  auto ex = exchange();
  ex->add_request_header("Authorization", "Bearer k");
  ex->add_request_header("X-Drop", "1");
  ex->add_request_header("x-user", "spoofed");
  ex->add_request_header("X-In", "in-value");
  ex->add_request_header("x-multi", "first");
  ASSERT_EQ(ex->request_headers(), Verdict::kContinue);
  // As the auth, request_id and ip_filter filters would have, in their own request hooks.
  ex->context().slots().emplace(filter::kIdentity, filter::Identity{.subject = "alice"});
  ex->context().slots().emplace(filter::kRequestId, "rid-1");
  ex->context().set_client_ip("198.51.100.7");
  ASSERT_EQ(ex->upstream_request(), Verdict::kContinue);
  EXPECT_EQ(ex->request_header("authorization"), "<absent>");
  EXPECT_EQ(ex->request_header("x-drop"), "<absent>");
  EXPECT_EQ(ex->request_header("x-info"), "POST /v1/chat api.example.com chat 198.51.100.7");
  EXPECT_EQ(Exchange::values(ex->request_fields(), "x-user"), Values{"alice"});
  EXPECT_EQ(ex->request_header("x-id"), "id=rid-1");
  EXPECT_EQ(ex->request_header("x-echo"), "in-value/Bearer k") << "values read before removal";
  EXPECT_EQ(Exchange::values(ex->request_fields(), "x-multi"), (Values{"first", "second"}));
}

TEST_F(HeadersTest, AnEmptyValueSetsNothingSoClientValuesCannotSurvive) {
  load(
      "  - headers: {request: {set: {x-user: \"%{identity}\"}, add: {x-also: \"%{identity}\"}}}\n");
  auto ex = exchange();
  ex->add_request_header("X-User", "spoofed");
  ex->request_headers();
  ex->upstream_request();
  EXPECT_EQ(ex->request_header("x-user"), "<absent>");
  EXPECT_EQ(ex->request_header("x-also"), "<absent>");
}

TEST_F(HeadersTest, ControlCharactersFromAttributesAreDropped) {
  load("  - headers: {request: {set: {x-user: \" <%{identity}> \"}}}\n");
  auto ex = exchange();
  ex->request_headers();
  ex->context().slots().emplace(filter::kIdentity,
                                filter::Identity{.subject = "ev\r\nil\x01\x7f-user"});
  ex->upstream_request();
  EXPECT_EQ(ex->request_header("x-user"), "<evil-user>");
}

TEST_F(HeadersTest, ResponseOperationsUseCapturedRequestHeaders) {
  load(
      "  - headers:\n"
      "      response:\n"
      "        remove: [server]\n"
      "        set: {x-served-for: \"%{header:x-tenant} via %{route}\"}\n"
      "        add: {cache-control: no-store}\n");
  EXPECT_EQ(chain_.front()->hooks(), filter::kRequestHeadersHook | filter::kResponseHeadersHook);
  auto ex = exchange();
  ex->add_request_header("X-Tenant", "acme");
  ex->request_headers();
  ex->add_response_header("Server", "upstream/1.0");
  ex->add_response_header("X-Served-For", "old");
  ex->response_headers(200);
  EXPECT_EQ(ex->response_header("server"), "<absent>");
  EXPECT_EQ(Exchange::values(ex->response_fields(), "x-served-for"), Values{"acme via chat"});
  EXPECT_EQ(ex->response_header("cache-control"), "no-store");
}

TEST_F(HeadersTest, LocalRepliesOfLaterFiltersGetResponseHeaders) {
  load("  - headers: {response: {set: {x-tenant: \"%{header:x-tenant}\"}}}\n");
  chain_.push_back(std::make_shared<ReplyingFactory>(
      filter::LocalReply::from_error(Error(ErrorCode::kForbidden, "no"))));
  auto ex = exchange();
  ex->add_request_header("x-tenant", "acme");
  ASSERT_EQ(ex->request_headers(), Verdict::kReply);
  EXPECT_EQ(ex->reply_and_filter().status, 403);
  EXPECT_EQ(ex->response_header("x-tenant"), "acme");
}

TEST(HeadersConfig, EnvironmentSyntaxIsTheReadersAndPercentIsOurs) {
  ::setenv("NEXUS_T_HEADERS_ENV", "from-env", 1);  // NOLINT(concurrency-mt-unsafe): test only
  auto factory =
      load_filter("  - headers: {request: {set: {x-a: \"${NEXUS_T_HEADERS_ENV} $$%{method}\"}}}\n");
  ASSERT_TRUE(factory) << factory.error().message();
  const auto& set = dynamic_cast<const HeadersFactory&>(**factory).config().request.set;
  ASSERT_EQ(set.size(), 1U);
  const auto& parts = set.front().second.parts();
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].text, "from-env $");
  EXPECT_EQ(parts[1].attribute, Attribute::kMethod);
}

TEST(HeadersConfig, Errors) {
  expect_config_errors({
      {"  - headers: {}\n",
       "test.yaml:5: filters[0].headers: expected request or response operations"},
      {"  - headers:\n      request:\n        set:\n          x-a: \"%{user}\"\n",
       "test.yaml:8: filters[0].headers.request.set.x-a: unknown attribute '%{user}'"},
      {"  - headers: {response: {add: {x-a: \"%{method\"}}}\n",
       "test.yaml:5: filters[0].headers.response.add.x-a: unterminated '%{'"},
      {"  - headers: {request: {set: {Host: a}}}\n",
       "test.yaml:5: filters[0].headers.request.set.Host: 'Host' is a framing or hop-by-hop"},
      {"  - headers: {response: {add: {transfer-encoding: chunked}}}\n",
       "test.yaml:5: filters[0].headers.response.add.transfer-encoding: 'transfer-encoding' is"},
      {"  - headers:\n      request:\n        remove: [x-ok, Content-Length]\n",
       "test.yaml:7: filters[0].headers.request.remove[1]: 'Content-Length' is a framing"},
      {"  - headers: {request: {remove: [connection]}}\n",
       "test.yaml:5: filters[0].headers.request.remove[0]: 'connection' is a framing"},
      {"  - headers: {request: {set: {\"bad name\": a}}}\n",
       "test.yaml:5: filters[0].headers.request.set.bad name: expected a header name"},
      {"  - headers: {request: {set: {x-a: \"a\\r\\nb: c\"}}}\n",
       "test.yaml:5: filters[0].headers.request.set.x-a: control characters"},
      {"  - headers: {request: {replace: {x-a: b}}}\n",
       "test.yaml:5: filters[0].headers.request: unknown key 'replace'"},
      {"  - headers: {request: {set: [x-a]}}\n",
       "test.yaml:5: filters[0].headers.request.set: expected a mapping"},
  });
}

}  // namespace
}  // namespace nexus::filters

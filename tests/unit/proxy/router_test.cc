#include "proxy/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nexus::proxy {
namespace {

using config::HeaderMatch;
using config::Route;

Route route_to(std::string cluster) {
  Route route;
  route.cluster = std::move(cluster);
  return route;
}

HeaderMatch exact_header(std::string name, std::string value) {
  HeaderMatch header;
  header.name = std::move(name);
  header.exact = std::move(value);
  return header;
}

HeaderMatch regex_header(std::string name, std::string pattern) {
  HeaderMatch header;
  header.name = std::move(name);
  header.regex = std::move(pattern);
  return header;
}

HeaderMatch presence_header(std::string name, bool present) {
  HeaderMatch header;
  header.name = std::move(name);
  header.present = present;
  return header;
}

class RouterTest : public ::testing::Test {
 protected:
  // The cluster of the matching route, or "" when none matches.
  std::string match(std::string_view path, std::string_view host = "api.example.com",
                    std::string_view method = "GET", std::vector<http1::Header> headers = {}) {
    if (!router_) {
      auto built = Router::build(routes_);
      EXPECT_TRUE(built.has_value()) << built.error().message();
      router_ = std::move(*built);
    }
    RouteRequest request{method, host, path, headers};
    const Route* route = router_->match(request);
    return route == nullptr ? "" : route->cluster;
  }

  std::vector<Route> routes_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, FirstMatchWins) {
  routes_.push_back(route_to("chat"));
  routes_.back().match.prefix = "/v1/chat";
  routes_.push_back(route_to("v1"));
  routes_.back().match.prefix = "/v1/";
  routes_.push_back(route_to("catch_all"));
  EXPECT_EQ(match("/v1/chat/completions"), "chat");
  EXPECT_EQ(match("/v1/embeddings"), "v1");
  EXPECT_EQ(match("/health"), "catch_all");
}

TEST_F(RouterTest, NoRoutesMatchesNothing) { EXPECT_EQ(match("/"), ""); }

TEST_F(RouterTest, NoMatchReturnsNull) {
  routes_.push_back(route_to("a"));
  routes_.back().match.path = "/a";
  EXPECT_EQ(match("/b"), "");
}

TEST_F(RouterTest, ExactHostIsCaseInsensitiveAndIgnoresPort) {
  routes_.push_back(route_to("api"));
  routes_.back().match.hosts = {"api.example.com"};
  EXPECT_EQ(match("/", "api.example.com"), "api");
  EXPECT_EQ(match("/", "API.Example.COM"), "api");
  EXPECT_EQ(match("/", "api.example.com:8080"), "api");
  EXPECT_EQ(match("/", "api.example.com:"), "api");
  EXPECT_EQ(match("/", "web.example.com"), "");
  EXPECT_EQ(match("/", "api.example.com.evil"), "");
  EXPECT_EQ(match("/", ""), "");
}

TEST_F(RouterTest, Ipv6HostLiteral) {
  routes_.push_back(route_to("v6"));
  routes_.back().match.hosts = {"[::1]"};
  EXPECT_EQ(match("/", "[::1]"), "v6");
  EXPECT_EQ(match("/", "[::1]:8080"), "v6");
  EXPECT_EQ(match("/", "[::2]:8080"), "");
}

TEST_F(RouterTest, WildcardHost) {
  routes_.push_back(route_to("wild"));
  routes_.back().match.hosts = {"*.example.com"};
  EXPECT_EQ(match("/", "a.example.com"), "wild");
  EXPECT_EQ(match("/", "a.b.example.com:443"), "wild");
  EXPECT_EQ(match("/", "A.EXAMPLE.com"), "wild");
  EXPECT_EQ(match("/", "example.com"), "");
  EXPECT_EQ(match("/", ".example.com"), "");
  EXPECT_EQ(match("/", "aexample.com"), "");
  EXPECT_EQ(match("/", "a.example.org"), "");
}

TEST_F(RouterTest, AnyOfSeveralHosts) {
  routes_.push_back(route_to("multi"));
  routes_.back().match.hosts = {"a.com", "*.b.com"};
  routes_.push_back(route_to("other"));
  EXPECT_EQ(match("/", "a.com"), "multi");
  EXPECT_EQ(match("/", "x.b.com"), "multi");
  EXPECT_EQ(match("/", "c.com"), "other");
}

TEST_F(RouterTest, ExactPath) {
  routes_.push_back(route_to("exact"));
  routes_.back().match.path = "/v1/models";
  EXPECT_EQ(match("/v1/models"), "exact");
  EXPECT_EQ(match("/v1/models/"), "");
  EXPECT_EQ(match("/v1/model"), "");
  EXPECT_EQ(match("/V1/models"), "");
}

TEST_F(RouterTest, PrefixIsPlainStringPrefix) {
  routes_.push_back(route_to("prefix"));
  routes_.back().match.prefix = "/v1";
  EXPECT_EQ(match("/v1"), "prefix");
  EXPECT_EQ(match("/v1/chat"), "prefix");
  EXPECT_EQ(match("/v1x"), "prefix");
  EXPECT_EQ(match("/v2"), "");
}

TEST_F(RouterTest, RegexIsFullMatch) {
  routes_.push_back(route_to("regex"));
  routes_.back().match.regex = "/v[0-9]+/chat/.*";
  EXPECT_EQ(match("/v1/chat/completions"), "regex");
  EXPECT_EQ(match("/v12/chat/"), "regex");
  EXPECT_EQ(match("/api/v1/chat/x"), "");  // would be a partial match
  EXPECT_EQ(match("/vx/chat/x"), "");
}

TEST_F(RouterTest, Methods) {
  routes_.push_back(route_to("write"));
  routes_.back().match.methods = {"POST", "PUT"};
  routes_.push_back(route_to("read"));
  EXPECT_EQ(match("/", "h", "POST"), "write");
  EXPECT_EQ(match("/", "h", "PUT"), "write");
  EXPECT_EQ(match("/", "h", "GET"), "read");
  EXPECT_EQ(match("/", "h", "post"), "read");  // methods are case-sensitive
}

TEST_F(RouterTest, HeaderExactValueCaseSensitiveNameInsensitive) {
  routes_.push_back(route_to("beta"));
  routes_.back().match.headers = {exact_header("x-tier", "beta")};
  routes_.push_back(route_to("default"));
  EXPECT_EQ(match("/", "h", "GET", {{"X-Tier", "beta"}}), "beta");
  EXPECT_EQ(match("/", "h", "GET", {{"x-tier", "Beta"}}), "default");
  EXPECT_EQ(match("/", "h", "GET", {}), "default");
}

TEST_F(RouterTest, HeaderRegex) {
  routes_.push_back(route_to("gpt"));
  routes_.back().match.headers = {regex_header("x-model", "gpt-[0-9]+.*")};
  routes_.push_back(route_to("default"));
  EXPECT_EQ(match("/", "h", "GET", {{"x-model", "gpt-4o"}}), "gpt");
  EXPECT_EQ(match("/", "h", "GET", {{"x-model", "my-gpt-4o"}}), "default");
  EXPECT_EQ(match("/", "h", "GET", {}), "default");
}

TEST_F(RouterTest, HeaderPresenceAndAbsence) {
  routes_.push_back(route_to("no_auth"));
  routes_.back().match.headers = {presence_header("authorization", false)};
  routes_.push_back(route_to("has_debug"));
  routes_.back().match.headers = {presence_header("x-debug", true)};
  routes_.push_back(route_to("default"));
  EXPECT_EQ(match("/", "h", "GET", {}), "no_auth");
  EXPECT_EQ(match("/", "h", "GET", {{"Authorization", "Bearer x"}}), "default");
  EXPECT_EQ(match("/", "h", "GET", {{"Authorization", "Bearer x"}, {"X-Debug", ""}}), "has_debug");
}

TEST_F(RouterTest, AnyOfSeveralHeaderLinesCounts) {
  routes_.push_back(route_to("exact"));
  routes_.back().match.headers = {exact_header("x-flag", "on")};
  routes_.push_back(route_to("regex"));
  routes_.back().match.headers = {regex_header("x-tag", "t[0-9]")};
  routes_.push_back(route_to("default"));
  EXPECT_EQ(match("/", "h", "GET", {{"x-flag", "off"}, {"X-Flag", "on"}}), "exact");
  EXPECT_EQ(match("/", "h", "GET", {{"x-tag", "zz"}, {"x-other", "t1"}, {"x-tag", "t7"}}), "regex");
  EXPECT_EQ(match("/", "h", "GET", {{"x-flag", "off"}, {"x-tag", "zz"}}), "default");
}

TEST_F(RouterTest, AllConditionsMustHold) {
  routes_.push_back(route_to("all"));
  Route& route = routes_.back();
  route.match.hosts = {"api.example.com"};
  route.match.prefix = "/v1/";
  route.match.methods = {"POST"};
  route.match.headers = {exact_header("x-a", "1")};
  std::vector<http1::Header> headers = {{"x-a", "1"}};
  EXPECT_EQ(match("/v1/x", "api.example.com", "POST", headers), "all");
  EXPECT_EQ(match("/v1/x", "other.com", "POST", headers), "");
  EXPECT_EQ(match("/v2/x", "api.example.com", "POST", headers), "");
  EXPECT_EQ(match("/v1/x", "api.example.com", "GET", headers), "");
  EXPECT_EQ(match("/v1/x", "api.example.com", "POST", {}), "");
}

TEST(RouterBuildTest, BadPathRegexIsConfigError) {
  std::vector<Route> routes(2);
  routes[1].match.regex = "/v1/(unclosed";
  auto built = Router::build(routes);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_TRUE(built.error().message().starts_with("routes[1].match.regex: "))
      << built.error().message();
  EXPECT_NE(built.error().message().find("missing )"), std::string::npos)
      << built.error().message();
}

TEST(RouterBuildTest, BadHeaderRegexIsConfigError) {
  std::vector<Route> routes(1);
  routes[0].match.headers = {exact_header("x-ok", "1"), regex_header("x-bad", "a**")};
  auto built = Router::build(routes);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_TRUE(built.error().message().starts_with("routes[0].match.headers[1].regex: "))
      << built.error().message();
}

TEST(RewriteTargetTest, WithoutPrefixRewriteUnchanged) {
  Route route;
  route.match.prefix = "/v1/";
  EXPECT_EQ(rewrite_target(route, "/v1/chat?x=1"), "/v1/chat?x=1");
}

TEST(RewriteTargetTest, ReplacesPrefixKeepsQuery) {
  Route route;
  route.match.prefix = "/openai/";
  route.prefix_rewrite = "/v1/";
  EXPECT_EQ(rewrite_target(route, "/openai/chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(rewrite_target(route, "/openai/models?limit=5&a=b"), "/v1/models?limit=5&a=b");
  EXPECT_EQ(rewrite_target(route, "/openai/"), "/v1/");
}

TEST(RewriteTargetTest, StripPrefixToRoot) {
  Route route;
  route.match.prefix = "/api";
  route.prefix_rewrite = "";
  EXPECT_EQ(rewrite_target(route, "/api/x"), "/x");
  EXPECT_EQ(rewrite_target(route, "/api"), "/");
  EXPECT_EQ(rewrite_target(route, "/api?q=1"), "/?q=1");
}

TEST(RewriteTargetTest, ExactPathIsReplacedWhole) {
  Route route;
  route.match.path = "/health";
  route.prefix_rewrite = "/status";
  EXPECT_EQ(rewrite_target(route, "/health?verbose"), "/status?verbose");
}

TEST(RewriteTargetTest, QuestionMarkOnlyInQueryIsKept) {
  Route route;
  route.match.prefix = "/a";
  route.prefix_rewrite = "/b";
  EXPECT_EQ(rewrite_target(route, "/a/x?next=/a?y"), "/b/x?next=/a?y");
}

TEST(RewriteTargetTest, RegexRouteUnchanged) {
  Route route;
  route.match.regex = "/a.*";
  route.prefix_rewrite = "/b";
  EXPECT_EQ(rewrite_target(route, "/a/x?q"), "/a/x?q");
}

}  // namespace
}  // namespace nexus::proxy

// The admin API's router, request target parsing, times and JSON writing, and the OpenAPI
// document's coverage of every route.
#include "control/admin/admin_request.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "control/admin/json_io.h"
#include "control/admin/openapi.h"
#include "control/admin/time_text.h"

namespace nexus::control::admin {
namespace {

using Kind = RouteMatch::Kind;

TEST(AdminRouterTest, MatchesEachRouteWithItsParameters) {
  const RouteMatch rotate = match_route("POST", "/admin/v1/keys/key_abc/rotate");
  ASSERT_EQ(rotate.kind, Kind::kFound);
  EXPECT_EQ(rotate.route->id, RouteId::kRotateKey);
  EXPECT_EQ(rotate.params, std::vector<std::string>{"key_abc"});

  const RouteMatch budget = match_route("GET", "/admin/v1/budgets/team/team_x");
  ASSERT_EQ(budget.kind, Kind::kFound);
  EXPECT_EQ(budget.route->id, RouteId::kBudget);
  EXPECT_EQ(budget.params, (std::vector<std::string>{"team", "team_x"}));

  EXPECT_EQ(match_route("GET", "/admin/v1/keys").route->id, RouteId::kListKeys);
  EXPECT_EQ(match_route("POST", "/admin/v1/keys").route->id, RouteId::kCreateKey);
  EXPECT_EQ(match_route("PATCH", "/admin/v1/users/u").route->id, RouteId::kUpdateUser);
  EXPECT_FALSE(match_route("GET", "/admin/v1/keys").route->mutates);
  EXPECT_TRUE(match_route("POST", "/admin/v1/keys/k/revoke").route->mutates);
}

TEST(AdminRouterTest, TellsAnUnknownPathFromAWrongMethod) {
  EXPECT_EQ(match_route("GET", "/admin/v1/nothing").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("GET", "/admin/v2/keys").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("GET", "/admin/v1keys").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("GET", "/admin/v1/keys/").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("GET", "/admin/v1/keys//rotate").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("GET", "/admin/v1/keys/a/rotate/more").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("GET", "/admin/v1").kind, Kind::kUnknownPath);
  EXPECT_EQ(match_route("DELETE", "/admin/v1/keys/k").kind, Kind::kWrongMethod);
  EXPECT_EQ(match_route("PUT", "/admin/v1/orgs").kind, Kind::kWrongMethod);
  EXPECT_EQ(match_route("GET", "/admin/v1/keys/k/rotate").kind, Kind::kWrongMethod);
}

TEST(AdminRequestTest, ParsesTheTargetsPathAndDecodedQuery) {
  AdminRequest request;
  ASSERT_TRUE(parse_target(
      "/admin/v1/usage?group_by=model&from=2026-01-01T00%3A00%3A00Z&x=a+b&x=c&flag", request));
  EXPECT_EQ(request.path, "/admin/v1/usage");
  EXPECT_EQ(request.query.at("group_by"), "model");
  EXPECT_EQ(request.query.at("from"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(request.query.at("x"), "c") << "the last of a repeated name";
  EXPECT_EQ(request.query.at("flag"), "");
  ASSERT_TRUE(parse_target("/admin/v1/keys/key%5Fa", request));
  EXPECT_EQ(request.path, "/admin/v1/keys/key_a");
  EXPECT_TRUE(request.query.empty());

  EXPECT_FALSE(parse_target("admin/v1/keys", request));
  EXPECT_FALSE(parse_target("/admin/v1/keys?x=%zz", request));
  EXPECT_FALSE(parse_target("http://host/admin/v1/keys", request));
}

TEST(AdminRequestTest, TakesABearerCredentialOnly) {
  EXPECT_EQ(bearer_credential("Bearer nx-abc"), "nx-abc");
  EXPECT_EQ(bearer_credential("bearer   nx-abc  "), "nx-abc");
  EXPECT_EQ(bearer_credential("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_credential("Bearer"), "");
  EXPECT_EQ(bearer_credential(""), "");
}

TEST(AdminOpenApiTest, DescribesEveryRouteTheRouterKnows) {
  boost::system::error_code error;
  const boost::json::value document = boost::json::parse(openapi_document(), error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(document.at("openapi").as_string(), "3.1.0");
  const boost::json::object& paths = document.at("paths").as_object();
  std::set<std::string> described;
  for (const auto& [path, item] : paths) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method != "parameters") {
        std::string upper(method);
        std::ranges::transform(upper, upper.begin(), [](char c) { return c - 'a' + 'A'; });
        described.insert(upper + " " + std::string(path));
      }
    }
  }
  std::set<std::string> routed;
  for (const RouteSpec& route : admin_routes()) {
    routed.insert(std::string(route.method) + " " + std::string(route.pattern));
  }
  EXPECT_EQ(described, routed) << "the document and the router must list the same operations";
}

// Every "$ref" in `value`, recursively.
void collect_refs(const boost::json::value& value, std::vector<std::string>& refs) {
  if (const boost::json::object* object = value.if_object(); object != nullptr) {
    for (const auto& [name, item] : *object) {
      if (name == "$ref" && item.is_string()) {
        refs.emplace_back(item.get_string());
      } else {
        collect_refs(item, refs);
      }
    }
  } else if (const boost::json::array* array = value.if_array(); array != nullptr) {
    for (const boost::json::value& item : *array) {
      collect_refs(item, refs);
    }
  }
}

TEST(AdminOpenApiTest, EveryReferenceResolvesWithinTheDocument) {
  boost::system::error_code error;
  const boost::json::value document = boost::json::parse(openapi_document(), error);
  ASSERT_FALSE(error) << error.message();
  std::vector<std::string> refs;
  collect_refs(document, refs);
  EXPECT_GT(refs.size(), 10U) << "the document shares its parameters and schemas";
  for (const std::string& ref : refs) {
    ASSERT_TRUE(ref.starts_with("#/")) << ref << ": only references within the document";
    boost::system::error_code missing;
    EXPECT_NE(document.find_pointer(std::string_view(ref).substr(1), missing), nullptr)
        << ref << " names nothing in the document";
  }
}

TEST(AdminTimeTest, WritesAndReadsRfc3339) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_time(1'767'225'600'000), "2026-01-01T00:00:00Z");
  EXPECT_EQ(format_time(1'767'225'600'123), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(format_time(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(parse_time("2026-01-01T00:00:00Z"), 1'767'225'600'000);
  EXPECT_EQ(parse_time("2026-01-01"), 1'767'225'600'000);
  EXPECT_EQ(parse_time("2026-01-01T01:00:00.5+01:00"), 1'767'225'600'500);
  EXPECT_EQ(parse_time("2025-12-31T16:00:00-08:00"), 1'767'225'600'000);
  for (const char* bad :
       {"", "2026-02-30", "2026-13-01", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+1:00", "20260101"}) {
    EXPECT_FALSE(parse_time(bad)) << bad;
  }
  const UnixMillis any = 1'773'576'123'456;
  EXPECT_EQ(parse_time(format_time(any)), any);
}

TEST(AdminTimeTest, ReadsDurations) {
  EXPECT_EQ(parse_duration_seconds("90"), 90);
  EXPECT_EQ(parse_duration_seconds("90s"), 90);
  EXPECT_EQ(parse_duration_seconds("15m"), 900);
  EXPECT_EQ(parse_duration_seconds("1h"), 3600);
  EXPECT_EQ(parse_duration_seconds("30d"), 30 * 86400);
  EXPECT_EQ(parse_duration_seconds("2w"), 14 * 86400);
  for (const char* bad : {"", "h", "1y", "-1h", "1.5h", "1 h"}) {
    EXPECT_FALSE(parse_duration_seconds(bad)) << bad;
  }
}

TEST(AdminJsonTest, WritesAmountsAsPlainDecimals) {
  const boost::json::value value = {{"hard_usd", usd_of(10'500'000'000)},
                                    {"small", usd_of(1'000)},
                                    {"whole", usd_of(3'000'000'000)},
                                    {"n", 7},
                                    {"s", "a\"b"}};
  EXPECT_EQ(to_text(value), R"({"hard_usd":10.5,"small":1e-06,"whole":3,"n":7,"s":"a\"b"})");
}

}  // namespace
}  // namespace nexus::control::admin

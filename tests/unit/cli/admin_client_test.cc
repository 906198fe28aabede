// The CLI's admin API calls: the base URL's path prefixes the API's, the key is a bearer
// credential, a JSON body is labelled, and a bad --admin-url is named.
#include "cli/admin_client.h"

#include <gtest/gtest.h>

#include "../net/tiny_http_server.h"

namespace nexus::cli {
namespace {

using net::testing::TinyHttpServer;

TEST(AdminClientTest, CallsTheApiUnderTheBaseUrlsPathWithTheKey) {
  TinyHttpServer server;
  server.respond(200, R"({"data":[]})");
  const AdminCall call{.base_url = server.url("/gateway/"),
                       .key = "nx-admin",
                       .timeout = std::chrono::milliseconds(2000)};
  auto reply = call_admin(call, "PATCH", "/admin/v1/keys/key_1", R"({"name":"x"})");
  ASSERT_TRUE(reply.has_value()) << reply.error().message();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"({"data":[]})");
  const std::string seen = server.last_request();
  EXPECT_TRUE(seen.starts_with("PATCH /gateway/admin/v1/keys/key_1 HTTP/1.1\r\n")) << seen;
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer nx-admin\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nUser-Agent: nexus-cli\r\n"), std::string::npos) << seen;
}

TEST(AdminClientTest, NamesABadAdminUrl) {
  auto reply = call_admin({.base_url = "127.0.0.1:8081", .key = "k"}, "GET", "/admin/v1/keys", "");
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_TRUE(reply.error().message().starts_with("--admin-url: expected an http:// or https://"))
      << reply.error().message();
}

}  // namespace
}  // namespace nexus::cli

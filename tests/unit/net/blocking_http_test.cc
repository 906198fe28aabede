// The blocking HTTP client against a loopback server: what it sends, what it returns, and how
// it fails (bad URLs, oversized bodies, deadlines, TLS against a plain server).
#include "net/blocking_http.h"

#include <gtest/gtest.h>

#include "tiny_http_server.h"

namespace nexus::net {
namespace {

using std::chrono::milliseconds;
using testing::TinyHttpServer;

TEST(BlockingHttpTest, SendsTheMethodTargetHeadersAndBody) {
  TinyHttpServer server;
  server.respond(201, R"({"id":"key_1"})");
  auto response = blocking_http({.method = "POST",
                                 .url = server.url("/admin/v1/keys?limit=2&after=a%20b"),
                                 .headers = {{"Authorization", "Bearer nx-k"}},
                                 .body = R"({"name":"n"})",
                                 .timeout = milliseconds(2000)});
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"id":"key_1"})");
  const std::string seen = server.last_request();
  EXPECT_TRUE(seen.starts_with("POST /admin/v1/keys?limit=2&after=a%20b HTTP/1.1\r\n")) << seen;
  EXPECT_NE(seen.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos)
      << seen;
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer nx-k\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nContent-Length: 12\r\n"), std::string::npos) << seen;
  EXPECT_TRUE(seen.ends_with("\r\n\r\n{\"name\":\"n\"}")) << seen;
}

TEST(BlockingHttpTest, AnyStatusIsAResponseAndAPathDefaultsToSlash) {
  TinyHttpServer server;
  server.respond(404, "{}");
  auto response = blocking_http({.url = server.url(""), .timeout = milliseconds(2000)});
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 404);
  EXPECT_TRUE(server.last_request().starts_with("GET / HTTP/1.1\r\n")) << server.last_request();
}

TEST(BlockingHttpTest, RefusesWhatIsNotAnHttpUrlOrMethod) {
  for (const char* url : {"ftp://127.0.0.1/", "http://", "127.0.0.1:80", "http://[::1/x"}) {
    auto response = blocking_http({.url = url});
    ASSERT_FALSE(response.has_value()) << url;
    EXPECT_EQ(response.error().code(), ErrorCode::kInvalidConfig) << url;
  }
  auto response = blocking_http({.method = "BREW", .url = "http://127.0.0.1/"});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kInvalidConfig);
}

TEST(BlockingHttpTest, ABodyOverTheLimitIsAnError) {
  TinyHttpServer server;
  server.respond(200, std::string(100, 'x'));
  auto response =
      blocking_http({.url = server.url(), .timeout = milliseconds(2000), .max_body_bytes = 10});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kUpstreamProtocolError);
}

TEST(BlockingHttpTest, ASilentServerIsATimeoutWithinTheDeadline) {
  TinyHttpServer server;
  server.go_silent();
  const auto started = std::chrono::steady_clock::now();
  auto response = blocking_http({.url = server.url(), .timeout = milliseconds(300)});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kUpstreamTimeout) << response.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(BlockingHttpTest, HttpsVerifiesThePeer) {
  TinyHttpServer server;  // speaks plain HTTP: the TLS handshake must fail
  server.respond(200, "{}");
  std::string url = server.url();
  url.replace(0, 4, "https");
  auto response = blocking_http({.url = url, .timeout = milliseconds(2000)});
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message().find("TLS"), std::string::npos)
      << response.error().message();
}

}  // namespace
}  // namespace nexus::net

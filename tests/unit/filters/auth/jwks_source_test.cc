// JWKS from a file and from a URL: refresh, keeping the old keys on failure, early refresh for
// an unknown kid (rate-limited), the background thread, fetch timeouts.
#include "filters/auth/jwks_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../../net/tiny_http_server.h"
#include "filters/auth/jwt.h"
#include "test_tokens.h"

namespace nexus::filters::auth {
namespace {

namespace t = testing;
using net::testing::TinyHttpServer;
using std::chrono::milliseconds;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

struct Signer {
  PkeyPtr key = t::generate_key("EdDSA");
  std::string kid;
  [[nodiscard]] std::string jwks() const {
    return R"({"keys":[)" + t::public_jwk("EdDSA", key.get(), kid) + "]}";
  }
  [[nodiscard]] std::string token() const {
    return t::make_token("EdDSA", key.get(), "", R"({"alg":"EdDSA","kid":")" + kid + "\"}",
                         R"({"sub":"s"})");
  }
};

bool verifies(const JwksSource& source, const Signer& signer) {
  const JwtPolicy policy{.algorithms = {"EdDSA"}, .require_exp = false};
  return verify_jwt(signer.token(), policy, *source.keys(), kNow).has_value();
}

TEST(AuthJwksSourceTest, UrlRefreshKeepsTheOldKeysOnFailure) {
  TinyHttpServer server;
  const Signer a{.kid = "a"};
  const Signer b{.kid = "b"};
  JwksSource source({.url = server.url()}, {});
  server.respond(200, a.jwks());
  ASSERT_TRUE(source.refresh().has_value());
  EXPECT_TRUE(verifies(source, a));
  EXPECT_FALSE(verifies(source, b));

  server.respond(500, "oops");
  auto failed = source.refresh();
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message().find("status 500"), std::string::npos);
  EXPECT_TRUE(verifies(source, a));
  server.respond(200, R"({"keys":"no"})");
  EXPECT_FALSE(source.refresh().has_value());
  EXPECT_TRUE(verifies(source, a));

  server.respond(200, b.jwks());  // rotation
  ASSERT_TRUE(source.refresh().has_value());
  EXPECT_TRUE(verifies(source, b));
  EXPECT_FALSE(verifies(source, a));
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(source.attempts(), 4U);
}

TEST(AuthJwksSourceTest, FileRefreshKeepsTheOldKeysOnFailure) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nexus-auth-jwks-" + std::to_string(::getpid()) + ".json");
  const Signer a{.kid = "a"};
  std::ofstream(path) << a.jwks();
  JwksSource source({.file = path.string()}, {});
  ASSERT_TRUE(source.refresh().has_value());
  EXPECT_TRUE(verifies(source, a));
  std::ofstream(path) << "{";
  EXPECT_FALSE(source.refresh().has_value());
  EXPECT_TRUE(verifies(source, a));
  std::filesystem::remove(path);
  EXPECT_FALSE(source.refresh().has_value());
  EXPECT_TRUE(verifies(source, a));
}

TEST(AuthJwksSourceTest, EarlyRefreshIsRateLimitedAndWakesTheThread) {
  TinyHttpServer server;
  const Signer a{.kid = "a"};
  const Signer b{.kid = "b"};
  server.respond(200, a.jwks());
  JwksSource source({.url = server.url(),
                     .refresh_interval = std::chrono::hours(1),
                     .retry_interval = std::chrono::seconds(30)},
                    {});
  ASSERT_TRUE(source.start().has_value());  // the first fetch happens in start()
  EXPECT_EQ(source.attempts(), 1U);
  EXPECT_TRUE(verifies(source, a));

  server.respond(200, b.jwks());
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(100));
  EXPECT_TRUE(source.request_early_refresh(t0));
  EXPECT_FALSE(source.request_early_refresh(t0 + std::chrono::seconds(29)));
  ASSERT_TRUE(source.wait_for_attempts(2, std::chrono::seconds(10)));
  EXPECT_TRUE(verifies(source, b));
  EXPECT_TRUE(source.request_early_refresh(t0 + std::chrono::seconds(30)));
  ASSERT_TRUE(source.wait_for_attempts(3, std::chrono::seconds(10)));
  source.stop();
  EXPECT_EQ(server.requests(), 3);
}

TEST(AuthJwksSourceTest, StartSurvivesAnUnreachableUrl) {
  // A port nothing listens on: bind one, then close it.
  std::string url;
  {
    TinyHttpServer gone;
    url = gone.url();
  }
  JwksSource source({.url = url, .fetch = {.timeout = milliseconds(500)}}, {});
  ASSERT_TRUE(source.start().has_value());
  EXPECT_EQ(source.attempts(), 1U);
  EXPECT_TRUE(source.keys()->empty());
}

TEST(AuthJwksSourceTest, FetchTimesOut) {
  TinyHttpServer server;
  server.go_silent();
  const auto started = std::chrono::steady_clock::now();
  auto result = http_get(server.url(), {.timeout = milliseconds(300)});
  ASSERT_FALSE(result.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(AuthJwksSourceTest, HttpsVerifiesThePeer) {
  TinyHttpServer server;  // speaks plain HTTP: the TLS handshake must fail
  server.respond(200, "{}");
  std::string url = server.url();
  url.replace(0, 4, "https");
  auto result = http_get(url, {.timeout = milliseconds(2000)});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("TLS"), std::string::npos) << result.error().message();
  EXPECT_FALSE(http_get("ftp://x/", {}).has_value());
}

}  // namespace
}  // namespace nexus::filters::auth

// The building blocks of the config loader: interpolation, units and address syntax.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "control/config/address.h"
#include "control/config/interpolate.h"
#include "control/config/units.h"

namespace nexus::control::config_internal {
namespace {

using std::chrono::milliseconds;

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

TEST(Interpolate, ReplacesVariablesAndDefaults) {
  EnvLookup env = fake_env({{"PORT", "9090"}, {"HOST", "10.0.0.1"}, {"EMPTY", ""}});
  EXPECT_EQ(interpolate("plain", env), "plain");
  EXPECT_EQ(interpolate("${PORT}", env), "9090");
  EXPECT_EQ(interpolate("127.0.0.1:${PORT:-8080}", env), "127.0.0.1:9090");
  EXPECT_EQ(interpolate("${HOST}:${PORT}", env), "10.0.0.1:9090");
  EXPECT_EQ(interpolate("${NOPE:-8080}", env), "8080");
  EXPECT_EQ(interpolate("${NOPE:-}", env), "");
  EXPECT_EQ(interpolate("${EMPTY:-x}", env), "x");  // as in the shell, empty takes the default
  EXPECT_EQ(interpolate("${EMPTY}", env), "");
  EXPECT_EQ(interpolate("${NOPE:-a:b-c}", env), "a:b-c");
}

TEST(Interpolate, DollarEscapes) {
  EnvLookup env = fake_env({{"A", "1"}});
  EXPECT_EQ(interpolate("$$", env), "$");
  EXPECT_EQ(interpolate("$${A}", env), "${A}");
  EXPECT_EQ(interpolate("$$$${A}", env), "$${A}");
  EXPECT_EQ(interpolate("$$${A}", env), "$1");
  EXPECT_EQ(interpolate("^(1|true)$", env), "^(1|true)$");  // a lone $ stays
  EXPECT_EQ(interpolate("a$b", env), "a$b");
}

TEST(Interpolate, Errors) {
  EnvLookup env = fake_env({});
  EXPECT_EQ(interpolate("x${MISSING}y", env).error(),
            "environment variable 'MISSING' is not set (use ${MISSING:-default} to give a "
            "default)");
  EXPECT_EQ(interpolate("${OPEN", env).error(), "unterminated '${' (write $$ for a literal $)");
  EXPECT_TRUE(interpolate("${1X}", env).error().starts_with("invalid variable name in '${1X}'"));
  EXPECT_TRUE(interpolate("${}", env).error().starts_with("invalid variable name"));
  EXPECT_TRUE(interpolate("${A-b}", env).error().starts_with("invalid variable name"));
}

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("10s"), milliseconds(10000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3600000));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  for (const char* bad : {"", "10", "1.5s", "-1s", "10 s", "1m30s", "10S", "s", "1d", "ms",
                          "99999999999999999999ms", "9999999999999999h"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_size("0"), 0U);
  EXPECT_EQ(parse_size("1234"), 1234U);
  EXPECT_EQ(parse_size("10B"), 10U);
  EXPECT_EQ(parse_size("8KiB"), 8192U);
  EXPECT_EQ(parse_size("32MiB"), 32U * 1024 * 1024);
  EXPECT_EQ(parse_size("2GiB"), 2ULL << 30);
  for (const char* bad :
       {"", "1KB", "1kib", "1MB", "1.5MiB", "-1", "1 KiB", "KiB", "99999999999GiB"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
}

TEST(Units, Integers) {
  EXPECT_EQ(parse_uint("0"), 0U);
  EXPECT_EQ(parse_uint("18446744073709551615"), 18446744073709551615ULL);
  for (const char* bad : {"", "-1", "+1", "1e3", "0x10", " 1", "18446744073709551616"}) {
    EXPECT_FALSE(parse_uint(bad).has_value()) << bad;
  }
}

TEST(Address, Listen) {
  auto v4 = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_listen_address("[0:0::1]:443");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");  // canonical, so duplicates are found
  EXPECT_EQ(v6->port, 443);
  for (const char* bad :
       {"localhost:80", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:80", "[127.0.0.1]:80",
        "[::1]80", "[::1]", "1.2.3.4:x", ":80", "256.0.0.1:80"}) {
    EXPECT_FALSE(parse_listen_address(bad).has_value()) << bad;
  }
}

TEST(Address, Endpoint) {
  auto name = parse_endpoint_address("backend.internal:9000");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->host, "backend.internal");
  EXPECT_EQ(name->port, 9000);
  EXPECT_TRUE(parse_endpoint_address("my_service:80").has_value());
  EXPECT_EQ(parse_endpoint_address("[::1]:9000")->host, "::1");
  for (const char* bad : {"backend", "backend:0", "back end:80", "-a.b:80", "a..b:80",
                          "999.1.1.1:80", "::1:80", "[backend]:80"}) {
    EXPECT_FALSE(parse_endpoint_address(bad).has_value()) << bad;
  }
}

TEST(Address, TokensAndNames) {
  EXPECT_TRUE(is_token("x-user-id"));
  EXPECT_TRUE(is_token("GET"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a:b"));
  EXPECT_TRUE(is_dns_name("a.b-c.test"));
  EXPECT_FALSE(is_dns_name(std::string(64, 'a')));
  EXPECT_EQ(to_lower_ascii("GW.Test"), "gw.test");
}

}  // namespace
}  // namespace nexus::control::config_internal

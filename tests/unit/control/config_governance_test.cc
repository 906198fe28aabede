// The `governance` section: defaults, every key, and the errors (file, line, key).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "control/config/loader.h"

namespace nexus::control {
namespace {

#define HEAD                                   \
  "server: { listen: [\"127.0.0.1:8080\"] }\n" \
  "routes: [{ match: {}, direct_response: {} }]\n"

Result<config::Config> load(const std::string& yaml) { return load_config_text(yaml, "g.yaml"); }

TEST(ConfigGovernance, AbsentMeansOff) {
  auto loaded = load(HEAD);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->governance.enabled);
}

TEST(ConfigGovernance, EmptySectionTakesEveryDefault) {
  auto loaded = load(HEAD "governance:\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Governance& governance = loaded->governance;
  EXPECT_TRUE(governance.enabled);
  EXPECT_TRUE(governance.store.starts_with("sqlite:")) << governance.store;
  EXPECT_TRUE(governance.store.ends_with("data/nexus.db")) << governance.store;
  EXPECT_EQ(governance.time_zone, "UTC");
  EXPECT_EQ(governance.default_max_tokens, 4096U);
  EXPECT_FALSE(governance.admin.listen.has_value());
  EXPECT_FALSE(governance.redis.has_value());
  EXPECT_EQ(governance.redis_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(governance.redis_lease, std::chrono::minutes(10));
  EXPECT_EQ(governance.rate_limits_without_redis, config::Governance::Outage::kClosed);
}

TEST(ConfigGovernance, RedisKeys) {
  auto loaded = load(HEAD
                     "governance:\n"
                     "  redis: redis://:s%40cret@127.0.0.1:6380/2\n"
                     "  redis_timeout: 100ms\n"
                     "  redis_lease: 30s\n"
                     "  rate_limits_without_redis: open\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Governance& governance = loaded->governance;
  ASSERT_TRUE(governance.redis.has_value());
  const auto redis = governance.redis.value_or(config::Governance::Redis{});
  EXPECT_EQ(redis.host, "127.0.0.1");
  EXPECT_EQ(redis.port, 6380);
  EXPECT_EQ(redis.db, 2U);
  EXPECT_EQ(redis.username, "");
  EXPECT_EQ(redis.password, "s@cret");
  EXPECT_EQ(redis.display, "redis://127.0.0.1:6380/2");
  EXPECT_EQ(governance.redis_timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(governance.redis_lease, std::chrono::seconds(30));
  EXPECT_EQ(governance.rate_limits_without_redis, config::Governance::Outage::kOpen);
}

TEST(ConfigGovernance, RedisUrlForms) {
  struct Case {
    const char* url;
    const char* host;
    uint16_t port;
    uint32_t db;
    const char* username;
    const char* password;
  };
  const Case cases[] = {
      {"redis://localhost", "localhost", 6379, 0, "", ""},
      {"redis://[::1]:7000/3", "::1", 7000, 3, "", ""},
      {"redis://nexus:pw@redis.internal:6379", "redis.internal", 6379, 0, "nexus", "pw"},
      {"redis://pw@redis.internal", "redis.internal", 6379, 0, "", "pw"},
      {"redis://ops%40x:p%3Aw%2F@h:6400/", "h", 6400, 0, "ops@x", "p:w/"},
      {"redis://a:b:c@h/15", "h", 6379, 15, "a", "b:c"},
  };
  for (const Case& c : cases) {
    auto loaded = load(std::string(HEAD "governance:\n  redis: \"") + c.url + "\"\n");
    ASSERT_TRUE(loaded.has_value()) << c.url << ": " << loaded.error().message();
    ASSERT_TRUE(loaded->governance.redis.has_value()) << c.url;
    const auto redis = loaded->governance.redis.value_or(config::Governance::Redis{});
    EXPECT_EQ(redis.host, c.host) << c.url;
    EXPECT_EQ(redis.port, c.port) << c.url;
    EXPECT_EQ(redis.db, c.db) << c.url;
    EXPECT_EQ(redis.username, c.username) << c.url;
    EXPECT_EQ(redis.password, c.password) << c.url;
  }
}

TEST(ConfigGovernance, EveryKey) {
  auto loaded = load(HEAD
                     "governance:\n"
                     "  store: sqlite:/tmp/nexus-test/gov.db\n"
                     "  time_zone: Europe/Paris\n"
                     "  default_max_tokens: 1000\n"
                     "  key_refresh: 2s\n"
                     "  ledger_queue: 500\n"
                     "  ledger_batch: 50\n"
                     "  admin:\n"
                     "    listen: 127.0.0.1:9091\n"
                     "    key_sha256: "
                     "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Governance& governance = loaded->governance;
  EXPECT_EQ(governance.store, "sqlite:/tmp/nexus-test/gov.db");
  EXPECT_EQ(governance.time_zone, "Europe/Paris");
  EXPECT_EQ(governance.default_max_tokens, 1000U);
  EXPECT_EQ(governance.key_refresh, std::chrono::seconds(2));
  EXPECT_EQ(governance.ledger_queue, 500U);
  EXPECT_EQ(governance.ledger_batch, 50U);
  ASSERT_TRUE(governance.admin.listen.has_value());
  EXPECT_EQ(governance.admin.listen.value_or(config::Listener{}).port, 9091);
  EXPECT_EQ(governance.admin.key_sha256.size(), 64U);
}

TEST(ConfigGovernance, APostgresUrlIsKeptAsIsWithItsPepperFile) {
  const std::filesystem::path pepper =
      std::filesystem::temp_directory_path() / ("nexus-pepper-" + std::to_string(::getpid()));
  std::ofstream(pepper) << "0123456789abcdef0123456789abcdef\n";
  for (const std::string url : {"postgres://nexus:pw@db.internal:5432/nexus?sslmode=require",
                                "postgresql:///nexus?host=/run/postgresql"}) {
    auto loaded = load(HEAD "governance:\n  store: \"" + url +
                       "\"\n  pepper_file: " + pepper.string() + "\n");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    EXPECT_EQ(loaded->governance.store, url);
    EXPECT_EQ(loaded->governance.pepper_file, pepper.string());
  }
  std::filesystem::remove(pepper);
}

struct BadCase {
  const char* yaml;
  const char* prefix;
};

TEST(ConfigGovernance, ErrorsNameTheFileLineAndKey) {
  const BadCase cases[] = {
      {HEAD "governance: { store: \"redis://x\" }\n",
       "g.yaml:3: governance.store: expected sqlite:<path to the database file> or "
       "postgres://<user>:<password>@<host>:<port>/<database>"},
      {HEAD "governance: { store: \"postgres://nexus@db.internal:5432/nexus\" }\n",
       "g.yaml:3: governance.pepper_file: required with a postgres store"},
      {HEAD "governance:\n  store: postgresql://db/nexus\n  time_zone: UTC\n",
       "g.yaml:3: governance.pepper_file: required with a postgres store"},
      {HEAD "governance: { time_zone: Mars/Olympus }\n",
       "g.yaml:3: governance.time_zone: unknown time zone \"Mars/Olympus\""},
      {HEAD "governance: { default_max_tokens: 0 }\n",
       "g.yaml:3: governance.default_max_tokens: expected an integer from 1"},
      {HEAD "governance: { key_refresh: 10ms }\n",
       "g.yaml:3: governance.key_refresh: expected at least 100ms"},
      {HEAD "governance: { budgets: {} }\n", "g.yaml:3: governance: unknown key 'budgets'"},
      {HEAD "governance:\n  admin: { listen: 127.0.0.1:9091 }\n",
       "g.yaml:4: governance.admin.key_sha256: required key is missing"},
      {HEAD "governance:\n  admin: { listen: 127.0.0.1:9091, key_sha256: abc }\n",
       "g.yaml:4: governance.admin.key_sha256: expected the admin key's SHA-256 as 64 hex digits"},
      {HEAD "governance:\n  admin: { key_sha256: abc }\n",
       "g.yaml:4: governance.admin.listen: required key is missing"},
      {HEAD "governance: { redis: \"http://127.0.0.1:6379\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: the scheme"},
      {HEAD "governance: { redis: \"redis://127.0.0.1:99999\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: the port"},
      {HEAD "governance: { redis: \"redis://127.0.0.1:6379/x\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: the database"},
      {HEAD "governance: { redis: \"redis://:6379\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: no host"},
      {HEAD "governance: { redis: \"redis://h:6379/0?tls=1\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: text after"},
      {HEAD "governance: { redis: \"redis://h/%zz\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: a bad %-escape"},
      {HEAD "governance: { redis: \"redis://[::1:6379\" }\n",
       "g.yaml:3: governance.redis: expected redis://[:password@]host[:port][/db]: not a URL"},
      {HEAD "governance: { redis_timeout: 0ms }\n",
       "g.yaml:3: governance.redis_timeout: expected from 1ms to 60s"},
      {HEAD "governance: { redis_lease: 10ms }\n",
       "g.yaml:3: governance.redis_lease: expected at least 1s"},
      {HEAD "governance: { rate_limits_without_redis: maybe }\n",
       "g.yaml:3: governance.rate_limits_without_redis: unknown value 'maybe'"},
      {HEAD "governance: { pepper_file: /nonexistent/pepper }\n",
       "g.yaml:3: governance.pepper_file: "},
  };
  for (const BadCase& bad : cases) {
    auto loaded = load(bad.yaml);
    ASSERT_FALSE(loaded.has_value()) << bad.yaml;
    EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_TRUE(loaded.error().message().starts_with(bad.prefix))
        << "got:      " << loaded.error().message() << "\nexpected: " << bad.prefix;
  }
}

}  // namespace
}  // namespace nexus::control

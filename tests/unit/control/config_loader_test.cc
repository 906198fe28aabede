// Valid configurations: the full schema example, defaults, interpolation and the quickstart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "control/config/loader.h"

namespace nexus::control {
namespace {

using std::chrono::milliseconds;

// A fresh directory per test under /tmp, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("nexus_config_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
             info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `relative` (creating parent directories) and returns the full path.
  std::string write(const std::string& relative, const std::string& text) const {
    std::filesystem::path file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The example from the schema, with the CA file placed in the temp dir.
constexpr const char* kFullExample = R"(
server:
  listen:
    - "127.0.0.1:8080"
    - address: "127.0.0.1:8443"
      tls:
        certificates:
          - { cert: certs/a.pem, key: certs/a.key }
          - { cert: certs/b.pem, key: certs/b.key }
        min_version: "1.3"
      http2: false
    - { address: "[::1]:8080", http2: true }
  workers: 4
  http2:
    max_concurrent_streams: 50
    initial_stream_window: 128KiB
    connection_window: 4MiB
  limits:
    max_request_line_bytes: 4KiB
    max_request_head_bytes: 32KiB
    max_header_count: 50
    max_body_bytes: 1MiB
    max_requests_per_connection: 1000
    max_connections: 5000
  timeouts:
    header: 5s
    body: 250ms
    idle: 2m
    drain: 1h
clusters:
  backend:
    endpoints:
      - "127.0.0.1:9000"
      - { address: "backend.internal:9001", weight: 3 }
      - "[::1]:9002"
    lb: consistent_hash
    hash: { header: X-User-Id }
    connect_timeout: 1s
    dns_refresh: 0
    tls: { enabled: true, sni: api.example.com, verify: false, ca_file: CA_FILE }
    pool: { max_connections: 16, idle_timeout: 30s, max_streams_per_connection: 20 }
    protocol: h2
  other:
    endpoints: ["10.0.0.1:80"]
    lb: least_request
    tls: true
routes:
  - match:
      host: GW.Test
      prefix: /api/
      methods: [GET, POST]
      headers:
        - { name: X-Env, exact: prod }
        - { name: x-canary, regex: "^(1|true)$" }
        - { name: x-debug, present: false }
    cluster: backend
    prefix_rewrite: /v1/
    host_rewrite: upstream.internal
    timeouts: { first_byte: 10s, idle: 20s, total: 0 }
  - match: { hosts: [a.test, "*.B.test"], regex: "/v[0-9]+/.*" }
    cluster: other
  - match: { path: /healthz }
    direct_response: { status: 200, body: '{"status":"ok"}', content_type: application/json }
logging:
  level: debug
  access_log: { enabled: false, path: logs/access.log }
)";

std::string full_example(const TempDir& dir) {
  std::string text = kFullExample;
  text.replace(text.find("CA_FILE"), 7, dir.write("ca.pem", "ca"));
  return text;
}

TEST(ConfigLoader, FullSchemaExample) {
  TempDir dir;
  for (const char* name : {"certs/a.pem", "certs/a.key", "certs/b.pem", "certs/b.key"}) {
    dir.write(name, "x");
  }
  std::string file = dir.write("nexus.yaml", full_example(dir));
  auto loaded = load_config_file(file);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Config& c = *loaded;
  EXPECT_EQ(c.source_file, file);

  ASSERT_EQ(c.server.listen.size(), 3U);
  EXPECT_EQ(c.server.listen[0].host, "127.0.0.1");
  EXPECT_EQ(c.server.listen[0].port, 8080);
  EXPECT_FALSE(c.server.listen[0].tls.has_value());
  ASSERT_TRUE(c.server.listen[1].tls.has_value());
  const auto& tls = *c.server.listen[1].tls;
  ASSERT_EQ(tls.certificates.size(), 2U);
  EXPECT_EQ(tls.certificates[0].cert_file, dir.path() + "/certs/a.pem");
  EXPECT_EQ(tls.certificates[1].key_file, dir.path() + "/certs/b.key");
  EXPECT_EQ(tls.min_version, "1.3");
  EXPECT_FALSE(c.server.listen[0].http2);  // plain: off unless asked for
  EXPECT_FALSE(c.server.listen[1].http2);  // TLS: on by default, turned off here
  EXPECT_EQ(c.server.listen[2].host, "::1");
  EXPECT_TRUE(c.server.listen[2].http2);
  EXPECT_EQ(c.server.workers, 4U);
  EXPECT_EQ(c.server.http2.max_concurrent_streams, 50U);
  EXPECT_EQ(c.server.http2.initial_stream_window, 128U * 1024);
  EXPECT_EQ(c.server.http2.connection_window, 4U * 1024 * 1024);

  EXPECT_EQ(c.server.limits.max_request_line_bytes, 4096U);
  EXPECT_EQ(c.server.limits.max_request_head_bytes, 32U * 1024);
  EXPECT_EQ(c.server.limits.max_header_count, 50U);
  EXPECT_EQ(c.server.limits.max_body_bytes, 1024U * 1024);
  EXPECT_EQ(c.server.limits.max_requests_per_connection, 1000U);
  EXPECT_EQ(c.server.limits.max_connections, 5000U);
  EXPECT_EQ(c.server.timeouts.header, milliseconds(5000));
  EXPECT_EQ(c.server.timeouts.body, milliseconds(250));
  EXPECT_EQ(c.server.timeouts.idle, milliseconds(120000));
  EXPECT_EQ(c.server.timeouts.drain, milliseconds(3600000));

  ASSERT_EQ(c.clusters.size(), 2U);
  const config::Cluster& backend = c.clusters.at("backend");
  EXPECT_EQ(backend.name, "backend");
  ASSERT_EQ(backend.endpoints.size(), 3U);
  EXPECT_EQ(backend.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(backend.endpoints[0].port, 9000);
  EXPECT_EQ(backend.endpoints[0].weight, 1U);
  EXPECT_EQ(backend.endpoints[1].host, "backend.internal");
  EXPECT_EQ(backend.endpoints[1].port, 9001);
  EXPECT_EQ(backend.endpoints[1].weight, 3U);
  EXPECT_EQ(backend.endpoints[2].host, "::1");
  EXPECT_EQ(backend.lb, config::LbPolicy::kConsistentHash);
  EXPECT_EQ(backend.hash.header, "x-user-id");
  EXPECT_EQ(backend.connect_timeout, milliseconds(1000));
  EXPECT_EQ(backend.dns_refresh, milliseconds(0));
  EXPECT_TRUE(backend.tls.enabled);
  EXPECT_EQ(backend.tls.sni, "api.example.com");
  EXPECT_FALSE(backend.tls.verify);
  EXPECT_EQ(backend.tls.ca_file, dir.path() + "/ca.pem");
  EXPECT_EQ(backend.pool.max_connections, 16U);
  EXPECT_EQ(backend.pool.idle_timeout, milliseconds(30000));
  EXPECT_EQ(backend.pool.max_streams_per_connection, 20U);
  EXPECT_EQ(backend.protocol, config::UpstreamProtocol::kHttp2);
  const config::Cluster& other = c.clusters.at("other");
  EXPECT_EQ(other.protocol, config::UpstreamProtocol::kHttp1);
  EXPECT_EQ(other.pool.max_streams_per_connection, 100U);
  EXPECT_EQ(other.lb, config::LbPolicy::kLeastRequest);
  EXPECT_TRUE(other.tls.enabled);
  EXPECT_TRUE(other.tls.verify);

  ASSERT_EQ(c.routes.size(), 3U);
  const config::Route& api = c.routes[0];
  EXPECT_EQ(api.match.hosts, std::vector<std::string>{"gw.test"});
  EXPECT_EQ(api.match.prefix, "/api/");
  EXPECT_FALSE(api.match.path.has_value());
  EXPECT_EQ(api.match.methods, (std::vector<std::string>{"GET", "POST"}));
  ASSERT_EQ(api.match.headers.size(), 3U);
  EXPECT_EQ(api.match.headers[0].name, "x-env");
  EXPECT_EQ(api.match.headers[0].exact, "prod");
  EXPECT_TRUE(api.match.headers[0].present);
  EXPECT_EQ(api.match.headers[1].regex, "^(1|true)$");
  EXPECT_FALSE(api.match.headers[2].present);
  EXPECT_FALSE(api.match.headers[2].exact.has_value());
  EXPECT_EQ(api.cluster, "backend");
  EXPECT_FALSE(api.direct_response.has_value());
  EXPECT_EQ(api.prefix_rewrite, "/v1/");
  EXPECT_EQ(api.host_rewrite, "upstream.internal");
  EXPECT_EQ(api.timeouts.first_byte, milliseconds(10000));
  EXPECT_EQ(api.timeouts.idle, milliseconds(20000));
  EXPECT_EQ(api.timeouts.total, milliseconds(0));

  EXPECT_EQ(c.routes[1].match.hosts, (std::vector<std::string>{"a.test", "*.b.test"}));
  EXPECT_EQ(c.routes[1].match.regex, "/v[0-9]+/.*");
  EXPECT_EQ(c.routes[1].cluster, "other");

  const config::Route& health = c.routes[2];
  EXPECT_EQ(health.match.path, "/healthz");
  EXPECT_TRUE(health.cluster.empty());
  ASSERT_TRUE(health.direct_response.has_value());
  EXPECT_EQ(health.direct_response->status, 200);
  EXPECT_EQ(health.direct_response->body, R"({"status":"ok"})");
  EXPECT_EQ(health.direct_response->content_type, "application/json");

  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_FALSE(c.logging.access_log.enabled);
  EXPECT_EQ(c.logging.access_log.path, dir.path() + "/logs/access.log");
}

TEST(ConfigLoader, Defaults) {
  auto loaded = load_config_text(R"(
server:
  listen: ["0.0.0.0:80"]
routes:
  - match: {}
    direct_response: {}
)",
                                 "min.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Config& c = *loaded;
  const config::Config defaults;
  EXPECT_EQ(c.source_file, "min.yaml");
  EXPECT_EQ(c.server.workers, 0U);
  EXPECT_EQ(c.server.limits.max_request_line_bytes, defaults.server.limits.max_request_line_bytes);
  EXPECT_EQ(c.server.limits.max_body_bytes, 32U * 1024 * 1024);
  EXPECT_EQ(c.server.limits.max_connections, 100000U);
  EXPECT_EQ(c.server.timeouts.header, milliseconds(10000));
  EXPECT_EQ(c.server.timeouts.drain, milliseconds(30000));
  EXPECT_FALSE(c.server.listen[0].http2);
  EXPECT_EQ(c.server.http2.max_concurrent_streams, 100U);
  EXPECT_EQ(c.server.http2.initial_stream_window, 64U * 1024);
  EXPECT_EQ(c.server.http2.connection_window, 1024U * 1024);
  EXPECT_TRUE(c.clusters.empty());
  ASSERT_EQ(c.routes.size(), 1U);
  EXPECT_TRUE(c.routes[0].match.hosts.empty());
  EXPECT_FALSE(c.routes[0].match.prefix.has_value());
  EXPECT_EQ(c.routes[0].direct_response->status, 200);
  EXPECT_EQ(c.routes[0].direct_response->body, "");
  EXPECT_EQ(c.routes[0].direct_response->content_type, "application/json");
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_TRUE(c.logging.access_log.enabled);
  EXPECT_EQ(c.logging.access_log.path, "stdout");
}

TEST(ConfigLoader, ClusterDefaultsAndTlsForms) {
  auto loaded = load_config_text(R"(
server: { listen: ["127.0.0.1:1"], workers: auto, limits: {}, timeouts: }
clusters:
  plain: { endpoints: ["backend:80"] }
  off: { endpoints: ["backend:80"], tls: false }
  mapping: { endpoints: ["backend:80"], tls: { sni: x.test } }
  disabled: { endpoints: ["backend:80"], tls: { enabled: false } }
  by_ip: { endpoints: ["backend:80"], lb: consistent_hash, hash: { source_ip: true } }
routes:
  - { match: { prefix: / }, cluster: plain }
)",
                                 "c.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const auto& clusters = loaded->clusters;
  const config::Cluster& plain = clusters.at("plain");
  EXPECT_EQ(plain.lb, config::LbPolicy::kRoundRobin);
  EXPECT_FALSE(plain.tls.enabled);
  EXPECT_EQ(plain.connect_timeout, milliseconds(5000));
  EXPECT_EQ(plain.dns_refresh, milliseconds(30000));
  EXPECT_EQ(plain.pool.max_connections, 1024U);
  EXPECT_EQ(plain.pool.idle_timeout, milliseconds(60000));
  EXPECT_FALSE(clusters.at("off").tls.enabled);
  EXPECT_TRUE(clusters.at("mapping").tls.enabled);  // the mapping form implies enabled
  EXPECT_EQ(clusters.at("mapping").tls.sni, "x.test");
  EXPECT_FALSE(clusters.at("disabled").tls.enabled);
  EXPECT_EQ(clusters.at("by_ip").hash.header, "");
  EXPECT_EQ(loaded->server.workers, 0U);
  EXPECT_EQ(loaded->routes[0].timeouts.first_byte, milliseconds(60000));
  EXPECT_EQ(loaded->routes[0].timeouts.total, milliseconds(0));
}

TEST(ConfigLoader, HealthCheckDefaultsAndForms) {
  auto loaded = load_config_text(R"(
server: { listen: ["127.0.0.1:1"] }
clusters:
  none: { endpoints: ["backend:80"] }
  plain: { endpoints: ["backend:80"], health_check: { path: /healthz } }
  full:
    endpoints: ["backend:80"]
    health_check:
      path: /ready?deep=1
      host: status.internal
      interval: 2s
      timeout: 250ms
      expected_status: [200, "300-399"]
      unhealthy_threshold: 3
      healthy_threshold: 1
  single: { endpoints: ["backend:80"], health_check: { path: /, expected_status: 204 } }
routes:
  - { match: { prefix: / }, cluster: plain }
)",
                                 "c.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->clusters.at("none").health_check.enabled);
  const config::HealthCheck& plain = loaded->clusters.at("plain").health_check;
  EXPECT_TRUE(plain.enabled);
  EXPECT_EQ(plain.path, "/healthz");
  EXPECT_EQ(plain.host, "");
  EXPECT_EQ(plain.interval, milliseconds(5000));
  EXPECT_EQ(plain.timeout, milliseconds(1000));
  ASSERT_EQ(plain.expected_status.size(), 1U);
  EXPECT_EQ(plain.expected_status[0].first, 200);
  EXPECT_EQ(plain.expected_status[0].last, 299);
  EXPECT_EQ(plain.unhealthy_threshold, 2U);
  EXPECT_EQ(plain.healthy_threshold, 2U);
  const config::HealthCheck& full = loaded->clusters.at("full").health_check;
  EXPECT_EQ(full.path, "/ready?deep=1");
  EXPECT_EQ(full.host, "status.internal");
  EXPECT_EQ(full.interval, milliseconds(2000));
  EXPECT_EQ(full.timeout, milliseconds(250));
  ASSERT_EQ(full.expected_status.size(), 2U);
  EXPECT_EQ(full.expected_status[0].first, 200);
  EXPECT_EQ(full.expected_status[0].last, 200);
  EXPECT_EQ(full.expected_status[1].first, 300);
  EXPECT_EQ(full.expected_status[1].last, 399);
  EXPECT_EQ(full.unhealthy_threshold, 3U);
  EXPECT_EQ(full.healthy_threshold, 1U);
  const config::HealthCheck& single = loaded->clusters.at("single").health_check;
  ASSERT_EQ(single.expected_status.size(), 1U);
  EXPECT_EQ(single.expected_status[0].first, 204);
  EXPECT_EQ(single.expected_status[0].last, 204);
}

// Sets (or unsets, with nullptr) an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

constexpr const char* kInterpolated = R"(
server:
  listen: ["${NEXUS_T_HOST:-127.0.0.1}:${NEXUS_T_PORT:-8080}"]
  workers: ${NEXUS_T_WORKERS:-auto}
  timeouts: { idle: "${NEXUS_T_IDLE}" }
clusters:
  b: { endpoints: ["${NEXUS_T_UP}"] }
routes:
  - match: { prefix: "/$${NEXUS_T_UP}/$$" }
    cluster: b
)";

TEST(ConfigLoader, InterpolationSetAndDefaults) {
  ScopedEnv host("NEXUS_T_HOST", nullptr);
  ScopedEnv port("NEXUS_T_PORT", "9999");
  ScopedEnv workers("NEXUS_T_WORKERS", "");  // empty counts as unset for ${VAR:-default}
  ScopedEnv idle("NEXUS_T_IDLE", "7s");
  ScopedEnv up("NEXUS_T_UP", "upstream.test:81");
  auto loaded = load_config_text(kInterpolated, "env.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->server.listen[0].host, "127.0.0.1");
  EXPECT_EQ(loaded->server.listen[0].port, 9999);
  EXPECT_EQ(loaded->server.workers, 0U);
  EXPECT_EQ(loaded->server.timeouts.idle, milliseconds(7000));
  EXPECT_EQ(loaded->clusters.at("b").endpoints[0].host, "upstream.test");
  EXPECT_EQ(loaded->clusters.at("b").endpoints[0].port, 81);
  EXPECT_EQ(loaded->routes[0].match.prefix, "/${NEXUS_T_UP}/$");
}

TEST(ConfigLoader, InterpolationUnsetVariableIsAnError) {
  ScopedEnv idle("NEXUS_T_IDLE", "7s");
  ScopedEnv up("NEXUS_T_UP", nullptr);
  auto loaded = load_config_text(kInterpolated, "env.yaml");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(loaded.error().message(),
            "env.yaml:7: clusters.b.endpoints[0]: environment variable 'NEXUS_T_UP' is not set "
            "(use ${NEXUS_T_UP:-default} to give a default)");
}

TEST(ConfigLoader, InterpolatedValueIsValidatedAfterwards) {
  ScopedEnv idle("NEXUS_T_IDLE", "soon");
  ScopedEnv up("NEXUS_T_UP", "b:1");
  auto loaded = load_config_text(kInterpolated, "env.yaml");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().message().starts_with(
      "env.yaml:5: server.timeouts.idle: expected a duration like 10s or 250ms"))
      << loaded.error().message();
}

TEST(ConfigLoader, QuickstartExampleLoads) {
  ScopedEnv port("PORT", nullptr);
  ScopedEnv upstream("UPSTREAM_PORT", nullptr);
  auto loaded = load_config_file(std::string(NEXUS_SOURCE_DIR) + "/examples/quickstart.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->server.listen.size(), 1U);
  EXPECT_EQ(loaded->server.listen[0].host, "127.0.0.1");
  EXPECT_EQ(loaded->server.listen[0].port, 8080);
  EXPECT_EQ(loaded->server.workers, 0U);
  const config::Cluster& backend = loaded->clusters.at("backend");
  EXPECT_EQ(backend.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(backend.endpoints[0].port, 9000);
  ASSERT_EQ(loaded->routes.size(), 3U);
  EXPECT_EQ(loaded->routes[0].match.path, "/healthz");
  EXPECT_TRUE(loaded->routes[0].direct_response.has_value());
  EXPECT_EQ(loaded->routes[1].match.prefix, "/v1/");
  EXPECT_TRUE(loaded->routes[1].llm);
  EXPECT_EQ(loaded->routes[2].match.prefix, "/");
  EXPECT_EQ(loaded->routes[2].cluster, "backend");
  EXPECT_EQ(loaded->logging.access_log.path, "stdout");
}

// Offline, only the echo model (the assistant group has no deployment left); each real provider
// joins when its API key is set.
TEST(ConfigLoader, QuickstartProvidersFollowTheirApiKeys) {
  {
    ScopedEnv openai("OPENAI_API_KEY", nullptr);
    ScopedEnv anthropic("ANTHROPIC_API_KEY", nullptr);
    auto loaded = load_config_file(std::string(NEXUS_SOURCE_DIR) + "/examples/quickstart.yaml");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    ASSERT_EQ(loaded->models.size(), 1U);
    EXPECT_EQ(loaded->models[0].name, "echo");
    EXPECT_EQ(loaded->providers.size(), 1U);
    EXPECT_FALSE(loaded->clusters.contains("provider:openai"));
  }
  ScopedEnv openai("OPENAI_API_KEY", "sk-test");
  ScopedEnv anthropic("ANTHROPIC_API_KEY", nullptr);
  auto loaded = load_config_file(std::string(NEXUS_SOURCE_DIR) + "/examples/quickstart.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->models.size(), 3U);
  EXPECT_EQ(loaded->models[1].name, "gpt-4o-mini");
  EXPECT_EQ(loaded->models[2].name, "assistant");  // the group, with the one provider set
  EXPECT_EQ(loaded->models[2].deployments.size(), 1U);
  const config::Provider& provider = loaded->providers.at("openai");
  EXPECT_EQ(provider.api_key, "sk-test");
  EXPECT_EQ(provider.host, "api.openai.com");
  EXPECT_EQ(provider.base_path, "/v1");
  const config::Cluster& cluster = loaded->clusters.at("provider:openai");
  EXPECT_TRUE(cluster.tls.enabled);
  EXPECT_EQ(cluster.endpoints[0].host, "api.openai.com");
  EXPECT_EQ(cluster.endpoints[0].port, 443);
}

TEST(ConfigLoader, QuickstartPortsFromEnvironment) {
  ScopedEnv port("PORT", "18080");
  ScopedEnv upstream("UPSTREAM_PORT", "19000");
  auto loaded = load_config_file(std::string(NEXUS_SOURCE_DIR) + "/examples/quickstart.yaml");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->server.listen[0].port, 18080);
  EXPECT_EQ(loaded->clusters.at("backend").endpoints[0].port, 19000);
}

}  // namespace
}  // namespace nexus::control

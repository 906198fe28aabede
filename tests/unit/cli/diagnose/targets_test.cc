// What diagnose reaches over the network, from a loaded config.
#include "cli/diagnose/targets.h"

#include <gtest/gtest.h>

#include "control/config/loader.h"

namespace nexus::cli::diagnose {
namespace {

constexpr std::string_view kConfig = R"(
server: { listen: ["127.0.0.1:8080"] }
clusters:
  backend:
    endpoints: ["10.0.0.1:8080", "backend.internal:8443"]
    tls: { enabled: true, sni: api.internal }
routes:
  - { match: { prefix: /api/ }, cluster: backend }
  - { match: { prefix: /v1/ }, llm: {} }
providers:
  openai: { type: openai, api_key: sk-secret }
  aws: { type: bedrock, region: us-east-1, access_key_id: AKIA, secret_access_key: s }
models:
  - { name: gpt, provider: openai, model: gpt-4o-mini }
  - { name: claude, provider: aws, model: anthropic.claude-3-haiku }
)";

const Target* find(const std::vector<Target>& targets, std::string_view name) {
  for (const Target& target : targets) {
    if (target.name() == name) {
      return &target;
    }
  }
  return nullptr;
}

TEST(DiagnoseTargets, EveryEndpointOfEveryClusterAndProvider) {
  auto config = control::load_config_text(kConfig, "c.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  const std::vector<Target> targets = network_targets(*config, false);
  std::vector<std::string> names;
  names.reserve(targets.size());
  for (const Target& target : targets) {
    names.push_back(target.name());
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "cluster backend 10.0.0.1:8080", "cluster backend backend.internal:8443",
                       "provider aws bedrock-runtime.us-east-1.amazonaws.com:443",
                       "provider openai api.openai.com:443"}));
  const Target& backend = targets[0];
  ASSERT_TRUE(backend.tls.has_value());
  EXPECT_EQ(backend.tls.value_or(config::UpstreamTls{}).sni, "api.internal");
  EXPECT_TRUE(backend.no_probe_reason.empty()) << "a plain cluster has no probe line";
  const Target* openai = find(targets, "provider openai api.openai.com:443");
  ASSERT_NE(openai, nullptr);
  EXPECT_FALSE(openai->probe_request.has_value());
  EXPECT_EQ(openai->no_probe_reason, "not requested (--probe)");
}

TEST(DiagnoseTargets, ProbeIsTheProvidersModelListWithItsKey) {
  auto config = control::load_config_text(kConfig, "c.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().message();
  const std::vector<Target> targets = network_targets(*config, true);
  const Target* openai = find(targets, "provider openai api.openai.com:443");
  ASSERT_NE(openai, nullptr);
  ASSERT_TRUE(openai->probe_request.has_value());
  const std::string probe = openai->probe_request.value_or("");
  EXPECT_TRUE(probe.starts_with("GET /v1/models HTTP/1.1\r\n")) << probe;
  EXPECT_NE(probe.find("Bearer sk-secret"), std::string::npos);
  EXPECT_EQ(openai->probe_path, "/v1/models");
  const Target* aws = find(targets, "provider aws bedrock-runtime.us-east-1.amazonaws.com:443");
  ASSERT_NE(aws, nullptr);
  EXPECT_FALSE(aws->probe_request.has_value());
  EXPECT_NE(aws->no_probe_reason.find("no free health check"), std::string::npos)
      << aws->no_probe_reason;
}

TEST(DiagnoseTargets, Ipv6HostsAreBracketed) {
  Target target;
  target.label = "cluster v6";
  target.host = "::1";
  target.port = 8080;
  EXPECT_EQ(target.name(), "cluster v6 [::1]:8080");
}

}  // namespace
}  // namespace nexus::cli::diagnose

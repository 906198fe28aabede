// The `observability` section: absent means no ops listener; both listener forms are read;
// tracing may come without a listener.
// Its errors (file, line, key) are in config_errors_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "control/config/loader.h"

namespace nexus::control {
namespace {

#define HEAD                                   \
  "server: { listen: [\"127.0.0.1:8080\"] }\n" \
  "routes: [{ match: {}, direct_response: {} }]\n"

Result<config::Config> load(const std::string& yaml) { return load_config_text(yaml, "o.yaml"); }

TEST(ConfigObservability, AbsentMeansNoOpsListener) {
  auto loaded = load(HEAD);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->observability.listen.has_value());
}

TEST(ConfigObservability, ListenAsAddress) {
  auto loaded = load(HEAD "observability: { listen: \"127.0.0.1:9464\" }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_TRUE(loaded->observability.listen.has_value());
  const config::Listener listen = loaded->observability.listen.value_or(config::Listener{});
  EXPECT_EQ(listen.host, "127.0.0.1");
  EXPECT_EQ(listen.port, 9464);
  EXPECT_FALSE(listen.tls.has_value());
}

TEST(ConfigObservability, ListenAsMappingOnIpv6) {
  auto loaded = load(HEAD "observability:\n  listen: { address: \"[::1]:9464\" }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Listener listen = loaded->observability.listen.value_or(config::Listener{});
  EXPECT_EQ(listen.host, "::1");
  EXPECT_EQ(listen.port, 9464);
}

TEST(ConfigObservability, TracingAloneNeedsNoListener) {
  auto loaded = load(HEAD "observability:\n  tracing: { sampling_ratio: 0.5 }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->observability.listen.has_value());
  EXPECT_TRUE(loaded->observability.tracing.enabled);
  EXPECT_DOUBLE_EQ(loaded->observability.tracing.sampling_ratio, 0.5);
}

}  // namespace
}  // namespace nexus::control

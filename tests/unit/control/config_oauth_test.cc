// vertex's and azure_openai's credentials (control/config/provider_auth.cc): a service account's
// key file read at load, Entra tokens and client credentials, token_url, and their errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "../providers/rsa_key_support.h"
#include "control/config/loader.h"

namespace nexus::control {
namespace {

#define SERVER_LINE "server: { listen: [\"127.0.0.1:8080\"] }\n"

Result<config::Config> load(const std::string& yaml) { return load_config_text(yaml, "p.yaml"); }
// A configuration that loads needs a route; the providers' lines stay lines 2-3 either way.
Result<config::Config> load_valid(const std::string& yaml) {
  return load(yaml + "routes: [{ match: {}, direct_response: {} }]\n");
}

// A file in a directory of its own, removed with it.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    dir_ = std::filesystem::temp_directory_path() /
           ("nexus-oauth-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "sa.json").string();
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string path_;
};

std::string key_file(std::string_view token_uri = "https://oauth2.googleapis.com/token") {
  const boost::json::object key = {{"type", "service_account"},
                                   {"private_key_id", "kid-1"},
                                   {"private_key", test::test_rsa_key().private_pem},
                                   {"client_email", "nexus@p.iam.gserviceaccount.com"},
                                   {"token_uri", token_uri}};
  return boost::json::serialize(key);
}

std::string vertex(const std::string& options) {
  return SERVER_LINE "providers:\n  v: { type: vertex, project: p, location: us-central1, " +
         options + " }\n";
}

std::string azure(const std::string& options) {
  return SERVER_LINE
         "providers:\n  a: { type: azure_openai, base_url: "
         "\"https://r.openai.azure.com/openai\", " +
         options + " }\n";
}

TEST(ConfigOAuth, VertexServiceAccountKey) {
  const TempFile file(key_file());
  auto loaded = load_valid(vertex("credentials_file: \"" + file.path() + "\""));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& v = loaded->providers.at("v");
  EXPECT_TRUE(v.api_key.empty());
  EXPECT_EQ(v.oauth.grant, config::TokenGrant::kJwtBearer);
  EXPECT_EQ(v.oauth.client_email, "nexus@p.iam.gserviceaccount.com");
  EXPECT_EQ(v.oauth.private_key_id, "kid-1");
  EXPECT_EQ(v.oauth.audience, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(v.oauth.token_url, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(v.oauth.host, "oauth2.googleapis.com");
  EXPECT_EQ(v.oauth.path, "/token");
  EXPECT_EQ(v.oauth.cluster, "provider:v:token");
  const config::Cluster& token = loaded->clusters.at("provider:v:token");
  EXPECT_TRUE(token.tls.enabled);
  EXPECT_EQ(token.endpoints[0].port, 443);
}

TEST(ConfigOAuth, TokenUrlOverridesWhereNotTheAudience) {
  const TempFile file(key_file());
  auto loaded = load_valid(vertex("credentials_file: \"" + file.path() +
                                  "\", token_url: \"http://127.0.0.1:9000/oauth/token\""));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& v = loaded->providers.at("v");
  EXPECT_EQ(v.oauth.audience, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(v.oauth.host, "127.0.0.1:9000");
  EXPECT_EQ(v.oauth.path, "/oauth/token");
  EXPECT_FALSE(loaded->clusters.at("provider:v:token").tls.enabled);
}

TEST(ConfigOAuth, AzureTokenAndClientCredentials) {
  auto loaded = load_valid(azure("azure_ad_token: eyJ0"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_TRUE(loaded->providers.at("a").azure_ad_token);
  EXPECT_EQ(loaded->providers.at("a").api_key, "eyJ0");
  EXPECT_EQ(loaded->providers.at("a").oauth.grant, config::TokenGrant::kNone);
  EXPECT_FALSE(loaded->clusters.contains("provider:a:token"));

  loaded =
      load_valid(azure("tenant_id: contoso.onmicrosoft.com, client_id: app, client_secret: s"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& a = loaded->providers.at("a");
  EXPECT_FALSE(a.azure_ad_token);
  EXPECT_TRUE(a.api_key.empty());
  EXPECT_EQ(a.oauth.grant, config::TokenGrant::kClientCredentials);
  EXPECT_EQ(a.oauth.token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_EQ(a.oauth.host, "login.microsoftonline.com");
  EXPECT_EQ(a.oauth.scope, "https://cognitiveservices.azure.com/.default");
  EXPECT_EQ(a.oauth.client_id, "app");
  EXPECT_EQ(a.oauth.client_secret, "s");
}

TEST(ConfigOAuth, OptionalProviderWithoutCredentialsIsLeftOut) {
  auto loaded = load_valid(vertex("credentials_file: \"\", optional: true") +
                           "models: [{ name: m, provider: v }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->providers.contains("v"));
  loaded = load_valid(azure("azure_ad_token: \"\", optional: true"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_FALSE(loaded->providers.contains("a"));
}

TEST(ConfigOAuth, Errors) {
  const TempFile good(key_file());
  const TempFile not_json("{");
  const TempFile bad_pem(
      R"({"type":"service_account","private_key_id":"k","private_key":"x","client_email":"e",)"
      R"("token_uri":"https://oauth2.googleapis.com/token"})");
  const TempFile bad_uri(key_file("ftp://x/token"));
  struct Case {
    std::string yaml;
    std::string message;
  };
  const std::string file = "credentials_file: \"" + good.path() + "\"";
  const Case cases[] = {
      {vertex("api_key: t, " + file),
       "p.yaml:3: providers.v.credentials_file: credentials_file and api_key are mutually "
       "exclusive: set one way to authenticate"},
      {vertex(""),
       "p.yaml:3: providers.v.api_key: api_key (an OAuth access token) or credentials_file (a "
       "service account's key) is required (or optional: true to leave the provider out when "
       "neither is set)"},
      {vertex("credentials_file: /nonexistent/sa.json"),
       "p.yaml:3: providers.v.credentials_file: cannot read file '/nonexistent/sa.json': No such "
       "file or directory"},
      {vertex("credentials_file: \"" + not_json.path() + "\""),
       "p.yaml:3: providers.v.credentials_file: '" + not_json.path() +
           "': not a JSON object (expected a service account's key file)"},
      {vertex("credentials_file: \"" + bad_pem.path() + "\""),
       "p.yaml:3: providers.v.credentials_file: '" + bad_pem.path() +
           R"(': "private_key" is not an RSA private key in PEM)"},
      {vertex("credentials_file: \"" + bad_uri.path() + "\""),
       "p.yaml:3: providers.v.credentials_file: '" + bad_uri.path() +
           R"(': "token_uri" is not an http(s) URL)"},
      {vertex(file + ", token_url: \"ftp://x\""),
       "p.yaml:3: providers.v.token_url: expected an http:// or https:// URL"},
      {vertex("api_key: t, token_url: \"http://x/token\""),
       "p.yaml:3: providers.v.token_url: only used with credentials_file"},
      {vertex("api_key: t, client_id: c"),
       "p.yaml:3: providers.v.client_id: only allowed with type: azure_openai"},
      {azure("api_key: k, azure_ad_token: t"),
       "p.yaml:3: providers.a.azure_ad_token: azure_ad_token and api_key are mutually "
       "exclusive: set one way to authenticate"},
      {azure("azure_ad_token: t, tenant_id: x, client_id: c, client_secret: s"),
       "p.yaml:3: providers.a.tenant_id: tenant_id and azure_ad_token are mutually exclusive: "
       "set one way to authenticate"},
      {azure("tenant_id: x, client_id: c"),
       "p.yaml:3: providers.a: client_secret is required with client credentials (tenant_id, "
       "client_id, client_secret)"},
      {azure("tenant_id: \"a/b\", client_id: c, client_secret: s"),
       "p.yaml:3: providers.a.tenant_id: expected a tenant id (a GUID) or domain: letters, "
       "digits, '-' and '.'"},
      {azure(""),
       "p.yaml:3: providers.a.api_key: api_key, azure_ad_token or client credentials (tenant_id, "
       "client_id, client_secret) are required (or optional: true to leave the provider out "
       "when none is set)"},
      {azure("api_key: k, token_url: \"http://x/t\""),
       "p.yaml:3: providers.a.token_url: only used with client credentials (tenant_id, ...)"},
      {azure("api_key: k, " + file),
       "p.yaml:3: providers.a.credentials_file: only allowed with type: vertex"},
      {SERVER_LINE "providers:\n  o: { type: openai, api_key: k, tenant_id: t }\n",
       "p.yaml:3: providers.o.tenant_id: only allowed with type: vertex or azure_openai"},
  };
  for (const auto& c : cases) {
    auto loaded = load(c.yaml);
    ASSERT_FALSE(loaded.has_value()) << c.yaml;
    EXPECT_EQ(loaded.error().message(), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace nexus::control

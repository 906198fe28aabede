// The `providers` and `models` sections: what they build (clusters from base URLs, presets) and
// the errors they report.
#include <gtest/gtest.h>

#include <string>

#include "control/config/loader.h"

namespace nexus::control {
namespace {

#define SERVER_LINE "server: { listen: [\"127.0.0.1:8080\"] }\n"
#define LLM_ROUTE "routes: [{ match: { prefix: /v1/ }, llm: {} }]\n"

Result<config::Config> load(const std::string& yaml) { return load_config_text(yaml, "p.yaml"); }

TEST(ConfigProviders, BaseUrlBecomesACluster) {
  auto loaded = load(SERVER_LINE LLM_ROUTE
                     "providers:\n"
                     "  local: { type: openai_compatible, base_url: \"http://127.0.0.1:8000/v1/\","
                     " api_key: k, headers: { X-Team: blue } }\n"
                     "  claude: { type: anthropic, api_key: a, drop_unsupported_params: true }\n"
                     "models:\n"
                     "  - { name: small, provider: local, model: qwen3 }\n"
                     "  - { name: claude, provider: claude }\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& local = loaded->providers.at("local");
  EXPECT_EQ(local.type, config::ProviderType::kOpenAi);
  EXPECT_EQ(local.host, "127.0.0.1:8000");
  EXPECT_EQ(local.base_path, "/v1");
  ASSERT_EQ(local.headers.size(), 1U);
  EXPECT_EQ(local.headers[0].first, "x-team");
  const config::Cluster& cluster = loaded->clusters.at("provider:local");
  EXPECT_FALSE(cluster.tls.enabled);
  EXPECT_EQ(cluster.endpoints[0].port, 8000);
  const config::Provider& claude = loaded->providers.at("claude");
  EXPECT_EQ(claude.host, "api.anthropic.com");
  EXPECT_TRUE(claude.drop_unsupported_params);
  EXPECT_TRUE(loaded->clusters.at("provider:claude").tls.enabled);
  ASSERT_EQ(loaded->models.size(), 2U);
  EXPECT_EQ(loaded->models[0].deployments.at(0).model, "qwen3");
  EXPECT_EQ(loaded->models[1].deployments.at(0).model, "claude");  // defaults to the name
  EXPECT_TRUE(loaded->routes[0].llm);
}

TEST(ConfigProviders, PresetGivesTheBaseUrl) {
  auto loaded = load(SERVER_LINE LLM_ROUTE
                     "providers:\n"
                     "  groq: { type: openai_compatible, preset: groq, api_key: g }\n"
                     "  ollama: { type: openai_compatible, preset: ollama }\n"
                     "  deepseek: { type: openai_compatible, preset: deepseek, api_key: d }\n"
                     "models: [{ name: llama, provider: groq }, { name: q, provider: ollama }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_EQ(loaded->providers.at("groq").host, "api.groq.com");
  EXPECT_EQ(loaded->providers.at("groq").base_path, "/openai/v1");
  EXPECT_EQ(loaded->providers.at("ollama").host, "127.0.0.1:11434");
  EXPECT_TRUE(loaded->providers.at("ollama").api_key.empty());  // local: no key needed
  EXPECT_FALSE(loaded->providers.at("groq").reasoning_content);
  EXPECT_TRUE(loaded->providers.at("deepseek").reasoning_content);  // thinking in tool loops
  EXPECT_FALSE(loaded->providers.at("groq").max_completion_tokens);
}

TEST(ConfigProviders, GeminiAndCohereHaveTheirOwnDefaultUrls) {
  auto loaded = load(SERVER_LINE LLM_ROUTE
                     "providers:\n"
                     "  gemini: { type: gemini, api_key: g }\n"
                     "  cohere: { type: cohere, api_key: c }\n"
                     "models: [{ name: flash, provider: gemini, model: gemini-2.5-flash },\n"
                     "         { name: command, provider: cohere, model: command-a-03-2025 }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& gemini = loaded->providers.at("gemini");
  EXPECT_EQ(gemini.type, config::ProviderType::kGemini);
  EXPECT_EQ(gemini.host, "generativelanguage.googleapis.com");
  EXPECT_EQ(gemini.base_path, "/v1beta");
  EXPECT_TRUE(loaded->clusters.at("provider:gemini").tls.enabled);
  const config::Provider& cohere = loaded->providers.at("cohere");
  EXPECT_EQ(cohere.type, config::ProviderType::kCohere);
  EXPECT_EQ(cohere.host, "api.cohere.com");
  EXPECT_EQ(cohere.base_path, "/v2");
}

TEST(ConfigProviders, AzureOpenAiDefaults) {
  auto loaded = load(SERVER_LINE LLM_ROUTE
                     "providers:\n"
                     "  azure: { type: azure_openai, api_key: k,"
                     " base_url: \"https://res.openai.azure.com/openai\" }\n"
                     "models: [{ name: gpt, provider: azure, model: my-deployment }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& azure = loaded->providers.at("azure");
  EXPECT_EQ(azure.type, config::ProviderType::kAzureOpenAi);
  EXPECT_TRUE(config::speaks_openai_api(azure.type));
  EXPECT_EQ(azure.api_version, "2024-10-21");
  EXPECT_TRUE(azure.max_completion_tokens);
  EXPECT_EQ(azure.base_path, "/openai");
}

TEST(ConfigProviders, BedrockSignsWithAwsCredentials) {
  auto loaded =
      load(SERVER_LINE LLM_ROUTE
           "providers:\n"
           "  aws: { type: bedrock, region: eu-west-3, access_key_id: AKID,"
           " secret_access_key: SECRET, session_token: TOKEN }\n"
           "  gone: { type: bedrock, region: us-east-1, access_key_id: \"\","
           " secret_access_key: \"\", optional: true }\n"
           "models: [{ name: claude, provider: aws, model: \"anthropic.claude-v2:1\" }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& aws = loaded->providers.at("aws");
  EXPECT_EQ(aws.type, config::ProviderType::kBedrock);
  EXPECT_EQ(aws.host, "bedrock-runtime.eu-west-3.amazonaws.com");
  EXPECT_EQ(aws.aws_region, "eu-west-3");
  EXPECT_EQ(aws.aws_access_key_id, "AKID");
  EXPECT_EQ(aws.aws_secret_access_key, "SECRET");
  EXPECT_EQ(aws.aws_session_token, "TOKEN");
  EXPECT_TRUE(loaded->clusters.at("provider:aws").tls.enabled);
  EXPECT_FALSE(loaded->providers.contains("gone"));  // optional, no credentials: left out
}

TEST(ConfigProviders, VertexEndpointsFollowTheLocation) {
  auto loaded =
      load(SERVER_LINE LLM_ROUTE
           "providers:\n"
           "  regional: { type: vertex, project: p-1, location: europe-west4, api_key: t }\n"
           "  global: { type: vertex, project: p-1, location: global, api_key: t }\n"
           "models: [{ name: g, provider: regional, model: gemini-2.5-pro },\n"
           "         { name: c, provider: global, model: \"anthropic/claude-sonnet-4\" }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  const config::Provider& regional = loaded->providers.at("regional");
  EXPECT_EQ(regional.type, config::ProviderType::kVertex);
  EXPECT_EQ(regional.host, "europe-west4-aiplatform.googleapis.com");
  EXPECT_EQ(regional.gcp_project, "p-1");
  EXPECT_EQ(regional.gcp_location, "europe-west4");
  EXPECT_EQ(loaded->providers.at("global").host, "aiplatform.googleapis.com");
}

TEST(ConfigProviders, OpenAiItselfTakesMaxCompletionTokens) {
  auto loaded =
      load(SERVER_LINE LLM_ROUTE
           "providers:\n"
           "  openai: { type: openai, api_key: k }\n"
           "  own: { type: openai_compatible, base_url: \"http://127.0.0.1:9/v1\", api_key: o }\n"
           "models: [{ name: o4, provider: openai }, { name: mine, provider: own }]\n");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  EXPECT_TRUE(loaded->providers.at("openai").max_completion_tokens);
  EXPECT_FALSE(loaded->providers.at("own").max_completion_tokens);
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;  // the whole message
};

const BadCase kBad[] = {
    {"unknown type", SERVER_LINE "providers: { p: { type: palm } }\n",
     "p.yaml:2: providers.p.type: unknown value 'palm' (expected echo, openai, "
     "openai_compatible, azure_openai, anthropic, gemini, vertex, cohere, bedrock)"},
    {"vertex without its project",
     SERVER_LINE "providers:\n  v: { type: vertex, location: us-central1, api_key: t }\n",
     "p.yaml:3: providers.v: project is required: lower-case letters, digits and '-' "
     "(my-project-123)"},
    {"project elsewhere", SERVER_LINE "providers:\n  p: { type: openai, api_key: k, project: x }\n",
     "p.yaml:3: providers.p.project: only allowed with type: vertex"},
    {"azure without its resource URL",
     SERVER_LINE "providers:\n  a: { type: azure_openai, api_key: k }\n",
     "p.yaml:3: providers.a: base_url is required (no preset gives it)"},
    {"bedrock without credentials",
     SERVER_LINE "providers:\n  b: { type: bedrock, region: us-east-1, access_key_id: AK }\n",
     "p.yaml:3: providers.b: secret_access_key is required (or optional: true to leave the "
     "provider out when it is not set)"},
    {"bedrock with an API key", SERVER_LINE "providers:\n  b: { type: bedrock, api_key: k }\n",
     "p.yaml:3: providers.b.api_key: not used with type: bedrock (requests are signed with "
     "access_key_id and secret_access_key)"},
    {"bedrock region",
     SERVER_LINE "providers:\n  b: { type: bedrock, region: \"us east\", access_key_id: A,"
                 " secret_access_key: S }\n",
     "p.yaml:3: providers.b.region: region is required: an AWS region such as us-east-1"},
    {"AWS keys elsewhere", SERVER_LINE "providers:\n  p: { type: openai, api_key: k, region: x }\n",
     "p.yaml:3: providers.p.region: only allowed with type: bedrock"},
    {"api_version elsewhere",
     SERVER_LINE "providers:\n  p: { type: openai, api_key: k, api_version: 2024-10-21 }\n",
     "p.yaml:3: providers.p.api_version: only allowed with type: azure_openai"},
    {"api_version that would break the query",
     SERVER_LINE "providers:\n  a: { type: azure_openai, api_key: k, base_url: "
                 "\"https://r.openai.azure.com/openai\","
                 " api_version: \"1&x=y\" }\n",
     "p.yaml:3: providers.a.api_version: expected an Azure OpenAI api-version such as 2024-10-21"},
    {"missing key", SERVER_LINE "providers:\n  p: { type: openai }\n",
     "p.yaml:3: providers.p.api_key: an API key is required (or optional: true to leave the "
     "provider out when its key is not set)"},
    {"unknown preset", SERVER_LINE "providers:\n  p: { type: openai_compatible, preset: nope }\n",
     "p.yaml:3: providers.p.preset: unknown preset 'nope' (expected cerebras, deepseek, doubao, "
     "groq, hunyuan, mistral, moonshot, moonshot_cn, ollama, openrouter, perplexity, qianfan, "
     "qwen, qwen_cn, together, vllm, xai, zai, zhipu)"},
    {"vllm needs a base_url",
     SERVER_LINE "providers:\n  p: { type: openai_compatible, preset: vllm }\n",
     "p.yaml:3: providers.p: base_url is required (no preset gives it)"},
    {"bad scheme",
     SERVER_LINE "providers:\n  p: { type: openai, api_key: k, base_url: \"ftp://x/v1\" }\n",
     "p.yaml:3: providers.p.base_url: expected an http:// or https:// URL"},
    {"url with a query",
     SERVER_LINE "providers:\n  p: { type: openai, api_key: k, base_url: \"http://x/v1?a=1\" }\n",
     "p.yaml:3: providers.p.base_url: expected scheme://host[:port][/path], without "
     "credentials, query or fragment"},
    {"echo with a key", SERVER_LINE "providers:\n  p: { type: echo, api_key: k }\n",
     "p.yaml:3: providers.p.api_key: not allowed with type: echo (it answers in-process)"},
    {"preset on openai", SERVER_LINE "providers:\n  p: { type: openai, preset: groq }\n",
     "p.yaml:3: providers.p.preset: only allowed with type: openai_compatible"},
    {"anthropic option elsewhere",
     SERVER_LINE "providers:\n  p: { type: openai, api_key: k, default_max_tokens: 5 }\n",
     "p.yaml:3: providers.p.default_max_tokens: only allowed with type: anthropic"},
    {"bad header name",
     SERVER_LINE "providers:\n  p: { type: openai, api_key: k, headers: { \"a b\": c } }\n",
     "p.yaml:3: providers.p.headers.a b: 'a b' is not a valid header name"},
    {"model of an unknown provider",
     SERVER_LINE "providers: { e: { type: echo } }\nmodels:\n  - { name: m, provider: x }\n",
     "p.yaml:4: models[0].provider: unknown provider 'x' (not defined in providers)"},
    {"model listed twice",
     SERVER_LINE "providers: { e: { type: echo } }\nmodels:\n  - { name: m, provider: e }\n"
                 "  - { name: m, provider: e }\n",
     "p.yaml:5: models[1].name: model 'm' is listed twice"},
    {"llm route without models", SERVER_LINE LLM_ROUTE,
     "p.yaml:1: models: routes[0] serves the LLM API, but no model is configured"},
    {"llm route with a rewrite",
     SERVER_LINE "providers: { e: { type: echo } }\nmodels: [{ name: m, provider: e }]\n"
                 "routes:\n  - { match: { prefix: /v1/ }, llm: {}, prefix_rewrite: / }\n",
     "p.yaml:5: routes[0].prefix_rewrite: only allowed with cluster (an llm route's upstream is "
     "a provider)"},
    {"llm route with retries",
     SERVER_LINE "providers: { e: { type: echo } }\nmodels: [{ name: m, provider: e }]\n"
                 "routes:\n  - { match: { prefix: /v1/ }, llm: {}, retries: { attempts: 2 } }\n",
     "p.yaml:5: routes[0].retries: only allowed with cluster (an llm route's upstream is a "
     "provider)"},
    {"llm and cluster",
     SERVER_LINE "clusters: { b: { endpoints: [\"a:1\"] } }\n"
                 "routes:\n  - match: {}\n    cluster: b\n    llm: {}\n",
     "p.yaml:6: routes[0].llm: expected exactly one of cluster, direct_response and llm"},
};

TEST(ConfigProviders, ErrorsNameFileLineAndKey) {
  for (const BadCase& bad : kBad) {
    auto loaded = load(bad.yaml);
    ASSERT_FALSE(loaded.has_value()) << bad.name;
    EXPECT_EQ(loaded.error().message(), bad.message) << bad.name;
  }
}

}  // namespace
}  // namespace nexus::control

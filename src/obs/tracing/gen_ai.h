// Names from the OpenTelemetry GenAI semantic conventions for an LLM attempt's span.
#pragma once

#include <string_view>

#include "nexus/config/config.h"

namespace nexus::obs::tracing {

// gen_ai.provider.name: the conventions' well-known values where there is one.
inline std::string_view gen_ai_provider_name(config::ProviderType type) {
  switch (type) {
    case config::ProviderType::kOpenAi:
      return "openai";
    case config::ProviderType::kAzureOpenAi:
      return "azure.ai.openai";
    case config::ProviderType::kAnthropic:
      return "anthropic";
    case config::ProviderType::kGemini:
      return "gcp.gemini";
    case config::ProviderType::kVertex:
      return "gcp.vertex_ai";
    case config::ProviderType::kCohere:
      return "cohere";
    case config::ProviderType::kBedrock:
      return "aws.bedrock";
    case config::ProviderType::kEcho:
      break;
  }
  return "nexus.echo";
}

}  // namespace nexus::obs::tracing

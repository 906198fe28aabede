// What differs between OpenAI-compatible providers before any request is made: where they
// listen. Data, not code: a preset fills in a provider's defaults, and everything it sets can
// be overridden in the provider's config (base URLs move; docs/providers.md lists the sources).
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace nexus::providers::openai_compatible {

struct Preset {
  std::string_view name;
  // Chat completions are at base_url + "/chat/completions". Empty: self-hosted, the config
  // must give base_url.
  std::string_view base_url;
  bool needs_api_key;  // false: local servers that accept any key (or none)
  // Reasoning is sent back in assistant messages as `reasoning_content`: DeepSeek's thinking
  // models need it inside a tool-call loop.
  bool reasoning_content = false;
};

std::span<const Preset> presets();
std::optional<Preset> find_preset(std::string_view name);

}  // namespace nexus::providers::openai_compatible

#include "providers/openai_compatible/presets.h"

#include <algorithm>
#include <array>

namespace nexus::providers::openai_compatible {
namespace {

// Sources: each provider's API reference (docs/providers.md has the list and the deviations
// from the OpenAI format that the stream and response decoders absorb).
constexpr std::array kPresets = {
    Preset{"cerebras", "https://api.cerebras.ai/v1", true},
    Preset{"deepseek", "https://api.deepseek.com", true, /*reasoning_content=*/true},
    Preset{"doubao", "https://ark.cn-beijing.volces.com/api/v3", true},
    Preset{"groq", "https://api.groq.com/openai/v1", true},
    Preset{"hunyuan", "https://api.hunyuan.cloud.tencent.com/v1", true},
    Preset{"mistral", "https://api.mistral.ai/v1", true},
    Preset{"moonshot", "https://api.moonshot.ai/v1", true},
    Preset{"moonshot_cn", "https://api.moonshot.cn/v1", true},
    Preset{"ollama", "http://127.0.0.1:11434/v1", false},
    Preset{"openrouter", "https://openrouter.ai/api/v1", true},
    Preset{"perplexity", "https://api.perplexity.ai", true},
    Preset{"qianfan", "https://qianfan.baidubce.com/v2", true},
    Preset{"qwen", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", true},
    Preset{"qwen_cn", "https://dashscope.aliyuncs.com/compatible-mode/v1", true},
    Preset{"together", "https://api.together.xyz/v1", true},
    Preset{"vllm", "", false},
    Preset{"xai", "https://api.x.ai/v1", true},
    Preset{"zai", "https://api.z.ai/api/paas/v4", true},
    Preset{"zhipu", "https://open.bigmodel.cn/api/paas/v4", true},
};

}  // namespace

std::span<const Preset> presets() { return kPresets; }

std::optional<Preset> find_preset(std::string_view name) {
  const auto* found = std::ranges::find(kPresets, name, &Preset::name);
  if (found == kPresets.end()) {
    return std::nullopt;
  }
  return *found;
}

}  // namespace nexus::providers::openai_compatible

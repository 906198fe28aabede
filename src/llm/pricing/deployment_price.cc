#include "llm/pricing/deployment_price.h"

namespace nexus::llm::pricing {

const ModelPrice* deployment_price(const config::Config& config,
                                   const config::Deployment& deployment) {
  if (deployment.price) {
    return deployment.price.get();
  }
  const auto provider = config.providers.find(deployment.provider);
  if (provider == config.providers.end()) {
    return nullptr;
  }
  if (provider->second.type == config::ProviderType::kEcho) {
    static const ModelPrice kFree;
    return &kFree;
  }
  return config.prices ? config.prices->find(provider->second.kind, deployment.model) : nullptr;
}

}  // namespace nexus::llm::pricing

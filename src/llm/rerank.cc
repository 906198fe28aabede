// Rerank's part of the codec choice (codecs.h): which providers serve it and what Nexus reads of
// a forwarded rerank exchange.
#include "providers/cohere/rerank.h"

#include "llm/codecs.h"

namespace nexus::llm {

bool serves_rerank(const config::Provider& provider) {
  return provider.type == config::ProviderType::kCohere;
}

Result<void> check_rerank_request(const boost::json::object& request) {
  return providers::cohere::check_rerank_request(request);
}

std::optional<Usage> decode_rerank_usage(std::string_view body) {
  return providers::cohere::decode_rerank_usage(body);
}

}  // namespace nexus::llm

// What a Bedrock model id says about its model: the vendor, which decides the shape of
// vendor-specific request fields (thinking, top_k) and of InvokeModel bodies (embeddings).
#pragma once

#include <array>
#include <string_view>

namespace nexus::providers::bedrock {

// The vendor prefix of a model id: "anthropic" for "anthropic.claude-3-5-sonnet-20240620-v1:0"
// and for the cross-region inference profile "us.anthropic.claude-sonnet-4-20250514-v1:0"
// (geography prefixes us, eu, apac, us-gov, global, jp, au, ca are skipped); for an ARN, the id
// after its last '/'. "" when the id has no '.' (an application inference profile's opaque id).
inline std::string_view model_vendor(std::string_view model_id) {
  static constexpr std::array<std::string_view, 8> kGeographies = {"us",     "eu", "apac", "us-gov",
                                                                   "global", "jp", "au",   "ca"};
  if (const size_t slash = model_id.rfind('/'); slash != std::string_view::npos) {
    model_id.remove_prefix(slash + 1);
  }
  size_t dot = model_id.find('.');
  if (dot == std::string_view::npos) {
    return {};
  }
  const std::string_view first = model_id.substr(0, dot);
  const size_t second = model_id.find('.', dot + 1);
  for (const std::string_view geography : kGeographies) {
    if (first == geography && second != std::string_view::npos) {
      return model_id.substr(dot + 1, second - dot - 1);
    }
  }
  return first;
}

// The model id without its vendor and geography prefixes ("titan-embed-text-v2:0").
inline std::string_view model_name(std::string_view model_id) {
  const std::string_view vendor = model_vendor(model_id);
  if (vendor.empty()) {
    return model_id;
  }
  if (const size_t slash = model_id.rfind('/'); slash != std::string_view::npos) {
    model_id.remove_prefix(slash + 1);  // an ARN: its id comes last
  }
  const size_t at = model_id.find(vendor);
  return model_id.substr(at + vendor.size() + 1);
}

}  // namespace nexus::providers::bedrock

// Shared by the OpenAI dialect tests: the recorded fixtures of every OpenAI-shaped provider as
// INDEX.json describes them, and JSON made comparable across number kinds.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "../providers/stream_test_support.h"

namespace nexus::llm::testing {

inline const std::vector<std::string> kOpenAiShapedProviders = {
    "openai", "azure", "groq",       "mistral",  "deepseek", "openrouter",
    "xai",    "qwen",  "perplexity", "cerebras", "ollama",   "zai"};

struct Recording {
  std::string provider;
  std::string file;          // "<provider>/<file>"
  std::string request_file;  // "<provider>/<request file>", or empty
  std::string endpoint;      // "POST https://...", or empty
  int status = 200;
};

inline std::vector<Recording> recordings() {
  std::vector<Recording> out;
  for (const std::string& provider : kOpenAiShapedProviders) {
    const boost::json::value index =
        boost::json::parse(providers::testing::fixture(provider + "/INDEX.json"));
    for (const boost::json::value& entry : index.as_array()) {
      const boost::json::object& e = entry.as_object();
      Recording r{.provider = provider, .file = provider + "/"};
      r.file += e.at("file").as_string();
      if (const auto* request = e.if_contains("request_file"); request && request->is_string()) {
        r.request_file = provider + "/";
        r.request_file += request->get_string();
      }
      if (const auto* endpoint = e.if_contains("endpoint"); endpoint && endpoint->is_string()) {
        r.endpoint = endpoint->get_string();
      }
      if (const auto* status = e.if_contains("status"); status && status->is_int64()) {
        r.status = static_cast<int>(status->get_int64());
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

inline bool is_chat_endpoint(const Recording& r) {
  return r.endpoint.find("/chat/completions") != std::string::npos;
}

inline boost::json::value json_fixture(const std::string& name) {
  return boost::json::parse(providers::testing::fixture(name));
}

// Numbers as doubles, so that 1 and 1.0 compare equal (the encoder writes integral doubles as
// integers).
inline boost::json::value comparable(const boost::json::value& value) {
  if (value.is_number()) {
    return value.to_number<double>();
  }
  if (value.is_array()) {
    boost::json::array out;
    for (const boost::json::value& item : value.get_array()) {
      out.push_back(comparable(item));
    }
    return out;
  }
  if (value.is_object()) {
    boost::json::object out;
    for (const auto& [key, item] : value.get_object()) {
      out[key] = comparable(item);
    }
    return out;
  }
  return value;
}

}  // namespace nexus::llm::testing

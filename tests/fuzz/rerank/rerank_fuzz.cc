// libFuzzer target: bytes as a rerank request and as Cohere's rerank answer. The request is
// parsed as the server parses it and checked (check_rerank_request); the answer's usage is read
// (decode_rerank_usage). Neither may crash; an accepted request has a non-empty query string
// and a non-empty documents array.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "llm/codecs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (const boost::json::object* request = ec ? nullptr : parsed.if_object()) {
    if (nexus::llm::check_rerank_request(*request)) {
      const boost::json::value* query = request->if_contains("query");
      const boost::json::value* documents = request->if_contains("documents");
      if (query == nullptr || !query->is_string() || query->get_string().empty() ||
          documents == nullptr || !documents->is_array() || documents->get_array().empty()) {
        std::abort();
      }
    }
  }
  const auto usage = nexus::llm::decode_rerank_usage(body);
  if (usage && (usage->cache_read > usage->input || usage->reasoning != 0)) {
    std::abort();
  }
  return 0;
}

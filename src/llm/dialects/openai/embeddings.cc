#include "llm/dialects/openai/embeddings.h"

#include <openssl/evp.h>

#include <array>
#include <bit>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/json_escape.h"
#include "llm/dialects/openai/request_fields.h"

namespace nexus::dialects::openai {
namespace {

using detail::bad_request;
using detail::index_path;
using detail::invalid_type;
using detail::invalid_value;
using detail::missing;

// Far above any model's vector; a bound keeps the cast exact.
constexpr int64_t kMaxDimensions = 1'000'000;

Result<void> decode_input(const boost::json::value& input, llm::EmbeddingsRequest& out) {
  if (input.is_string()) {
    out.inputs.emplace_back(input.get_string());
    return {};
  }
  const boost::json::array* items = input.if_array();
  if (items == nullptr || items->empty()) {
    return invalid_type("input", "a string or a non-empty array of strings");
  }
  for (size_t i = 0; i < items->size(); ++i) {
    const boost::json::value& item = (*items)[i];
    if (item.is_string()) {
      out.inputs.emplace_back(item.get_string());
    } else if (item.is_number() || item.is_array()) {
      return bad_request(index_path("input", i),
                         "Token-id inputs cannot be sent to this model's provider: send text.");
    } else {
      return invalid_type(index_path("input", i), "a string");
    }
  }
  return {};
}

Result<void> decode_purpose(const boost::json::value& value, llm::EmbeddingsRequest& out) {
  static constexpr std::array<std::pair<std::string_view, llm::EmbeddingPurpose>, 4> kPurposes = {
      {{"search_document", llm::EmbeddingPurpose::kSearchDocument},
       {"search_query", llm::EmbeddingPurpose::kSearchQuery},
       {"classification", llm::EmbeddingPurpose::kClassification},
       {"clustering", llm::EmbeddingPurpose::kClustering}}};
  if (const boost::json::string* word = value.if_string(); word != nullptr) {
    for (const auto& [name, purpose] : kPurposes) {
      if (*word == name) {
        out.purpose = purpose;
        return {};
      }
    }
  }
  return invalid_value("input_type",
                       "expected search_document, search_query, classification or clustering.");
}

Result<void> decode_field(std::string_view key, const boost::json::value& value,
                          llm::EmbeddingsRequest& out) {
  if (key == "model") {
    if (!value.is_string() || value.get_string().empty()) {
      return invalid_type("model", "a non-empty string");
    }
    out.model = value.get_string();
  } else if (key == "input") {
    return decode_input(value, out);
  } else if (key == "dimensions" && !value.is_null()) {
    // Boost.JSON keeps integers that fit in int64_t as int64: a uint64 is out of range.
    if (!value.is_int64() && !value.is_uint64()) {
      return invalid_type("dimensions", "an integer");
    }
    const int64_t dimensions = value.is_int64() ? value.get_int64() : -1;
    if (dimensions < 1 || dimensions > kMaxDimensions) {
      return invalid_value("dimensions", "expected a positive integer.");
    }
    out.dimensions = static_cast<uint32_t>(dimensions);
  } else if (key == "encoding_format" && !value.is_null()) {
    if (value != "float" && value != "base64") {
      return invalid_value("encoding_format", "expected float or base64.");
    }
    out.base64 = value == "base64";
  } else if (key == "user" && !value.is_null()) {
    if (!value.is_string()) {
      return invalid_type("user", "a string");
    }
    out.user = value.get_string();
  } else if (key == "input_type" && !value.is_null()) {
    return decode_purpose(value, out);
  }
  return {};
}

void append_floats(const std::vector<float>& vector, std::string& out) {
  out += '[';
  std::array<char, 32> digits{};
  for (size_t i = 0; i < vector.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    const float value = std::isfinite(vector[i]) ? vector[i] : 0.0F;
    const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), written.ptr);
  }
  out += ']';
}

// OpenAI's base64 form: the vector's float32 values, little-endian, base64-encoded.
void append_base64(const std::vector<float>& vector, std::string& out) {
  std::string bytes(vector.size() * sizeof(float), '\0');
  for (size_t i = 0; i < vector.size(); ++i) {
    auto bits = std::bit_cast<uint32_t>(vector[i]);
    if constexpr (std::endian::native == std::endian::big) {
      bits = __builtin_bswap32(bits);
    }
    std::memcpy(bytes.data() + i * sizeof(float), &bits, sizeof(bits));
  }
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out += '"';
  out.append(encoded.data(), static_cast<size_t>(written));
  out += '"';
}

}  // namespace

Result<llm::EmbeddingsRequest> decode_embeddings_request(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return bad_request("", "The request body is not a JSON object.");
  }
  llm::EmbeddingsRequest request;
  bool has_input = false;
  for (const auto& [key, value] : parsed.get_object()) {
    has_input = has_input || key == "input";
    if (auto decoded = decode_field(key, value, request); !decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
  }
  if (request.model.empty()) {
    return missing("model");
  }
  if (!has_input) {
    return missing("input");
  }
  return request;
}

void encode_embeddings_response(const llm::EmbeddingsResponse& response, bool base64,
                                std::string& out) {
  out += R"({"object":"list","data":[)";
  for (size_t i = 0; i < response.vectors.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += R"({"object":"embedding","index":)";
    out += std::to_string(i);
    out += R"(,"embedding":)";
    if (base64) {
      append_base64(response.vectors[i], out);
    } else {
      append_floats(response.vectors[i], out);
    }
    out += '}';
  }
  out += R"(],"model":")";
  append_json_escaped(out, response.model);
  out += R"(","usage":{"prompt_tokens":)";
  out += std::to_string(response.usage.input);
  out += R"(,"total_tokens":)";
  out += std::to_string(response.usage.input);
  out += "}}";
}

}  // namespace nexus::dialects::openai

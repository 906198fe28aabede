#include "llm/dialects/openai/chat_json.h"

#include <string>

#include "core/json_escape.h"

namespace nexus::dialects::openai::detail {
namespace {

constexpr std::string_view kIdPrefix = "chatcmpl-";

void append_number(std::string_view key, uint64_t value, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
  out += std::to_string(value);
}

void append_string_or_null(std::string_view value, std::string& out) {
  if (value.empty()) {
    out += "null";
    return;
  }
  out += '"';
  append_json_escaped(out, value);
  out += '"';
}

}  // namespace

void append_chat_id(std::string_view id, std::string& out) {
  out += '"';
  if (!id.starts_with(kIdPrefix)) {
    out += kIdPrefix;
  }
  append_json_escaped(out, id);
  out += '"';
}

void append_usage(const llm::Usage& usage, std::string& out) {
  out += '{';
  append_number("prompt_tokens", usage.input, out);
  out += ',';
  append_number("completion_tokens", usage.output, out);
  out += ',';
  append_number("total_tokens", usage.total(), out);
  // cache_write_tokens is in OpenAI's own usage type: Anthropic's cache writes survive in it.
  out += R"(,"prompt_tokens_details":{)";
  append_number("cached_tokens", usage.cache_read, out);
  out += ',';
  append_number("cache_write_tokens", usage.cache_write, out);
  out += R"(},"completion_tokens_details":{)";
  append_number("reasoning_tokens", usage.reasoning, out);
  out += "}}";
}

std::string_view finish_word(llm::FinishReason finish) {
  switch (finish) {
    case llm::FinishReason::kLength:
      return "length";
    case llm::FinishReason::kToolCalls:
      return "tool_calls";
    case llm::FinishReason::kContentFilter:
      return "content_filter";
    case llm::FinishReason::kStop:
    case llm::FinishReason::kOther:
      break;
  }
  return "stop";
}

void append_error(const llm::ApiError& error, std::string& out) {
  out += R"({"error":{"message":")";
  append_json_escaped(out, error.message);
  out += R"(","type":")";
  append_json_escaped(out, error.type.empty() ? std::string_view("api_error") : error.type);
  out += R"(","param":)";
  append_string_or_null(error.param, out);
  out += R"(,"code":)";
  append_string_or_null(error.code, out);
  out += "}}";
}

}  // namespace nexus::dialects::openai::detail

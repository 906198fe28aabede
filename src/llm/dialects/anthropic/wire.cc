#include "llm/dialects/anthropic/wire.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "core/json_escape.h"

namespace nexus::dialects::anthropic::detail {
namespace {

void append_count(std::string& out, uint64_t count) {
  std::array<char, 24> digits{};
  const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), count);
  out.append(digits.data(), written.ptr);
}

// Error types an Anthropic client knows.
constexpr std::array<std::string_view, 11> kErrorTypes = {
    "invalid_request_error", "authentication_error", "billing_error",    "permission_error",
    "not_found_error",       "request_too_large",    "rate_limit_error", "api_error",
    "timeout_error",         "overloaded_error",     "conflict_error"};

// The status decides where it has a type of its own: an error from an OpenAI-shaped provider
// says invalid_request_error for a bad key, which Anthropic's SDKs would not read as an
// authentication error.
std::string_view error_type(const llm::ApiError& error) {
  switch (error.status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      break;
  }
  if (std::ranges::find(kErrorTypes, error.type) != kErrorTypes.end()) {
    return error.type;
  }
  return error.status >= 400 && error.status < 500 ? "invalid_request_error" : "api_error";
}

}  // namespace

std::string_view stop_reason(llm::FinishReason finish, std::string_view word) {
  switch (finish) {
    case llm::FinishReason::kStop:
      return word == "stop_sequence" ? "stop_sequence" : "end_turn";
    case llm::FinishReason::kLength:
      return word == "model_context_window_exceeded" ? word : "max_tokens";
    case llm::FinishReason::kToolCalls:
      return "tool_use";
    case llm::FinishReason::kContentFilter:
      return "refusal";
    case llm::FinishReason::kOther:
      break;
  }
  return "end_turn";
}

void append_message_id(std::string& out, std::string_view id) {
  if (!id.starts_with("msg_")) {
    out += "msg_";
  }
  append_json_escaped(out, id);
}

void append_usage(std::string& out, const llm::Usage& usage) {
  const uint64_t cached = usage.cache_read + usage.cache_write;
  out += R"({"input_tokens":)";
  append_count(out, usage.input > cached ? usage.input - cached : 0);
  out += R"(,"cache_creation_input_tokens":)";
  append_count(out, usage.cache_write);
  out += R"(,"cache_read_input_tokens":)";
  append_count(out, usage.cache_read);
  out += R"(,"output_tokens":)";
  append_count(out, usage.output);
  if (usage.reasoning > 0) {
    out += R"(,"output_tokens_details":{"thinking_tokens":)";
    append_count(out, usage.reasoning);
    out += '}';
  }
  out += '}';
}

void append_error(std::string& out, const llm::ApiError& error) {
  out += R"({"type":"error","error":{"type":")";
  append_json_escaped(out, error_type(error));
  out += R"(","message":")";
  // Anthropic names the parameter at fault at the start of its messages.
  if (!error.param.empty() && !error.message.starts_with(error.param)) {
    append_json_escaped(out, error.param);
    out += ": ";
  }
  append_json_escaped(out, error.message);
  out += R"("}})";
}

}  // namespace nexus::dialects::anthropic::detail

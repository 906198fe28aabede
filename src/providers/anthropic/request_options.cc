#include "providers/anthropic/request_options.h"

#include <boost/json.hpp>
#include <string>

#include "llm/ir/reasoning_effort.h"

namespace nexus::providers::anthropic {
namespace {

std::unexpected<Error> unsupported(std::string param) {
  std::string message = param;
  message += ": not supported by Anthropic";
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

// The first parameter set that Anthropic has no equivalent for, or "".
std::string_view untranslatable(const llm::Request& request) {
  using Kind = llm::ResponseFormat::Kind;
  if (request.n && *request.n > 1) {
    return "n";
  }
  if (request.logprobs.value_or(false)) {
    return "logprobs";
  }
  if (request.top_logprobs) {
    return "top_logprobs";
  }
  if (request.seed) {
    return "seed";
  }
  if (request.presence_penalty) {
    return "presence_penalty";
  }
  if (request.frequency_penalty) {
    return "frequency_penalty";
  }
  if (request.response_format.kind == Kind::kJsonObject ||
      request.response_format.kind == Kind::kJsonSchema) {
    return "response_format";
  }
  return {};
}

// thinking and max_tokens, which Anthropic requires and wants above the budget.
Result<void> write_thinking(const llm::Request& request, const EncodeOptions& options,
                            boost::json::object& body) {
  uint64_t max_tokens = request.max_tokens.value_or(options.default_max_tokens);
  std::optional<uint64_t> budget = request.thinking_budget;
  if (!budget && !request.reasoning_effort.empty()) {
    budget = llm::effort_budget(request.reasoning_effort);
    if (!budget && !options.drop_unsupported_params) {
      return unsupported("reasoning_effort");
    }
  }
  const uint64_t thinking = budget.value_or(0);
  // OpenAI's max_completion_tokens counts reasoning too; Anthropic's max_tokens must exceed the
  // budget, so the answer keeps the room the client gave it.
  if (thinking > 0 && !request.thinking_budget && max_tokens <= thinking) {
    max_tokens += thinking;
  }
  body["max_tokens"] = max_tokens;
  if (thinking > 0) {
    body["thinking"] = {{"type", "enabled"}, {"budget_tokens", thinking}};
  }
  return {};
}

}  // namespace

Result<void> write_options(const llm::Request& request, const EncodeOptions& options,
                           boost::json::object& body) {
  if (const std::string_view param = untranslatable(request);
      !param.empty() && !options.drop_unsupported_params) {
    return unsupported(std::string(param));
  }
  if (auto thinking = write_thinking(request, options, body); !thinking) {
    return thinking;
  }
  if (request.temperature) {
    body["temperature"] = *request.temperature;
  }
  if (request.top_p) {
    body["top_p"] = *request.top_p;
  }
  if (request.top_k) {
    body["top_k"] = *request.top_k;
  }
  if (!request.stop.empty()) {
    boost::json::array stop;
    for (const std::string& sequence : request.stop) {
      stop.emplace_back(sequence);
    }
    body["stop_sequences"] = std::move(stop);
  }
  if (request.stream) {
    body["stream"] = true;
  }
  if (!request.user.empty()) {
    body["metadata"] = {{"user_id", request.user}};
  }
  return {};
}

}  // namespace nexus::providers::anthropic

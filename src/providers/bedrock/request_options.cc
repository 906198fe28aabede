#include "providers/bedrock/request_options.h"

#include <boost/json.hpp>
#include <optional>

#include "llm/ir/reasoning_effort.h"
#include "providers/bedrock/model_id.h"

namespace nexus::providers::bedrock {
namespace {

// The first parameter set that Converse has no equivalent for, or "".
std::string_view untranslatable(const llm::Request& request) {
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
  if (request.parallel_tool_calls.has_value() && !*request.parallel_tool_calls) {
    return "parallel_tool_calls";
  }
  if (request.response_format.kind == llm::ResponseFormat::Kind::kJsonObject) {
    return "response_format";
  }
  return {};
}

// Reasoning for Anthropic models: thinking, and maxTokens above its budget.
Result<void> write_thinking(const llm::Request& request, const EncodeOptions& options,
                            boost::json::object& fields, std::optional<uint64_t>& max_tokens) {
  std::optional<uint64_t> budget = request.thinking_budget;
  if (!budget && !request.reasoning_effort.empty()) {
    budget = llm::effort_budget(request.reasoning_effort);
    if (!budget && !options.drop_unsupported_params) {
      return unsupported("reasoning_effort", "an effort Nexus does not know");
    }
  }
  const uint64_t thinking = budget.value_or(0);
  if (thinking == 0) {
    return {};
  }
  // OpenAI's max_completion_tokens counts reasoning too; Anthropic's max_tokens must exceed the
  // budget, so the answer keeps the room the client gave it.
  if (max_tokens && !request.thinking_budget && *max_tokens <= thinking) {
    *max_tokens += thinking;
  }
  fields["thinking"] = {{"type", "enabled"}, {"budget_tokens", thinking}};
  return {};
}

// additionalModelRequestFields: what each vendor's models take beyond inferenceConfig.
Result<void> write_model_fields(const llm::Request& request, const EncodeOptions& options,
                                boost::json::object& body, std::optional<uint64_t>& max_tokens) {
  const std::string_view vendor =
      model_vendor(options.model.empty() ? std::string_view(request.model) : options.model);
  const bool reasoning = request.thinking_budget || !request.reasoning_effort.empty();
  boost::json::object fields;
  if (vendor == "anthropic") {
    if (request.top_k) {
      fields["top_k"] = *request.top_k;
    }
    if (auto thinking = write_thinking(request, options, fields, max_tokens); !thinking) {
      return thinking;
    }
  } else if (vendor == "openai" && reasoning) {
    // gpt-oss takes low, medium and high only.
    const std::string_view effort = !request.reasoning_effort.empty()
                                        ? std::string_view(request.reasoning_effort)
                                        : llm::budget_effort(request.thinking_budget.value_or(0));
    if (effort != "low" && effort != "medium" && effort != "high") {
      if (!options.drop_unsupported_params) {
        return unsupported("reasoning_effort", "this Bedrock model takes low, medium or high");
      }
    } else {
      fields["reasoning_effort"] = effort;
    }
  } else if (!options.drop_unsupported_params) {
    if (request.top_k) {
      return unsupported("top_k", "not supported by this Bedrock model's vendor");
    }
    if (reasoning) {
      return unsupported(request.thinking_budget ? "thinking" : "reasoning_effort",
                         "not supported by this Bedrock model's vendor");
    }
  }
  if (!fields.empty()) {
    body["additionalModelRequestFields"] = std::move(fields);
  }
  return {};
}

void write_output_config(const llm::Request& request, boost::json::object& body) {
  const llm::ResponseFormat& format = request.response_format;
  if (format.kind != llm::ResponseFormat::Kind::kJsonSchema) {
    return;
  }
  boost::json::object schema{{"schema", boost::json::serialize(format.schema)}};
  if (!format.name.empty()) {
    schema["name"] = format.name;
  }
  body["outputConfig"] = {
      {"textFormat",
       {{"type", "json_schema"}, {"structure", {{"jsonSchema", std::move(schema)}}}}}};
}

}  // namespace

std::unexpected<Error> unsupported(std::string param, std::string_view what) {
  std::string message = param;
  message += ": ";
  message += what;
  return std::unexpected<Error>(std::in_place, ErrorCode::kBadRequest, std::move(message),
                                std::move(param));
}

Result<void> write_options(const llm::Request& request, const EncodeOptions& options,
                           boost::json::object& body) {
  if (const std::string_view param = untranslatable(request);
      !param.empty() && !options.drop_unsupported_params) {
    return unsupported(std::string(param), "not supported by Bedrock's Converse API");
  }
  std::optional<uint64_t> max_tokens = request.max_tokens;
  if (auto fields = write_model_fields(request, options, body, max_tokens); !fields) {
    return fields;
  }
  boost::json::object config;
  if (max_tokens) {
    config["maxTokens"] = *max_tokens;
  }
  if (request.temperature) {
    config["temperature"] = *request.temperature;
  }
  if (request.top_p) {
    config["topP"] = *request.top_p;
  }
  if (!request.stop.empty()) {
    boost::json::array stop;
    for (const std::string& sequence : request.stop) {
      stop.emplace_back(sequence);
    }
    config["stopSequences"] = std::move(stop);
  }
  if (!config.empty()) {
    body["inferenceConfig"] = std::move(config);
  }
  write_output_config(request, body);
  return {};
}

}  // namespace nexus::providers::bedrock

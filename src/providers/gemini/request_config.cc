#include "providers/gemini/request_config.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <optional>
#include <utility>

namespace nexus::providers::gemini::detail {
namespace {

// reasoning_effort words as thinking budgets in tokens: the Anthropic encoder's for low to
// high, so that one effort costs alike on both; "minimal" is the least Gemini 2.5 Pro takes.
constexpr std::array<std::pair<std::string_view, uint64_t>, 5> kEffortBudgets = {{
    {"none", 0},
    {"minimal", 128},
    {"low", 1024},
    {"medium", 2048},
    {"high", 4096},
}};

// Integral numbers as integers ("temperature":1, not 1E0).
boost::json::value number(double value) {
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (std::trunc(value) == value && std::fabs(value) < kExact) {
    return static_cast<int64_t>(value);
  }
  return value;
}

// A client's JSON schema as Gemini's JSON-Schema fields take it: a root "$schema" (zod and
// pydantic write one) is refused there.
boost::json::value schema_of(const boost::json::value& schema) {
  boost::json::value copy = schema;
  if (boost::json::object* object = copy.if_object(); object != nullptr) {
    object->erase("$schema");
  }
  return copy;
}

void tool_config(const llm::ToolChoice& choice, boost::json::object& body) {
  using Mode = llm::ToolChoice::Mode;
  boost::json::object config;
  switch (choice.mode) {
    case Mode::kUnset:
      return;
    case Mode::kAuto:
      config["mode"] = "AUTO";
      break;
    case Mode::kNone:
      config["mode"] = "NONE";
      break;
    case Mode::kRequired:
      config["mode"] = "ANY";
      break;
    case Mode::kTool:
      config["mode"] = "ANY";
      config["allowedFunctionNames"] = boost::json::array{boost::json::string(choice.name)};
      break;
  }
  body["toolConfig"] = {{"functionCallingConfig", std::move(config)}};
}

Result<void> thinking_config(const llm::Request& request, boost::json::object& config) {
  std::optional<uint64_t> budget = request.thinking_budget;
  if (!budget && !request.reasoning_effort.empty()) {
    const auto found = std::ranges::find(kEffortBudgets, request.reasoning_effort,
                                         &std::pair<std::string_view, uint64_t>::first);
    if (found == kEffortBudgets.end()) {
      return refused("reasoning_effort",
                     "reasoning_effort must be none, minimal, low, medium or high.");
    }
    budget = found->second;
  }
  if (budget) {
    boost::json::object thinking{{"thinkingBudget", *budget}};
    if (*budget != 0) {
      thinking["includeThoughts"] = true;
    }
    config["thinkingConfig"] = std::move(thinking);
  }
  return {};
}

void response_format(const llm::ResponseFormat& format, boost::json::object& config) {
  using Kind = llm::ResponseFormat::Kind;
  if (format.kind == Kind::kJsonObject || format.kind == Kind::kJsonSchema) {
    config["responseMimeType"] = "application/json";
  }
  if (format.kind == Kind::kJsonSchema && !format.schema.is_null()) {
    config["responseJsonSchema"] = schema_of(format.schema);
  }
}

}  // namespace

Result<void> encode_tools(const llm::Request& request, const EncodeOptions& options,
                          boost::json::object& body) {
  if (request.parallel_tool_calls == false && !options.drop_unsupported_params) {
    return refused("parallel_tool_calls", "Gemini cannot be told to call one function at a time.");
  }
  if (!request.tools.empty()) {
    boost::json::array declarations;
    for (const llm::Tool& tool : request.tools) {
      boost::json::object declaration{{"name", tool.name}};
      if (!tool.description.empty()) {
        declaration["description"] = tool.description;
      }
      if (!tool.parameters.is_null()) {
        declaration["parametersJsonSchema"] = schema_of(tool.parameters);
      }
      declarations.push_back(std::move(declaration));
    }
    body["tools"] =
        boost::json::array{boost::json::object{{"functionDeclarations", std::move(declarations)}}};
  }
  tool_config(request.tool_choice, body);
  return {};
}

Result<void> encode_generation_config(const llm::Request& request, boost::json::object& body) {
  const llm::Request& r = request;
  boost::json::object config;
  for (const auto& [key, value] : {std::pair{"temperature", r.temperature},
                                   {"topP", r.top_p},
                                   {"presencePenalty", r.presence_penalty},
                                   {"frequencyPenalty", r.frequency_penalty}}) {
    if (value) {
      config[key] = number(*value);
    }
  }
  if (r.top_k) {
    config["topK"] = *r.top_k;
  }
  if (r.max_tokens) {
    config["maxOutputTokens"] = *r.max_tokens;
  }
  if (!r.stop.empty()) {
    boost::json::array stop;
    for (const std::string& word : r.stop) {
      stop.emplace_back(word);
    }
    config["stopSequences"] = std::move(stop);
  }
  if (r.n) {
    config["candidateCount"] = *r.n;
  }
  if (r.seed) {
    config["seed"] = *r.seed;
  }
  if (r.logprobs) {
    config["responseLogprobs"] = *r.logprobs;
  }
  if (r.top_logprobs) {
    config["logprobs"] = *r.top_logprobs;
  }
  response_format(r.response_format, config);
  if (auto thinking = thinking_config(r, config); !thinking) {
    return thinking;
  }
  if (!config.empty()) {
    body["generationConfig"] = std::move(config);
  }
  return {};
}

}  // namespace nexus::providers::gemini::detail

namespace nexus::providers::gemini {

void append_model_segment(std::string_view model, std::string& path) {
  if (model.starts_with("models/")) {
    model.remove_prefix(7);
  }
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (const char c : model) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      path += c;
    } else {
      path += '%';
      path += kHex[byte >> 4];
      path += kHex[byte & 0xF];
    }
  }
}

void append_method_path(std::string_view model, bool stream, std::string& path) {
  path += "/models/";
  append_model_segment(model, path);
  path += stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
}

}  // namespace nexus::providers::gemini

#include "llm/dialects/openai/chat_request.h"

#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "llm/dialects/openai/chat_messages.h"
#include "llm/dialects/openai/request_fields.h"

namespace nexus::dialects::openai {
namespace {

using detail::bad_request;
using detail::index_path;
using detail::invalid_type;
using detail::invalid_value;
using detail::key_path;
using detail::missing;
using detail::present;

// The request being decoded, and what is only known once every field was read.
struct Decoding {
  llm::Request request;
  std::optional<uint64_t> max_tokens;
  std::optional<uint64_t> max_completion_tokens;
  bool has_messages = false;
};

using Handler = Result<void> (*)(std::string_view key, const boost::json::value& value,
                                 Decoding& decoding);

// Whether `value` is a non-negative integer (JSON numbers like 5.0 are not).
std::optional<uint64_t> unsigned_of(const boost::json::value& value) {
  if (value.is_uint64()) {
    return value.get_uint64();
  }
  if (value.is_int64() && value.get_int64() >= 0) {
    return static_cast<uint64_t>(value.get_int64());
  }
  return std::nullopt;
}

template <auto kMember>
Result<void> set_double(std::string_view key, const boost::json::value& value, Decoding& d) {
  if (!value.is_number()) {
    return invalid_type(std::string(key), "a number");
  }
  boost::system::error_code ec;
  d.request.*kMember = value.to_number<double>(ec);
  return {};
}

template <auto kMember>
Result<void> set_bool(std::string_view key, const boost::json::value& value, Decoding& d) {
  if (!value.is_bool()) {
    return invalid_type(std::string(key), "a boolean");
  }
  d.request.*kMember = value.get_bool();
  return {};
}

template <auto kMember>
Result<void> set_string(std::string_view key, const boost::json::value& value, Decoding& d) {
  if (!value.is_string()) {
    return invalid_type(std::string(key), "a string");
  }
  d.request.*kMember = value.get_string();
  return {};
}

// An unsigned integer field of at most `kMax`, into a member of Request (or of Decoding).
template <auto kMember, uint64_t kMax = std::numeric_limits<uint32_t>::max(), uint64_t kMin = 0>
Result<void> set_count(std::string_view key, const boost::json::value& value, Decoding& d) {
  const std::optional<uint64_t> count = unsigned_of(value);
  if (!count || *count > kMax || *count < kMin) {
    return invalid_type(std::string(key), "a non-negative integer in range");
  }
  if constexpr (requires { d.request.*kMember; }) {
    using Count = typename std::remove_cvref_t<decltype(d.request.*kMember)>::value_type;
    d.request.*kMember = static_cast<Count>(*count);
  } else {
    d.*kMember = count;
  }
  return {};
}

Result<void> set_model(std::string_view key, const boost::json::value& value, Decoding& d) {
  if (!value.is_string() || value.get_string().empty()) {
    return invalid_type(std::string(key), "a non-empty string");
  }
  d.request.model = value.get_string();
  return {};
}

Result<void> set_messages(std::string_view key, const boost::json::value& value, Decoding& d) {
  const boost::json::array* messages = value.if_array();
  if (messages == nullptr || messages->empty()) {
    return invalid_type(std::string(key), "a non-empty array");
  }
  d.has_messages = true;
  return detail::decode_messages(*messages, d.request);
}

Result<void> set_seed(std::string_view key, const boost::json::value& value, Decoding& d) {
  if (value.is_int64()) {
    d.request.seed = value.get_int64();
  } else if (value.is_uint64() && value.get_uint64() <= std::numeric_limits<int64_t>::max()) {
    d.request.seed = static_cast<int64_t>(value.get_uint64());
  } else {
    return invalid_type(std::string(key), "an integer");
  }
  return {};
}

Result<void> set_stop(std::string_view key, const boost::json::value& value, Decoding& d) {
  if (value.is_string()) {
    d.request.stop.emplace_back(value.get_string());
    return {};
  }
  const boost::json::array* stops = value.if_array();
  if (stops == nullptr) {
    return invalid_type(std::string(key), "a string or an array of strings");
  }
  for (size_t i = 0; i < stops->size(); ++i) {
    if (!(*stops)[i].is_string()) {
      return invalid_type(index_path(key, i), "a string");
    }
    d.request.stop.emplace_back((*stops)[i].get_string());
  }
  return {};
}

Result<void> set_stream_options(std::string_view key, const boost::json::value& value,
                                Decoding& d) {
  const boost::json::object* options = value.if_object();
  if (options == nullptr) {
    return invalid_type(std::string(key), "an object");
  }
  // include_obfuscation only pads OpenAI's own chunks: nothing to carry.
  if (const boost::json::value* usage = present(*options, "include_usage"); usage != nullptr) {
    if (!usage->is_bool()) {
      return invalid_type(key_path(key, "include_usage"), "a boolean");
    }
    d.request.include_usage = usage->get_bool();
  }
  return {};
}

Result<void> set_tools(std::string_view key, const boost::json::value& value, Decoding& d) {
  const boost::json::array* tools = value.if_array();
  if (tools == nullptr) {
    return invalid_type(std::string(key), "an array");
  }
  for (size_t i = 0; i < tools->size(); ++i) {
    const std::string path = index_path(key, i);
    const boost::json::object* tool = (*tools)[i].if_object();
    if (tool == nullptr) {
      return invalid_type(path, "an object");
    }
    // Mistral's SDK leaves `type` out; any other type (custom, web_search, ...) is refused.
    if (const boost::json::value* type = present(*tool, "type");
        type != nullptr && !(type->is_string() && type->get_string() == "function")) {
      return invalid_value(key_path(path, "type"), "Nexus translates function tools only.");
    }
    const std::string function_path = key_path(path, "function");
    const boost::json::value* function_value = present(*tool, "function");
    if (function_value == nullptr || !function_value->is_object()) {
      return function_value == nullptr ? missing(function_path)
                                       : invalid_type(function_path, "an object");
    }
    const boost::json::object& function = function_value->get_object();
    const boost::json::value* name = present(function, "name");
    if (name == nullptr || !name->is_string() || name->get_string().empty()) {
      return invalid_type(key_path(function_path, "name"), "a non-empty string");
    }
    llm::Tool out{.name = std::string(name->get_string())};
    if (const boost::json::value* description = present(function, "description")) {
      if (!description->is_string()) {
        return invalid_type(key_path(function_path, "description"), "a string");
      }
      out.description = description->get_string();
    }
    if (const boost::json::value* parameters = present(function, "parameters")) {
      if (!parameters->is_object()) {
        return invalid_type(key_path(function_path, "parameters"), "an object");
      }
      out.parameters = *parameters;
    }
    if (const boost::json::value* strict = present(function, "strict")) {
      if (!strict->is_bool()) {
        return invalid_type(key_path(function_path, "strict"), "a boolean");
      }
      out.strict = strict->get_bool();
    }
    d.request.tools.push_back(std::move(out));
  }
  return {};
}

Result<void> set_tool_choice(std::string_view key, const boost::json::value& value, Decoding& d) {
  using Mode = llm::ToolChoice::Mode;
  llm::ToolChoice& choice = d.request.tool_choice;
  if (value.is_string()) {
    const std::string_view word = value.get_string();
    if (word == "auto") {
      choice.mode = Mode::kAuto;
    } else if (word == "none") {
      choice.mode = Mode::kNone;
    } else if (word == "required" || word == "any") {  // "any": Mistral's word for required
      choice.mode = Mode::kRequired;
    } else {
      return invalid_value(std::string(key), "expected none, auto or required.");
    }
    return {};
  }
  const boost::json::object* object = value.if_object();
  if (object == nullptr) {
    return invalid_type(std::string(key), "a string or an object");
  }
  const boost::json::value* type = present(*object, "type");
  if (type != nullptr && !(type->is_string() && type->get_string() == "function")) {
    return invalid_value(key_path(key, "type"), "Nexus translates function tool choices only.");
  }
  const boost::json::value* function = present(*object, "function");
  const boost::json::value* name = function != nullptr && function->is_object()
                                       ? present(function->get_object(), "name")
                                       : nullptr;
  if (name == nullptr || !name->is_string() || name->get_string().empty()) {
    return invalid_type(key_path(key, "function.name"), "a non-empty string");
  }
  choice.mode = Mode::kTool;
  choice.name = name->get_string();
  return {};
}

Result<void> set_response_format(std::string_view key, const boost::json::value& value,
                                 Decoding& d) {
  using Kind = llm::ResponseFormat::Kind;
  llm::ResponseFormat& format = d.request.response_format;
  const boost::json::object* object = value.if_object();
  const boost::json::value* type = object != nullptr ? present(*object, "type") : nullptr;
  const std::string_view word =
      type != nullptr && type->is_string() ? std::string_view(type->get_string()) : "";
  if (word == "text") {
    format.kind = Kind::kText;
  } else if (word == "json_object") {
    format.kind = Kind::kJsonObject;
  } else if (word != "json_schema") {
    return invalid_value(key_path(key, "type"), "expected text, json_object or json_schema.");
  } else {
    const std::string path = key_path(key, "json_schema");
    const boost::json::value* schema_value = present(*object, "json_schema");
    const boost::json::object* schema =
        schema_value != nullptr ? schema_value->if_object() : nullptr;
    if (schema == nullptr) {
      return invalid_type(path, "an object");
    }
    const boost::json::value* name = present(*schema, "name");
    const boost::json::value* body = present(*schema, "schema");
    const boost::json::value* strict = present(*schema, "strict");
    if (name == nullptr || !name->is_string()) {
      return invalid_type(key_path(path, "name"), "a string");
    }
    if ((body != nullptr && !body->is_object()) || (strict != nullptr && !strict->is_bool())) {
      return body != nullptr && !body->is_object()
                 ? invalid_type(key_path(path, "schema"), "an object")
                 : invalid_type(key_path(path, "strict"), "a boolean");
    }
    format = {.kind = Kind::kJsonSchema,
              .name = std::string(name->get_string()),
              .schema = body != nullptr ? *body : boost::json::value(),
              .strict = strict != nullptr ? std::optional<bool>(strict->get_bool()) : std::nullopt};
  }
  return {};
}

Result<void> ignore(std::string_view /*key*/, const boost::json::value& /*value*/,
                    Decoding& /*d*/) {
  return {};
}

struct Field {
  std::string_view name;
  Handler handle;
};

// Every top-level field Nexus reads. `ignore`d ones change nothing the model is asked (storage,
// billing tier, tags, prompt-cache hints and an abuse-tracking id): they are dropped rather
// than refused.
const std::array kFields = {
    Field{"model", set_model},
    Field{"messages", set_messages},
    Field{"tools", set_tools},
    Field{"tool_choice", set_tool_choice},
    Field{"parallel_tool_calls", set_bool<&llm::Request::parallel_tool_calls>},
    Field{"response_format", set_response_format},
    Field{"stream", set_bool<&llm::Request::stream>},
    Field{"stream_options", set_stream_options},
    Field{"max_tokens", set_count<&Decoding::max_tokens, std::numeric_limits<uint64_t>::max()>},
    Field{"max_completion_tokens",
          set_count<&Decoding::max_completion_tokens, std::numeric_limits<uint64_t>::max()>},
    Field{"temperature", set_double<&llm::Request::temperature>},
    Field{"top_p", set_double<&llm::Request::top_p>},
    Field{"presence_penalty", set_double<&llm::Request::presence_penalty>},
    Field{"frequency_penalty", set_double<&llm::Request::frequency_penalty>},
    Field{"stop", set_stop},
    Field{"n", set_count<&llm::Request::n, 128, 1>},
    Field{"seed", set_seed},
    Field{"random_seed", set_seed},  // Mistral's name for seed
    Field{"logprobs", set_bool<&llm::Request::logprobs>},
    Field{"top_logprobs", set_count<&llm::Request::top_logprobs, 20>},
    Field{"user", set_string<&llm::Request::user>},
    Field{"reasoning_effort", set_string<&llm::Request::reasoning_effort>},
    Field{"store", ignore},
    Field{"metadata", ignore},
    Field{"service_tier", ignore},
    Field{"prompt_cache_key", ignore},
    Field{"prompt_cache_retention", ignore},
    Field{"prompt_cache_options", ignore},
    Field{"safety_identifier", ignore},
};

Result<void> decode_field(std::string_view key, const boost::json::value& value, Decoding& d) {
  const auto* field = std::ranges::find(kFields, key, &Field::name);
  if (field == kFields.end()) {
    if (value.is_null()) {
      return {};  // a client that writes every field, unset ones as null
    }
    std::string message = "Unrecognized request argument supplied: ";
    message += key;
    message += " (Nexus does not translate it).";
    return bad_request(std::string(key), std::move(message));
  }
  return value.is_null() ? Result<void>() : field->handle(key, value, d);
}

}  // namespace

Result<llm::Request> decode_chat_request(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return bad_request("", "The request body is not a JSON object.");
  }
  Decoding d;
  for (const auto& [key, value] : parsed.get_object()) {
    if (auto decoded = decode_field(key, value, d); !decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
  }
  if (d.request.model.empty()) {
    return missing("model");
  }
  if (!d.has_messages) {
    return missing("messages");
  }
  // Both given: the newer name wins, as OpenAI reads them.
  d.request.max_tokens = d.max_completion_tokens ? d.max_completion_tokens : d.max_tokens;
  return std::move(d.request);
}

}  // namespace nexus::dialects::openai

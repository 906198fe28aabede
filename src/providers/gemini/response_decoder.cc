#include "providers/gemini/response_decoder.h"

#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include "llm/json_fields.h"
#include "providers/gemini/finish_reason.h"
#include "providers/gemini/tool_call_id.h"
#include "providers/gemini/usage.h"

namespace nexus::providers::gemini {
namespace {

using llm::array_field;
using llm::object_field;
using llm::string_field;
using llm::upstream_protocol_error;

// One content part into the choice; false when it is malformed.
bool add_part(const boost::json::object& part, std::string_view response_id, llm::Choice& choice) {
  if (const boost::json::value* call = part.if_contains("functionCall"); call != nullptr) {
    const boost::json::object* function = call->if_object();
    if (function == nullptr) {
      return false;
    }
    const boost::json::value* args = function->if_contains("args");
    if (args != nullptr && !args->is_object() && !args->is_null()) {
      return false;
    }
    llm::ToolCall& tool = choice.tool_calls.emplace_back();
    append_tool_call_id(string_field(*function, "id"), response_id, choice.index,
                        static_cast<uint32_t>(choice.tool_calls.size() - 1),
                        string_field(part, "thoughtSignature"), tool.id);
    tool.name = string_field(*function, "name");
    tool.arguments = args != nullptr && args->is_object() ? boost::json::serialize(*args) : "{}";
    return true;
  }
  const boost::json::value* text = part.if_contains("text");
  if (text == nullptr) {
    return true;  // inline data, executable code, ...: nothing the IR's choices hold
  }
  if (!text->is_string()) {
    return false;
  }
  const boost::json::value* thought = part.if_contains("thought");
  if (thought != nullptr && thought->is_bool() && thought->get_bool()) {
    choice.reasoning += text->get_string();
    choice.reasoning_signature += string_field(part, "thoughtSignature");
  } else {
    choice.text += text->get_string();
  }
  return true;
}

Result<void> add_candidate(const boost::json::value& value, uint32_t position,
                           std::string_view response_id, llm::Response& response) {
  const boost::json::object* candidate = value.if_object();
  if (candidate == nullptr) {
    return std::unexpected(upstream_protocol_error("a response candidate is not an object"));
  }
  llm::Choice choice{.index = position};
  if (const boost::json::value* index = candidate->if_contains("index"); index != nullptr) {
    if (!index->is_int64() || index->get_int64() < 0 || index->get_int64() > UINT32_MAX) {
      return std::unexpected(upstream_protocol_error("a response candidate has an invalid index"));
    }
    choice.index = static_cast<uint32_t>(index->get_int64());
  }
  if (const boost::json::object* content = object_field(*candidate, "content")) {
    if (const boost::json::array* parts = array_field(*content, "parts")) {
      for (const boost::json::value& part : *parts) {
        if (!part.is_object() || !add_part(part.get_object(), response_id, choice)) {
          return std::unexpected(upstream_protocol_error("a response content part is malformed"));
        }
      }
    }
  }
  choice.finish_word = string_field(*candidate, "finishReason");
  choice.finish = finish_reason(choice.finish_word, !choice.tool_calls.empty());
  response.choices.push_back(std::move(choice));
  return {};
}

}  // namespace

Result<llm::Response> decode_response(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* json = ec ? nullptr : parsed.if_object();
  if (json == nullptr) {
    return std::unexpected(upstream_protocol_error("the response is not a JSON object"));
  }
  const std::string_view response_id = string_field(*json, "responseId");
  llm::Response response{.id = std::string(response_id),
                         .model = std::string(string_field(*json, "modelVersion"))};
  const boost::json::array* candidates = array_field(*json, "candidates");
  if (candidates != nullptr) {
    uint32_t position = 0;
    for (const boost::json::value& candidate : *candidates) {
      if (auto added = add_candidate(candidate, position++, response_id, response); !added) {
        return std::unexpected(std::move(added.error()));
      }
    }
    std::ranges::stable_sort(response.choices, {}, &llm::Choice::index);
  }
  if (response.choices.empty()) {
    const boost::json::object* feedback = object_field(*json, "promptFeedback");
    const std::string_view blocked =
        feedback != nullptr ? string_field(*feedback, "blockReason") : std::string_view();
    if (blocked.empty()) {
      return std::unexpected(upstream_protocol_error("the response has no candidates"));
    }
    response.choices.push_back(
        {.finish = llm::FinishReason::kContentFilter, .finish_word = std::string(blocked)});
  }
  if (const boost::json::object* usage = object_field(*json, "usageMetadata"); usage != nullptr) {
    auto decoded = decode_usage(*usage);
    if (!decoded) {
      return std::unexpected(std::move(decoded.error()));
    }
    response.usage = *decoded;
  }
  return response;
}

}  // namespace nexus::providers::gemini

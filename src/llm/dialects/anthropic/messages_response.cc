#include "llm/dialects/anthropic/messages_response.h"

#include <boost/json.hpp>

#include "core/json_escape.h"
#include "llm/dialects/anthropic/wire.h"

namespace nexus::dialects::anthropic {
namespace {

void append_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

// A tool_use block's input: the arguments' JSON object. Arguments that are not a JSON object
// (a model's broken JSON) are kept as a string rather than lost.
void append_input(std::string& out, std::string_view arguments) {
  if (arguments.empty()) {
    out += "{}";
    return;
  }
  boost::system::error_code ec;
  const boost::json::value input = boost::json::parse(arguments, ec);
  if (!ec && input.is_object()) {
    out += boost::json::serialize(input);
  } else {
    append_string(out, arguments);
  }
}

void append_content(std::string& out, const llm::Choice& choice) {
  out += '[';
  bool first = true;
  const auto next = [&] {
    if (!first) {
      out += ',';
    }
    first = false;
  };
  if (!choice.reasoning.empty() || !choice.reasoning_signature.empty()) {
    next();
    out += R"({"type":"thinking","thinking":)";
    append_string(out, choice.reasoning);
    out += R"(,"signature":)";
    append_string(out, choice.reasoning_signature);
    out += '}';
  }
  for (const std::string& data : choice.redacted_reasoning) {
    next();
    out += R"({"type":"redacted_thinking","data":)";
    append_string(out, data);
    out += '}';
  }
  if (!choice.text.empty()) {
    next();
    out += R"({"type":"text","text":)";
    append_string(out, choice.text);
    out += '}';
  }
  for (const llm::ToolCall& call : choice.tool_calls) {
    next();
    out += R"({"type":"tool_use","id":)";
    append_string(out, call.id);
    out += R"(,"name":)";
    append_string(out, call.name);
    out += R"(,"input":)";
    append_input(out, call.arguments);
    out += '}';
  }
  out += ']';
}

}  // namespace

void encode_messages_response(const llm::Response& response, std::string& out) {
  out += R"({"id":")";
  detail::append_message_id(out, response.id);
  out += R"(","type":"message","role":"assistant","model":)";
  append_string(out, response.model);
  out += R"(,"content":)";
  const llm::Choice* choice = nullptr;
  for (const llm::Choice& candidate : response.choices) {
    if (candidate.index == 0) {
      choice = &candidate;
    }
  }
  if (choice != nullptr) {
    append_content(out, *choice);
  } else {
    out += "[]";
  }
  out += R"(,"stop_reason":")";
  out += choice != nullptr ? detail::stop_reason(choice->finish, choice->finish_word) : "end_turn";
  out += R"(","stop_sequence":null,"usage":)";
  detail::append_usage(out, response.usage);
  out += '}';
}

void encode_error(const llm::ApiError& error, std::string& out) {
  detail::append_error(out, error);
}

}  // namespace nexus::dialects::anthropic

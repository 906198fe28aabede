#include "llm/dialects/openai/chat_response.h"

#include <string>

#include "core/json_escape.h"
#include "llm/dialects/openai/chat_json.h"

namespace nexus::dialects::openai {
namespace {

void append_string(std::string_view text, std::string& out) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

void append_tool_calls(const std::vector<llm::ToolCall>& calls, std::string& out) {
  out += R"(,"tool_calls":[)";
  for (size_t i = 0; i < calls.size(); ++i) {
    const llm::ToolCall& call = calls[i];
    if (i != 0) {
      out += ',';
    }
    out += R"({"id":)";
    append_string(call.id, out);
    out += R"(,"type":"function","function":{"name":)";
    append_string(call.name, out);
    out += R"(,"arguments":)";
    // A call without arguments still needs a JSON object for OpenAI's clients to parse.
    append_string(call.arguments.empty() ? std::string_view("{}") : call.arguments, out);
    out += "}}";
  }
  out += ']';
}

void append_choice(const llm::Choice& choice, std::string& out) {
  out += R"({"index":)";
  out += std::to_string(choice.index);
  out += R"(,"message":{"role":"assistant","content":)";
  if (choice.text.empty() && !choice.tool_calls.empty()) {
    out += "null";
  } else {
    append_string(choice.text, out);
  }
  if (!choice.reasoning.empty()) {  // DeepSeek's field, which most OpenAI-shaped clients read
    out += R"(,"reasoning_content":)";
    append_string(choice.reasoning, out);
  }
  if (!choice.tool_calls.empty()) {
    append_tool_calls(choice.tool_calls, out);
  }
  out += R"(},"logprobs":null,"finish_reason":")";
  out += detail::finish_word(choice.finish);
  out += "\"}";
}

}  // namespace

void encode_chat_response(const llm::Response& response, int64_t created, std::string& out) {
  out += R"({"id":)";
  detail::append_chat_id(response.id, out);
  out += R"(,"object":"chat.completion","created":)";
  out += std::to_string(created);
  out += R"(,"model":)";
  append_string(response.model, out);
  out += R"(,"choices":[)";
  for (size_t i = 0; i < response.choices.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    append_choice(response.choices[i], out);
  }
  out += R"(],"usage":)";
  detail::append_usage(response.usage, out);
  out += '}';
}

void encode_error(const llm::ApiError& error, std::string& out) {
  detail::append_error(error, out);
}

}  // namespace nexus::dialects::openai

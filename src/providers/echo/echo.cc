#include "providers/echo/echo.h"

#include <algorithm>
#include <cmath>
#include <ranges>
#include <string_view>

#include "core/json_escape.h"

namespace nexus::providers::echo {
namespace {

using llm::StreamEvent;
using llm::StreamEventKind;

std::string_view last_user_text(const llm::Request& request) {
  for (const auto& message : std::ranges::reverse_view(request.messages)) {
    if (message.role != llm::Role::kUser) {
      continue;
    }
    for (const auto& part : std::ranges::reverse_view(message.parts)) {
      if (part.kind == llm::PartKind::kText) {
        return part.text;
      }
    }
  }
  return {};
}

uint64_t count_words(std::string_view text) {
  uint64_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    words += static_cast<uint64_t>(!space && !in_word);
    in_word = !space;
  }
  return words;
}

uint64_t count_input_words(const llm::Request& request) {
  uint64_t words = 0;
  auto add = [&](const std::vector<llm::Part>& parts) {
    for (const auto& part : parts) {
      words += count_words(part.text);
    }
  };
  add(request.system);
  for (const auto& message : request.messages) {
    add(message.parts);
  }
  return std::max<uint64_t>(words, 1);
}

const llm::Tool* forced_tool(const llm::Request& request) {
  using Mode = llm::ToolChoice::Mode;
  if (request.tools.empty()) {
    return nullptr;
  }
  if (request.tool_choice.mode == Mode::kRequired) {
    return request.tools.data();
  }
  if (request.tool_choice.mode == Mode::kTool) {
    const auto found = std::ranges::find(request.tools, request.tool_choice.name, &llm::Tool::name);
    return found != request.tools.end() ? &*found : nullptr;
  }
  return nullptr;
}

}  // namespace

void answer(const llm::Request& request, std::string_view model, std::string& storage,
            std::vector<StreamEvent>& out) {
  const std::string_view text = last_user_text(request);
  const llm::Tool* tool = forced_tool(request);
  // Everything the events point at is written first, so that no view moves.
  storage.clear();
  storage += "echo-";
  storage += std::to_string(request.messages.size());
  storage += '-';
  storage += std::to_string(text.size());
  const size_t id_size = storage.size();
  storage += model;
  const size_t text_at = storage.size();
  storage += text;
  const size_t args_at = storage.size();
  if (tool != nullptr) {
    storage += R"({"echo":")";
    append_json_escaped(storage, text);
    storage += "\"}";
  }
  const std::string_view all = storage;
  const std::string_view id = all.substr(0, id_size);

  out.push_back({.kind = StreamEventKind::kMessageStart,
                 .id = id,
                 .name = all.substr(id_size, text_at - id_size)});
  uint64_t output = 0;
  if (tool != nullptr) {
    out.push_back(
        {.kind = StreamEventKind::kToolCallStart, .id = "call_echo_0", .name = tool->name});
    out.push_back({.kind = StreamEventKind::kToolArgumentsDelta, .text = all.substr(args_at)});
    output = count_words(text) + 1;
  } else {
    // One delta per word, each with the spaces before it, so the deltas add up to the text.
    std::string_view rest = all.substr(text_at, args_at - text_at);
    while (!rest.empty()) {
      size_t end = rest.find_first_not_of(" \n\t\r");
      end = end == std::string_view::npos ? rest.size() : rest.find_first_of(" \n\t\r", end);
      end = end == std::string_view::npos ? rest.size() : end;
      out.push_back({.kind = StreamEventKind::kTextDelta, .text = rest.substr(0, end)});
      rest.remove_prefix(end);
    }
    output = count_words(text);
  }
  if (out.back().kind != StreamEventKind::kMessageStart) {  // a block was opened
    out.push_back({.kind = StreamEventKind::kBlockStop});
  }
  out.push_back(
      {.kind = StreamEventKind::kFinish,
       .name = tool != nullptr ? "tool_calls" : "stop",
       .finish = tool != nullptr ? llm::FinishReason::kToolCalls : llm::FinishReason::kStop});
  out.push_back({.kind = StreamEventKind::kUsage,
                 .usage = {.input = count_input_words(request), .output = output}});
  out.push_back({.kind = StreamEventKind::kMessageStop});
}

llm::EmbeddingsResponse embed(const llm::EmbeddingsRequest& request, std::string_view model) {
  const uint32_t dimensions =
      std::min(request.dimensions.value_or(kEmbeddingDimensions), kMaxEmbeddingDimensions);
  llm::EmbeddingsResponse response{.model = std::string(model)};
  for (const std::string& text : request.inputs) {
    // FNV-1a over the text, then a splitmix64 step per dimension: deterministic everywhere.
    uint64_t state = 14695981039346656037ULL;
    for (const char c : text) {
      state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    std::vector<float> vector(dimensions);
    double norm = 0;
    for (float& value : vector) {
      state += 0x9e3779b97f4a7c15ULL;
      uint64_t mixed = (state ^ (state >> 30U)) * 0xbf58476d1ce4e5b9ULL;
      mixed = (mixed ^ (mixed >> 27U)) * 0x94d049bb133111ebULL;
      mixed ^= mixed >> 31U;
      // The top 24 bits as a number in [-1, 1).
      value = static_cast<float>(static_cast<double>(mixed >> 40U) / (1U << 23U) - 1.0);
      norm += static_cast<double>(value) * value;
    }
    const double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
    for (float& value : vector) {
      value = static_cast<float>(value * scale);
    }
    response.vectors.push_back(std::move(vector));
    response.usage.input += std::max<uint64_t>(count_words(text), 1);
  }
  return response;
}

}  // namespace nexus::providers::echo

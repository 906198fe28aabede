#include "llm/ir/stream_aggregator.h"

#include <algorithm>

namespace nexus::llm {

Choice& StreamAggregator::choice(uint32_t index) {
  auto found = std::ranges::find(response_.choices, index, &Choice::index);
  if (found != response_.choices.end()) {
    return *found;
  }
  Choice& added = response_.choices.emplace_back();
  added.index = index;
  std::ranges::sort(response_.choices, {}, &Choice::index);
  return *std::ranges::find(response_.choices, index, &Choice::index);
}

void StreamAggregator::add(const StreamEvent& event) {
  switch (event.kind) {
    case StreamEventKind::kMessageStart:
      response_.id = event.id;
      response_.model = event.name;
      break;
    case StreamEventKind::kTextDelta:
      choice(event.choice).text += event.text;
      break;
    case StreamEventKind::kReasoningDelta:
      choice(event.choice).reasoning += event.text;
      break;
    case StreamEventKind::kReasoningSignature:
      choice(event.choice).reasoning_signature += event.text;
      break;
    case StreamEventKind::kToolCallStart: {
      Choice& target = choice(event.choice);
      // Calls are kept in the order they started; `tool` numbers them within the choice.
      if (target.tool_calls.size() <= event.tool) {
        target.tool_calls.resize(event.tool + 1);
      }
      ToolCall& call = target.tool_calls[event.tool];
      call.id = event.id;
      call.name = event.name;
      break;
    }
    case StreamEventKind::kToolArgumentsDelta: {
      Choice& target = choice(event.choice);
      if (event.tool < target.tool_calls.size()) {
        target.tool_calls[event.tool].arguments += event.text;
      }
      break;
    }
    case StreamEventKind::kUsage:
      response_.usage = event.usage;
      break;
    case StreamEventKind::kFinish: {
      Choice& target = choice(event.choice);
      target.finish = event.finish;
      target.finish_word = event.name;
      break;
    }
    case StreamEventKind::kRedactedReasoning:
      choice(event.choice).redacted_reasoning.emplace_back(event.text);
      break;
    case StreamEventKind::kBlockStop:
    case StreamEventKind::kMessageStop:
    case StreamEventKind::kError:
      break;
  }
}

}  // namespace nexus::llm

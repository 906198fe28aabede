// Shared by the stream fuzz targets: the rules every provider stream decoder's IR events must
// keep, whatever its input. One kMessageStart first; nothing of a choice after its kFinish; a
// tool call started once, its argument pieces only after its start; kMessageStop only last; and
// when a stream ended complete, every tool call's arguments add up to whole JSON.
#pragma once

#include <boost/json/parse.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "llm/ir/stream.h"

namespace nexus::fuzz {

inline void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

class StreamRules {
 public:
  void check(const llm::StreamEvent& e) {
    using Kind = llm::StreamEventKind;
    require(!stopped_);
    switch (e.kind) {
      case Kind::kMessageStart:
        require(!started_);
        started_ = true;
        break;
      case Kind::kToolCallStart:
        require(started_ && !finished_.contains(e.choice));
        require(arguments_.try_emplace({e.choice, e.tool}).second);
        break;
      case Kind::kToolArgumentsDelta: {
        require(!finished_.contains(e.choice));
        auto call = arguments_.find({e.choice, e.tool});
        require(call != arguments_.end());
        call->second.append(e.text);
        break;
      }
      case Kind::kFinish:
        require(started_ && finished_.insert(e.choice).second);
        break;
      case Kind::kMessageStop:
        require(started_);
        stopped_ = true;
        break;
      case Kind::kUsage:
      case Kind::kError:
        break;
      default:  // text, reasoning, signatures, block stops
        require(started_ && !finished_.contains(e.choice));
        break;
    }
  }

  // The decoder's finish() accepted the end: a stream that stopped complete has whole-JSON
  // arguments (an empty string counts as none).
  void check_complete() const {
    if (!stopped_) {
      return;
    }
    for (const auto& [call, text] : arguments_) {
      if (!text.empty()) {
        boost::system::error_code ec;
        boost::json::parse(text, ec);
        require(!ec);
      }
    }
  }

 private:
  bool started_ = false;
  bool stopped_ = false;
  std::set<uint32_t> finished_;
  std::map<std::pair<uint32_t, uint32_t>, std::string> arguments_;
};

}  // namespace nexus::fuzz

#include "http/http2/abuse_guard.h"

namespace nexus::http2 {
namespace {

// RFC 9113 §6 frame types and flags.
constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kPriority = 0x2;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr uint8_t kContinuation = 0x9;
constexpr uint8_t kEndStream = 0x1;

}  // namespace

AbuseGuard::Verdict AbuseGuard::on_frame(uint8_t type, size_t length, uint8_t flags) {
  if (type == kData || type == kHeaders || type == kContinuation) {
    const bool ends_stream = type != kContinuation && (flags & kEndStream) != 0;
    if (length == 0 && !ends_stream) {
      if (++consecutive_empty_ > kMaxConsecutiveEmptyFrames) {
        return abuse("consecutive frames with an empty payload");
      }
    } else {
      consecutive_empty_ = 0;
    }
    return Verdict::kOk;
  }
  if (type == kPriority) {
    if (++priority_frames_ > kMaxPriorityFramesPerStream * (1 + streams_opened_)) {
      return abuse("PRIORITY frame flood");
    }
  } else if (type == kWindowUpdate) {
    if (++window_updates_ >
        kWindowUpdateAllowance + kMaxWindowUpdatesPerDataFrame * data_frames_sent_) {
      return abuse("WINDOW_UPDATE frame flood");
    }
  }
  return Verdict::kOk;
}

AbuseGuard::Verdict AbuseGuard::on_premature_reset() {
  ++premature_resets_;
  if (premature_resets_ >= kMinPrematureResets && premature_resets_ * 2 >= streams_opened_) {
    return abuse("too many streams reset before their response (rapid reset)");
  }
  return Verdict::kOk;
}

}  // namespace nexus::http2

// Counters for the HTTP/2 abuses that nghttp2 does not stop by itself, with the limits Envoy
// uses at the edge. Each received frame header and each stream event is reported here; a
// verdict of kAbuse means: GOAWAY(ENHANCE_YOUR_CALM) and close. nghttp2 already bounds SETTINGS
// and PING/SETTINGS-ACK floods (max_outbound_ack), SETTINGS entries, CONTINUATION counts and the
// RST_STREAM rate; see server_session.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nexus::http2 {

class AbuseGuard {
 public:
  enum class Verdict { kOk, kAbuse };

  // Frames with an empty payload that neither end a stream nor carry anything (DATA, HEADERS,
  // CONTINUATION): free for the client, a wake-up for us. More than this many in a row is abuse.
  static constexpr uint32_t kMaxConsecutiveEmptyFrames = 1;
  // PRIORITY frames cost the client nothing and may rebuild a priority tree each time.
  static constexpr uint32_t kMaxPriorityFramesPerStream = 100;
  // WINDOW_UPDATEs are only needed while we send DATA.
  static constexpr uint32_t kMaxWindowUpdatesPerDataFrame = 10;
  static constexpr uint32_t kWindowUpdateAllowance = 100;
  // Rapid reset (CVE-2023-44487): a client that cancels at least this many streams before we
  // answered them, and at least half of all streams it opened, is abusing the server.
  static constexpr uint32_t kMinPrematureResets = 100;

  // Called with the header of every received frame (type codes of RFC 9113 §6).
  Verdict on_frame(uint8_t type, size_t length, uint8_t flags);
  void on_stream_opened() { ++streams_opened_; }
  // The client reset a stream whose response was not complete.
  Verdict on_premature_reset();
  void on_data_frame_sent() { ++data_frames_sent_; }

  // Why the last kAbuse verdict was given, for the log.
  [[nodiscard]] std::string_view reason() const { return reason_; }

 private:
  Verdict abuse(std::string_view reason) {
    reason_ = reason;
    return Verdict::kAbuse;
  }

  uint32_t consecutive_empty_ = 0;
  uint64_t priority_frames_ = 0;
  uint64_t window_updates_ = 0;
  uint64_t data_frames_sent_ = 0;
  uint64_t streams_opened_ = 0;
  uint64_t premature_resets_ = 0;
  std::string_view reason_;
};

}  // namespace nexus::http2

// Body bytes queued for DATA frames on one stream, drained by nghttp2's data source callback as
// the peer's flow-control window allows. Shared by the server (responses) and the client
// (requests to upstreams).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace nexus::http2 {

class BodyQueue {
 public:
  [[nodiscard]] size_t size() const { return data_.size() - offset_; }
  [[nodiscard]] bool last() const { return last_; }
  // Bytes held in memory, those already read included: what a queue costs.
  [[nodiscard]] size_t held() const { return data_.size(); }

  void append(std::string_view data, bool last) {
    data_.append(data);
    last_ = last_ || last;
  }

  // Copies up to `length` bytes into `out`; returns how many.
  size_t read(uint8_t* out, size_t length) {
    const size_t n = std::min(length, size());
    if (n > 0) {
      std::memcpy(out, data_.data() + offset_, n);
      offset_ += n;
      if (offset_ == data_.size()) {
        data_.clear();  // keeps the capacity for the next bytes
        offset_ = 0;
      } else if (offset_ >= kCompactAfter && offset_ * 2 >= data_.size()) {
        // A queue that never drains completely (the producer keeps up) must not grow: drop
        // the bytes already read once they are the larger part.
        data_.erase(0, offset_);
        offset_ = 0;
      }
    }
    return n;
  }

  // nghttp2 was told to wait for more (NGHTTP2_ERR_DEFERRED): resume it on the next append.
  bool deferred = false;
  // The producer waits for the queue to shrink (backpressure).
  bool waiting_writable = false;

 private:
  static constexpr size_t kCompactAfter = size_t{16} * 1024;

  std::string data_;
  size_t offset_ = 0;
  bool last_ = false;
};

}  // namespace nexus::http2

// Collects the pieces of one write (a head, body pieces, chunk framing) so they leave in a
// single writev: one system call per batch, however the body was framed when it arrived.
#pragma once

#include <array>
#include <boost/asio/buffer.hpp>
#include <span>
#include <string_view>

#include "http/http1/head_writer.h"

namespace nexus::server {

class GatherWriter {
 public:
  static constexpr size_t kMaxPieces = 16;  // body pieces per write

  [[nodiscard]] bool full() const { return pieces_ == kMaxPieces; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  [[nodiscard]] size_t bytes() const { return bytes_; }

  void add(std::string_view data) {
    if (!data.empty()) {
      buffers_[count_++] = boost::asio::const_buffer(data.data(), data.size());
      bytes_ += data.size();
    }
  }

  // A body piece, chunk-framed when `chunked`.
  void add_body(std::string_view data, bool chunked) {
    if (data.empty()) {
      return;
    }
    if (chunked) {
      char* line = chunk_lines_[pieces_].data();
      add({line, http1::format_chunk_size_line(data.size(), line)});
      add(data);
      add("\r\n");
    } else {
      add(data);
    }
    ++pieces_;
  }

  [[nodiscard]] std::span<const boost::asio::const_buffer> buffers() const {
    return {buffers_.data(), count_};
  }

  void clear() {
    count_ = 0;
    pieces_ = 0;
    bytes_ = 0;
  }

 private:
  // Head + per piece (size line, data, CRLF) + last chunk.
  std::array<boost::asio::const_buffer, 2 + 3 * kMaxPieces> buffers_{};
  std::array<std::array<char, 24>, kMaxPieces> chunk_lines_{};
  size_t count_ = 0;
  size_t pieces_ = 0;
  size_t bytes_ = 0;
};

}  // namespace nexus::server

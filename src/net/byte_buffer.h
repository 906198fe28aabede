// A growable receive buffer: bytes [begin, end) are received but not yet consumed.
//
// Storage is allocated on first use and can be released while a connection is idle, so an idle
// keep-alive connection holds no buffer at all.
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace nexus::net {

class ByteBuffer {
 public:
  [[nodiscard]] std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }
  [[nodiscard]] size_t size() const { return end_ - begin_; }
  [[nodiscard]] bool empty() const { return begin_ == end_; }
  [[nodiscard]] size_t capacity() const { return capacity_; }

  // Room to receive into, after making sure at least `min_free` bytes are free when the total
  // would stay within `max_capacity` (moves unconsumed bytes to the front, then grows).
  boost::asio::mutable_buffer prepare(size_t min_free, size_t max_capacity) {
    if (capacity_ - end_ < min_free && begin_ > 0) {
      compact();
    }
    if (capacity_ - end_ < min_free && capacity_ < max_capacity) {
      grow(std::min(std::max(capacity_ * 2, end_ + min_free), max_capacity));
    }
    return {data_.get() + end_, capacity_ - end_};
  }

  void commit(size_t n) { end_ += n; }

  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
  }

  // Frees the storage if nothing is buffered (idle connections).
  void release_if_empty() {
    if (empty() && data_) {
      data_.reset();
      capacity_ = 0;
      begin_ = end_ = 0;
    }
  }

 private:
  void compact() {
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }

  void grow(size_t capacity) {
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > begin_) {
      std::memcpy(bigger.get(), data_.get() + begin_, end_ - begin_);
    }
    data_ = std::move(bigger);
    end_ -= begin_;
    begin_ = 0;
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace nexus::net

// One JSON object on one line, written into a reused buffer.
//
// The access log formats a line for every request, and checked std::string appends (a dozen per
// field) were most of its cost. Here each field's size is bounded first, then its bytes are
// stored through a pointer into room the buffer already has. Names are written as they are (the
// access log's are its field names and header names, tokens that need no escaping); values are
// escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nexus::filters {

class JsonLine {
 public:
  // Writes into `buffer` from its start; the buffer only grows, so its memory is reused.
  explicit JsonLine(std::string& buffer);

  void add_string(std::string_view name, std::string_view value);
  void add_number(std::string_view name, uint64_t value);
  // Milliseconds with three decimals ("0.508"): integer formatting, several times cheaper than
  // a floating-point one.
  void add_millis(std::string_view name, double millis);
  // A nested object: `"name":{` … `}`.
  void begin_object(std::string_view name);
  void end_object();

  // Closes the object; the line (without a newline) stays valid until the buffer is reused.
  std::string_view finish();

 private:
  // Where to write next, with at least `bytes` available.
  char* room(size_t bytes) {
    if (buffer_.size() - used_ < bytes) {
      grow(bytes);
    }
    return buffer_.data() + used_;
  }
  void grow(size_t bytes);
  char* key(std::string_view name, size_t value_bytes);
  void close(char bracket);

  std::string& buffer_;
  size_t used_ = 0;
};

}  // namespace nexus::filters

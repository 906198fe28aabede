#include "filters/access_log/json_line.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/json_escape.h"

namespace nexus::filters {
namespace {

constexpr size_t kMaxDigits = 20;  // of a uint64_t

}  // namespace

JsonLine::JsonLine(std::string& buffer) : buffer_(buffer) {
  char* at = room(1);
  *at = '{';
  used_ = 1;
}

void JsonLine::grow(size_t bytes) {
  buffer_.resize(std::max({buffer_.size() * 2, used_ + bytes, size_t{512}}));
}

// `"name":`, with room left for `value_bytes` more.
char* JsonLine::key(std::string_view name, size_t value_bytes) {
  char* at = room(name.size() + 3 + value_bytes);
  *at++ = '"';
  std::memcpy(at, name.data(), name.size());  // std::ranges::copy compiled to a byte loop here
  at += name.size();
  *at++ = '"';
  *at++ = ':';
  return at;
}

void JsonLine::add_string(std::string_view name, std::string_view value) {
  char* at = key(name, kJsonEscapeMaxGrowth * value.size() + 3);
  *at++ = '"';
  at = write_json_escaped(at, value);
  *at++ = '"';
  *at++ = ',';
  used_ = static_cast<size_t>(at - buffer_.data());
}

void JsonLine::add_number(std::string_view name, uint64_t value) {
  char* at = key(name, kMaxDigits + 1);
  at = std::to_chars(at, at + kMaxDigits, value).ptr;
  *at++ = ',';
  used_ = static_cast<size_t>(at - buffer_.data());
}

void JsonLine::add_millis(std::string_view name, double millis) {
  const auto micros = static_cast<uint64_t>(std::llround((millis > 0 ? millis : 0.0) * 1000));
  char* at = key(name, kMaxDigits + 5);
  at = std::to_chars(at, at + kMaxDigits, micros / 1000).ptr;
  const auto fraction = static_cast<unsigned>(micros % 1000);
  at[0] = '.';
  at[1] = static_cast<char>('0' + fraction / 100);
  at[2] = static_cast<char>('0' + fraction / 10 % 10);
  at[3] = static_cast<char>('0' + fraction % 10);
  at[4] = ',';
  used_ = static_cast<size_t>(at + 5 - buffer_.data());
}

void JsonLine::begin_object(std::string_view name) {
  char* at = key(name, 1);
  *at++ = '{';
  used_ = static_cast<size_t>(at - buffer_.data());
}

void JsonLine::end_object() {
  close('}');
  char* at = room(1);
  *at = ',';
  ++used_;
}

// Replaces the last member's trailing comma by `bracket`, or appends it to an empty object.
void JsonLine::close(char bracket) {
  if (buffer_[used_ - 1] == ',') {
    buffer_[used_ - 1] = bracket;
    return;
  }
  *room(1) = bracket;
  ++used_;
}

std::string_view JsonLine::finish() {
  close('}');
  return {buffer_.data(), used_};
}

}  // namespace nexus::filters

// The Connection field's tokens, shared by the HTTP/1.1 head writer and the HTTP/2 field
// conversions.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "http/http1/message.h"

namespace nexus::http1 {

// Calls `visit` with each token of every Connection field of `headers`, OWS-trimmed; stops
// early when `visit` returns true. Returns whether it did.
template <typename Visit>
bool any_connection_token(const std::vector<Header>& headers, Visit visit) {
  for (const auto& header : headers) {
    if (!iequals(header.name, "connection")) {
      continue;
    }
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (!token.empty() && visit(token)) {
        return true;
      }
    }
  }
  return false;
}

// The tokens of the Connection fields of one head: the fields they name concern one HTTP/1.1
// connection only and are never forwarded (RFC 9110 §7.6.1). Collected once per head; more
// than kInline tokens (never seen in practice) fall back to rescanning.
class ConnectionTokens {
 public:
  explicit ConnectionTokens(const std::vector<Header>& headers) : headers_(headers) {
    any_connection_token(headers, [this](std::string_view token) {
      if (count_ == tokens_.size()) {
        overflow_ = true;
        return true;
      }
      tokens_[count_++] = token;
      return false;
    });
  }

  [[nodiscard]] bool names(std::string_view field) const {
    if (overflow_) {
      return any_connection_token(
          headers_, [field](std::string_view token) { return iequals(token, field); });
    }
    for (size_t i = 0; i < count_; ++i) {
      if (iequals(tokens_[i], field)) {
        return true;
      }
    }
    return false;
  }

 private:
  static constexpr size_t kInline = 8;
  const std::vector<Header>& headers_;
  std::array<std::string_view, kInline> tokens_{};
  size_t count_ = 0;
  bool overflow_ = false;
};

}  // namespace nexus::http1

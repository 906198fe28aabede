// Header value templates of the headers filter: literal text with request attributes, parsed
// once at config time into parts so that expanding one is a walk over a short vector.
//
// Syntax: "%{name}" is an attribute, "%%" a literal '%', any other '%' is literal. Not "${...}":
// the config reader already replaces ${VAR} with environment variables in every scalar (and
// "$$" with '$'), so that syntax never reaches a filter.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/filter/context.h"

namespace nexus::filters {

enum class Attribute {
  kLiteral,    // not an attribute: `text` itself
  kClientIp,   // ctx.client_ip() (ip_filter may have set it from X-Forwarded-For)
  kRequestId,  // the kRequestId slot (request_id filter)
  kMethod,
  kPath,      // without the query
  kHost,      // as received
  kRoute,     // the matched route's name
  kIdentity,  // the kIdentity slot's subject (auth filter)
  kHeader,    // a request header's value: `text` is its lower-case name
};

class ValueTemplate {
 public:
  struct Part {
    Attribute attribute = Attribute::kLiteral;
    std::string text;  // the literal, or the header name
  };

  // An error text for a syntax error, an unknown attribute or a control character.
  static std::expected<ValueTemplate, std::string> parse(std::string_view text);

  // Where %{header:...} values come from: the live request headers, or values captured earlier
  // (`captured[i]` belongs to `captured_names[i]`).
  struct HeaderSource {
    const filter::HeaderMap* live = nullptr;
    std::span<const std::string> captured_names;
    std::span<const std::string> captured;
  };

  // The value for this exchange; control characters that an attribute brought in (a header
  // value cannot hold CR or LF, but an identity's subject might) are dropped, blanks at either
  // end trimmed.
  [[nodiscard]] std::string expand(filter::Context& ctx, const HeaderSource& headers) const;

  [[nodiscard]] const std::vector<Part>& parts() const { return parts_; }

 private:
  std::vector<Part> parts_;
};

}  // namespace nexus::filters

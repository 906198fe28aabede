// The small header rules of response compression, apart from the filter so that each is tested
// on its own: which media types qualify, which responses may carry a body, Vary and ETag.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nexus::filters::compression {

// A configured media type pattern, lower-cased: "type/subtype", "type/*" or "*/*"; nullopt when
// it is not one (parameters are not allowed).
std::optional<std::string> media_type_pattern(std::string_view text);

// The media type of a Content-Type value, lower-cased, without parameters or whitespace.
std::string media_type(std::string_view content_type);

// Whether `type` (as media_type() returns it) matches one of the patterns.
bool media_type_matches(std::string_view type, std::span<const std::string> patterns);

// Whether a response with `status` to a request with `method` carries a body (RFC 9110 §6.4.1):
// not 1xx, 204, 304, nor any response to HEAD.
bool response_has_body(int status, std::string_view method);

// Whether a comma-separated field value lists `token` (case-insensitive, parameters ignored).
bool list_has_token(std::string_view list, std::string_view token);

// The Vary value once Accept-Encoding is in it, from the current one ("" when absent); nullopt
// when it needs no change (already listed, or "*").
std::optional<std::string> vary_with_accept_encoding(std::string_view vary);

// A strong ETag made weak ("abc" -> W/"abc"): the compressed bytes are not the upstream's bytes,
// but they are semantically equivalent, so conditional requests keep working.
std::string weak_etag(std::string_view etag);

}  // namespace nexus::filters::compression

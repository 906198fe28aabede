#include "filters/compression/response_rules.h"

#include <algorithm>

#include "http/http1/message.h"
#include "http/http1/syntax.h"

namespace nexus::filters::compression {
namespace {

std::string_view trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return http1::syntax::is(c, http1::syntax::kTokenChar);
  });
}

}  // namespace

std::optional<std::string> media_type_pattern(std::string_view text) {
  text = trim(text);
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view type = text.substr(0, slash);
  const std::string_view subtype = text.substr(slash + 1);
  // Token characters include '*', so "a*/b" or "text/ht*" would pass is_token: check them apart.
  const bool wildcard_ok = (type == "*" && subtype == "*") ||
                           (type.find('*') == std::string_view::npos &&
                            (subtype == "*" || subtype.find('*') == std::string_view::npos));
  if (!is_token(type) || !is_token(subtype) || !wildcard_ok) {
    return std::nullopt;
  }
  return lower(text);
}

std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

bool media_type_matches(std::string_view type, std::span<const std::string> patterns) {
  const size_t slash = type.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return false;
  }
  return std::ranges::any_of(patterns, [&](const std::string& pattern) {
    if (pattern == "*/*") {
      return true;
    }
    if (pattern.ends_with("/*")) {
      return type.substr(0, slash + 1) == std::string_view(pattern).substr(0, pattern.size() - 1);
    }
    return type == pattern;
  });
}

bool response_has_body(int status, std::string_view method) {
  return status >= 200 && status != 204 && status != 304 && method != "HEAD";
}

bool list_has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view element = list.substr(0, comma);
    element = trim(element.substr(0, element.find(';')));
    if (http1::iequals(element, token)) {
      return true;
    }
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

std::optional<std::string> vary_with_accept_encoding(std::string_view vary) {
  if (list_has_token(vary, "*") || list_has_token(vary, "accept-encoding")) {
    return std::nullopt;
  }
  const std::string_view current = trim(vary);
  if (current.empty()) {
    return "Accept-Encoding";
  }
  return std::string(current) + ", Accept-Encoding";
}

std::string weak_etag(std::string_view etag) {
  etag = trim(etag);
  if (etag.starts_with("W/")) {
    return std::string(etag);
  }
  return "W/" + std::string(etag);
}

}  // namespace nexus::filters::compression

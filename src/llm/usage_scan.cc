#include "llm/usage_scan.h"

namespace nexus::llm {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_spaces(std::string_view text, size_t at) {
  while (at < text.size() && is_space(text[at])) {
    ++at;
  }
  return at;
}

// The end of the JSON string starting at `at` (its opening quote), past the closing quote;
// npos when it does not close.
size_t skip_string(std::string_view text, size_t at) {
  for (size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The end of the JSON value at `at` when it is one: object or array, matched by depth, with
// strings skipped; npos when it is not whole.
size_t skip_container(std::string_view text, size_t at) {
  int depth = 0;
  for (size_t i = at; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = skip_string(text, i);
      if (i == std::string_view::npos) {
        return i;
      }
      --i;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        return i + 1;
      }
    }
  }
  return std::string_view::npos;
}

// Whether `text` from `at` is only `, "key": scalar` members, then the closing brace of the
// outermost object and white space.
bool only_scalar_members_then_end(std::string_view text, size_t at) {
  for (at = skip_spaces(text, at); at < text.size(); at = skip_spaces(text, at)) {
    if (text[at] == '}') {
      return skip_spaces(text, at + 1) == text.size();
    }
    if (text[at] != ',') {
      return false;
    }
    at = skip_spaces(text, at + 1);
    if (at >= text.size() || text[at] != '"') {
      return false;
    }
    at = skip_string(text, at);
    if (at == std::string_view::npos) {
      return false;
    }
    at = skip_spaces(text, at);
    if (at >= text.size() || text[at] != ':') {
      return false;
    }
    at = skip_spaces(text, at + 1);
    if (at < text.size() && text[at] == '"') {
      at = skip_string(text, at);
      if (at == std::string_view::npos) {
        return false;
      }
      continue;
    }
    const size_t start = at;
    while (at < text.size() &&
           std::string_view("-+.0123456789eEtrufalsn").find(text[at]) != std::string_view::npos) {
      ++at;
    }
    if (at == start) {
      return false;  // an object or an array: a nested "usage" could hide behind it
    }
  }
  return false;
}

}  // namespace

std::optional<std::string_view> find_top_level_usage(std::string_view body) {
  const size_t key = body.rfind("\"usage\"");
  if (key == std::string_view::npos) {
    return std::nullopt;
  }
  // A key: after '{' or ',' (an escaped quote inside a string is after a backslash).
  size_t before = key;
  while (before > 0 && is_space(body[before - 1])) {
    --before;
  }
  if (before == 0 || (body[before - 1] != '{' && body[before - 1] != ',')) {
    return std::nullopt;
  }
  size_t at = skip_spaces(body, key + 7);
  if (at >= body.size() || body[at] != ':') {
    return std::nullopt;
  }
  at = skip_spaces(body, at + 1);
  if (at >= body.size() || body[at] != '{') {
    return std::nullopt;
  }
  const size_t end = skip_container(body, at);
  if (end == std::string_view::npos || !only_scalar_members_then_end(body, end)) {
    return std::nullopt;
  }
  return body.substr(at, end - at);
}

}  // namespace nexus::llm

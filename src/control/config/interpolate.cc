#include "control/config/interpolate.h"

#include <cstdlib>

namespace nexus::control::config_internal {
namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_valid_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!is_name_char(c)) {
      return false;
    }
  }
  return true;
}

// Expands the body of one "${...}" (the text between the braces).
std::expected<std::string, std::string> expand(std::string_view body, const EnvLookup& lookup) {
  std::string_view name = body;
  std::optional<std::string_view> fallback;
  if (size_t sep = body.find(":-"); sep != std::string_view::npos) {
    name = body.substr(0, sep);
    fallback = body.substr(sep + 2);
  }
  if (!is_valid_name(name)) {
    return std::unexpected("invalid variable name in '${" + std::string(body) +
                           "}' (expected letters, digits and _)");
  }
  std::optional<std::string> value = lookup(std::string(name));
  if (fallback && (!value || value->empty())) {
    return std::string(*fallback);
  }
  if (!value) {
    return std::unexpected("environment variable '" + std::string(name) + "' is not set (use ${" +
                           std::string(name) + ":-default} to give a default)");
  }
  return *value;
}

}  // namespace

std::optional<std::string> getenv_lookup(const std::string& name) {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): load time only
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

std::expected<std::string, std::string> interpolate(std::string_view text,
                                                    const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t dollar = text.find('$', i);
    if (dollar == std::string_view::npos || dollar + 1 == text.size()) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, dollar - i));
    char next = text[dollar + 1];
    if (next == '$') {
      out.push_back('$');
      i = dollar + 2;
    } else if (next == '{') {
      size_t close = text.find('}', dollar + 2);
      if (close == std::string_view::npos) {
        return std::unexpected("unterminated '${' (write $$ for a literal $)");
      }
      auto value = expand(text.substr(dollar + 2, close - dollar - 2), lookup);
      if (!value) {
        return std::unexpected(std::move(value.error()));
      }
      out.append(*value);
      i = close + 1;
    } else {
      out.push_back('$');
      i = dollar + 1;
    }
  }
  return out;
}

}  // namespace nexus::control::config_internal

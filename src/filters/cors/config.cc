#include "filters/cors/config.h"

#include <algorithm>
#include <chrono>

#include "filters/cors/cors_filter.h"
#include "http/http1/message.h"
#include "http/http1/syntax.h"

namespace nexus::filters {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_scheme(std::string_view scheme) {
  if (scheme.empty() || std::isalpha(static_cast<unsigned char>(scheme.front())) == 0) {
    return false;
  }
  return std::ranges::all_of(scheme, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

// "host[:port]" of an origin pattern: letters, digits, '-', '.', '[', ']' and ':' only.
bool is_authority(std::string_view authority) {
  return !authority.empty() && std::ranges::all_of(authority, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == ':' ||
           c == '[' || c == ']';
  });
}

Result<void> add_origin(const Reader& r, const Field& item, std::string_view text,
                        CorsPolicy& policy) {
  if (text == "*") {
    policy.any_origin = true;
    return {};
  }
  const size_t separator = text.find("://");
  const auto bad = [&](std::string_view why) {
    return r.error(item,
                   "expected an origin like https://app.example.com, "
                   "https://*.example.com or *, got '" +
                       std::string(text) + "' (" + std::string(why) + ")");
  };
  if (separator == std::string_view::npos || !is_scheme(text.substr(0, separator))) {
    return bad("no scheme");
  }
  std::string_view authority = text.substr(separator + 3);
  const bool wildcard = authority.starts_with("*.");
  if (wildcard) {
    authority.remove_prefix(1);  // keeps the dot: the suffix is ".example.com"
  }
  if (!is_authority(wildcard ? authority.substr(1) : authority)) {
    return bad(authority.find('/') != std::string_view::npos ? "an origin has no path"
                                                             : "bad host or '*' not leading");
  }
  if (wildcard) {
    policy.wildcard_origins.push_back(
        {.scheme = lower(text.substr(0, separator + 3)), .suffix = lower(authority)});
  } else {
    policy.exact_origins.push_back(lower(text));
  }
  return {};
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    out += out.empty() ? "" : ", ";
    out += name;
  }
  return out;
}

// Token lists (methods, header names), "*" allowed when `star` is set.
auto token_check(const Reader& r, bool star, std::string_view what) {
  return [&r, star, what](const Field& item, std::string& text) -> Result<void> {
    if ((star && text == "*") || http1::syntax::is_token(text)) {
      return {};
    }
    return r.error(item, "expected " + std::string(what) + ", got '" + text + "'");
  };
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_cors_filter(const Reader& r,
                                                                 const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"allow_origins", "allow_methods", "allow_headers",
                                           "expose_headers", "allow_credentials", "max_age"}));
  CorsPolicy policy;
  const Field origins = r.child(field, "allow_origins");
  NEXUS_CONFIG_TRY(r.require(origins));
  const auto origin = [&](const Field& item, std::string& text) {
    return add_origin(r, item, text, policy);
  };
  NEXUS_CONFIG_TRY(r.strings(origins, /*non_empty=*/true, origin));
  if (Field methods = r.child(field, "allow_methods"); methods.present) {
    auto list =
        r.strings(methods, /*non_empty=*/false, token_check(r, true, "a method like GET or *"));
    if (!list) {
      return std::unexpected(std::move(list.error()));
    }
    policy.any_method = std::ranges::find(*list, "*") != list->end();
    policy.methods = std::move(*list);
  }
  policy.methods_value = join(policy.methods);
  const auto header_check = token_check(r, true, "a header name or *");
  auto headers = r.strings(r.child(field, "allow_headers"), /*non_empty=*/false, header_check);
  auto expose = r.strings(r.child(field, "expose_headers"), /*non_empty=*/false, header_check);
  if (!headers || !expose) {
    return std::unexpected(std::move(!headers ? headers.error() : expose.error()));
  }
  std::ranges::transform(*headers, headers->begin(), lower);
  policy.any_header = std::ranges::find(*headers, "*") != headers->end();
  policy.headers = std::move(*headers);
  policy.expose_value = join(*expose);
  NEXUS_CONFIG_TRY(r.read(field, "allow_credentials", policy.allow_credentials));
  if (Field max_age = r.child(field, "max_age"); max_age.present) {
    auto value = r.duration(max_age);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    if (*value > std::chrono::hours(24)) {
      return r.error(max_age, "at most 24h (browsers cap it lower anyway)");
    }
    policy.max_age =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*value).count());
  }
  return std::make_shared<CorsFactory>(std::move(policy));
}

}  // namespace nexus::filters

#include "filters/cors/cors_filter.h"

#include <algorithm>
#include <string>
#include <vector>

#include "http/http1/message.h"
#include "http/http1/syntax.h"

namespace nexus::filters {
namespace {

constexpr std::string_view kAllowOrigin = "access-control-allow-origin";
constexpr std::string_view kAllowCredentials = "access-control-allow-credentials";
constexpr std::string_view kExposeHeaders = "access-control-expose-headers";
constexpr std::string_view kPreflightVary =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Calls `each` with every non-empty, trimmed element of a comma-separated list.
template <typename Each>
void for_each_element(std::string_view list, Each each) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view element = trim(list.substr(0, comma));
    if (!element.empty()) {
      each(element);
    }
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
}

class CorsFilter final : public filter::Filter {
 public:
  explicit CorsFilter(const CorsPolicy& policy) : policy_(policy) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    const filter::HeaderMap* headers = ctx.request_headers();
    const std::string_view* origin = headers != nullptr ? headers->find("origin") : nullptr;
    if (origin == nullptr) {
      return filter::FilterStatus::kContinue;
    }
    origin_ = ctx.keep(*origin);
    allowed_ = policy_.origin_allowed(origin_);
    if (ctx.request().method != "OPTIONS") {
      return filter::FilterStatus::kContinue;
    }
    const std::string_view* requested_method = headers->find("access-control-request-method");
    if (requested_method == nullptr) {
      return filter::FilterStatus::kContinue;
    }
    ctx.reply(preflight(*requested_method, headers->get("access-control-request-headers")));
    return filter::FilterStatus::kStop;
  }

  filter::FilterStatus on_response_headers(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.response_headers();
    if (headers == nullptr) {
      return filter::FilterStatus::kContinue;
    }
    // This filter owns the CORS headers: an upstream's own never leak past the policy.
    headers->remove(kAllowOrigin);
    headers->remove(kAllowCredentials);
    headers->remove(kExposeHeaders);
    if (allowed_) {
      headers->add(kAllowOrigin, allow_origin_value());
      if (policy_.allow_credentials) {
        headers->add(kAllowCredentials, "true");
      }
      if (!policy_.expose_value.empty()) {
        headers->add(kExposeHeaders, policy_.expose_value);
      }
    }
    if (!policy_.origin_independent()) {
      merge_vary(*headers, "Origin");
    }
    return filter::FilterStatus::kContinue;
  }

 private:
  [[nodiscard]] std::string_view allow_origin_value() const {
    return policy_.origin_independent() ? std::string_view("*") : origin_;
  }

  static filter::LocalReply rejected(std::string message) {
    filter::LocalReply reply =
        filter::LocalReply::from_error(Error(ErrorCode::kForbidden, std::move(message)));
    reply.headers.emplace_back("Vary", kPreflightVary);
    return reply;
  }

  [[nodiscard]] filter::LocalReply preflight(std::string_view method,
                                             std::string_view request_headers) const {
    if (!allowed_) {
      return rejected("CORS preflight: origin not allowed");
    }
    if (!policy_.method_allowed(method)) {
      return rejected("CORS preflight: method not allowed");
    }
    std::string allow_headers;
    std::string refused;
    for_each_element(request_headers, [&](std::string_view name) {
      std::string lower(name);
      std::ranges::transform(lower, lower.begin(),
                             [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!http1::syntax::is_token(lower) || !policy_.header_allowed(lower)) {
        refused = refused.empty() ? lower : refused;
        return;
      }
      allow_headers += allow_headers.empty() ? "" : ", ";
      allow_headers += lower;
    });
    if (!refused.empty()) {
      return rejected("CORS preflight: header '" + refused + "' not allowed");
    }
    filter::LocalReply reply{.status = 204, .content_type = ""};
    reply.headers.emplace_back("Access-Control-Allow-Origin", allow_origin_value());
    if (policy_.allow_credentials) {
      reply.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    }
    // With "*" the requested method is echoed: a literal "*" means nothing with credentials.
    reply.headers.emplace_back("Access-Control-Allow-Methods",
                               policy_.any_method ? std::string(method) : policy_.methods_value);
    if (!allow_headers.empty()) {
      reply.headers.emplace_back("Access-Control-Allow-Headers", std::move(allow_headers));
    }
    if (policy_.max_age) {
      reply.headers.emplace_back("Access-Control-Max-Age", *policy_.max_age);
    }
    reply.headers.emplace_back("Vary", kPreflightVary);
    return reply;
  }

  const CorsPolicy& policy_;
  std::string_view origin_;  // in the exchange's arena; empty without an Origin
  bool allowed_ = false;
};

bool is_host_label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
}

}  // namespace

bool CorsPolicy::origin_allowed(std::string_view origin) const {
  if (any_origin) {
    return true;
  }
  if (std::ranges::any_of(
          exact_origins, [&](const std::string& exact) { return http1::iequals(exact, origin); })) {
    return true;
  }
  return std::ranges::any_of(wildcard_origins, [&](const WildcardOrigin& pattern) {
    if (origin.size() <= pattern.scheme.size() + pattern.suffix.size() ||
        !http1::iequals(origin.substr(0, pattern.scheme.size()), pattern.scheme) ||
        !http1::iequals(origin.substr(origin.size() - pattern.suffix.size()), pattern.suffix)) {
      return false;
    }
    // The labels the '*' stands for: a host name's characters, no empty label at either end
    // (the suffix starts with the dot, so a trailing dot would make "..").
    const std::string_view labels = origin.substr(
        pattern.scheme.size(), origin.size() - pattern.scheme.size() - pattern.suffix.size());
    return std::ranges::all_of(labels, is_host_label_char) && labels.front() != '.' &&
           labels.back() != '.' && labels.find("..") == std::string_view::npos;
  });
}

bool CorsPolicy::method_allowed(std::string_view method) const {
  return any_method || std::ranges::find(methods, method) != methods.end();
}

bool CorsPolicy::header_allowed(std::string_view lower_name) const {
  return any_header || std::ranges::find(headers, lower_name) != headers.end();
}

void merge_vary(filter::HeaderMap& headers, std::string_view token) {
  std::string merged;
  bool present = false;
  bool any = false;
  for (const http1::Header& field : headers.fields()) {
    if (!http1::iequals(field.name, "vary")) {
      continue;
    }
    any = true;
    for_each_element(field.value, [&](std::string_view element) {
      present = present || element == "*" || http1::iequals(element, token);
      merged += merged.empty() ? "" : ", ";
      merged += element;
    });
  }
  if (present) {
    return;
  }
  if (!any) {  // the common case: no string to build
    headers.add("Vary", token);
    return;
  }
  merged += merged.empty() ? "" : ", ";
  merged += token;
  headers.set("Vary", merged);
}

filter::ArenaPtr<filter::Filter> CorsFactory::create(filter::Arena& arena) const {
  return arena.make<CorsFilter>(policy_);
}

}  // namespace nexus::filters

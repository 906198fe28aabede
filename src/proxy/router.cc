#include "proxy/router.h"

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace nexus::proxy {
namespace {

// The host without its port: "a.com:80" -> "a.com", "[::1]:80" -> "[::1]". A bare IPv6 literal
// (several colons, no brackets) is not valid in Host, but is left whole rather than cut at a colon.
std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.find(':');
  if (colon == std::string_view::npos || host.find(':', colon + 1) != std::string_view::npos) {
    return host;
  }
  return host.substr(0, colon);
}

bool ends_with_icase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         http1::iequals(text.substr(text.size() - suffix.size()), suffix);
}

bool full_match(std::string_view text, const RE2& re) {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), re);
}

// Compiles `pattern`, or fails naming where it came from.
Result<std::unique_ptr<RE2>> compile(const std::string& pattern, const std::string& where) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, opts);
  if (!re->ok()) {
    return fail(ErrorCode::kInvalidConfig, where + ": " + re->error());
  }
  return re;
}

}  // namespace

struct Router::CompiledRoute {
  struct HostPattern {
    std::string_view name;  // exact host, or for a wildcard the suffix with its dot (".a.com")
    bool wildcard = false;
  };
  enum class HeaderKind : uint8_t { kExact, kRegex, kPresent, kAbsent };
  struct HeaderCheck {
    std::string_view name;
    HeaderKind kind = HeaderKind::kPresent;
    std::string_view exact;
    std::unique_ptr<RE2> regex;
  };

  const config::Route* route = nullptr;
  std::vector<HostPattern> hosts;
  std::unique_ptr<RE2> path_regex;
  std::vector<HeaderCheck> headers;

  bool host_matches(std::string_view host) const;
  bool headers_match(std::span<const http1::Header> request_headers) const;
  bool matches(const RouteRequest& request) const;
};

bool Router::CompiledRoute::host_matches(std::string_view host) const {
  if (hosts.empty()) {
    return true;
  }
  host = strip_port(host);
  for (const HostPattern& pattern : hosts) {
    if (pattern.wildcard) {
      // Longer than the suffix: "example.com" and ".example.com" do not match "*.example.com".
      if (host.size() > pattern.name.size() && ends_with_icase(host, pattern.name)) {
        return true;
      }
    } else if (http1::iequals(host, pattern.name)) {
      return true;
    }
  }
  return false;
}

bool Router::CompiledRoute::headers_match(std::span<const http1::Header> request_headers) const {
  for (const HeaderCheck& check : headers) {
    bool found = false;
    bool matched = false;
    for (const http1::Header& header : request_headers) {
      if (!http1::iequals(header.name, check.name)) {
        continue;
      }
      found = true;
      if (check.kind == HeaderKind::kExact) {
        matched = header.value == check.exact;
      } else if (check.kind == HeaderKind::kRegex) {
        matched = full_match(header.value, *check.regex);
      }
      if (matched || check.kind == HeaderKind::kPresent || check.kind == HeaderKind::kAbsent) {
        break;
      }
    }
    bool ok = check.kind == HeaderKind::kPresent  ? found
              : check.kind == HeaderKind::kAbsent ? !found
                                                  : matched;
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool Router::CompiledRoute::matches(const RouteRequest& request) const {
  const config::RouteMatch& match = route->match;
  if (!match.methods.empty()) {
    bool any = false;
    for (const std::string& method : match.methods) {
      if (request.method == method) {
        any = true;
        break;
      }
    }
    if (!any) {
      return false;
    }
  }
  if (match.path && request.path != *match.path) {
    return false;
  }
  if (match.prefix && !request.path.starts_with(*match.prefix)) {
    return false;
  }
  // Cheap checks first: a regex runs only when everything else already agrees.
  if (!host_matches(request.host)) {
    return false;
  }
  if (path_regex && !full_match(request.path, *path_regex)) {
    return false;
  }
  return headers_match(request.headers);
}

Router::Router() = default;
Router::~Router() = default;

Result<std::unique_ptr<Router>> Router::build(const std::vector<config::Route>& routes) {
  std::unique_ptr<Router> router(new Router());
  router->routes_.reserve(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) {
    const config::Route& route = routes[i];
    const std::string where = "routes[" + std::to_string(i) + "].match";
    auto compiled = std::make_unique<CompiledRoute>();
    compiled->route = &route;

    for (const std::string& host : route.match.hosts) {
      if (host.starts_with("*.")) {
        compiled->hosts.push_back({std::string_view(host).substr(1), true});
      } else {
        compiled->hosts.push_back({host, false});
      }
    }
    if (route.match.regex) {
      auto re = compile(*route.match.regex, where + ".regex");
      if (!re) {
        return std::unexpected(std::move(re.error()));
      }
      compiled->path_regex = std::move(*re);
    }
    for (size_t h = 0; h < route.match.headers.size(); ++h) {
      const config::HeaderMatch& header = route.match.headers[h];
      CompiledRoute::HeaderCheck check;
      check.name = header.name;
      if (header.exact) {
        check.kind = CompiledRoute::HeaderKind::kExact;
        check.exact = *header.exact;
      } else if (header.regex) {
        auto re = compile(*header.regex, where + ".headers[" + std::to_string(h) + "].regex");
        if (!re) {
          return std::unexpected(std::move(re.error()));
        }
        check.kind = CompiledRoute::HeaderKind::kRegex;
        check.regex = std::move(*re);
      } else {
        check.kind = header.present ? CompiledRoute::HeaderKind::kPresent
                                    : CompiledRoute::HeaderKind::kAbsent;
      }
      compiled->headers.push_back(std::move(check));
    }
    router->routes_.push_back(std::move(compiled));
  }
  return router;
}

const config::Route* Router::match(const RouteRequest& request) const {
  for (const auto& compiled : routes_) {
    if (compiled->matches(request)) {
      return compiled->route;
    }
  }
  return nullptr;
}

std::string rewrite_target(const config::Route& route, std::string_view target) {
  if (!route.prefix_rewrite) {
    return std::string(target);
  }
  size_t query_start = target.find('?');
  std::string_view path = target.substr(0, query_start);
  std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : target.substr(query_start);

  // The matched prefix: the `prefix` condition, or the whole path for an exact `path`. A regex
  // match has no prefix to replace, so the target goes upstream as received.
  size_t matched = 0;
  if (route.match.prefix && path.starts_with(*route.match.prefix)) {
    matched = route.match.prefix->size();
  } else if (route.match.path && path == *route.match.path) {
    matched = path.size();
  } else {
    return std::string(target);
  }

  std::string out;
  out.reserve(route.prefix_rewrite->size() + (path.size() - matched) + query.size() + 1);
  out.append(*route.prefix_rewrite);
  out.append(path.substr(matched));
  if (out.empty()) {
    out.push_back('/');  // an empty origin-form path is not valid HTTP
  }
  out.append(query);
  return out;
}

}  // namespace nexus::proxy

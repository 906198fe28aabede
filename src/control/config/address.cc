#include "control/config/address.h"

#include <arpa/inet.h>

#include <array>

#include "control/config/units.h"

namespace nexus::control::config_internal {
namespace {

struct SplitAddress {
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
};

// Splits "host:port" / "[v6]:port"; nullopt when the shape is wrong.
std::optional<SplitAddress> split_host_port(std::string_view text) {
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    return SplitAddress{
        .host = text.substr(1, close - 1), .port = text.substr(close + 2), .bracketed = true};
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos ||
      text.substr(0, colon).find(':') != std::string_view::npos) {
    return std::nullopt;  // no port, or an IPv6 literal without brackets
  }
  return SplitAddress{
      .host = text.substr(0, colon), .port = text.substr(colon + 1), .bracketed = false};
}

std::optional<uint16_t> parse_port(std::string_view text) {
  std::optional<uint64_t> port = parse_uint(text);
  if (!port || *port < 1 || *port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(*port);
}

// Canonical text of an IP literal, or nullopt when `host` is not one of the given family.
std::optional<std::string> canonical_ip(std::string_view host, int family) {
  std::array<unsigned char, 16> bytes{};
  std::string copy(host);
  if (inet_pton(family, copy.c_str(), bytes.data()) != 1) {
    return std::nullopt;
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(family, bytes.data(), text.data(), text.size()) == nullptr) {
    return std::nullopt;
  }
  return std::string(text.data());
}

bool all_digits_and_dots(std::string_view host) {
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

std::expected<HostPort, std::string> parse_listen_address(std::string_view text) {
  const std::string shape = "expected IPv4:port or [IPv6]:port, e.g. 127.0.0.1:8080 or [::1]:8080";
  std::optional<SplitAddress> split = split_host_port(text);
  if (!split) {
    return std::unexpected(shape + ", got '" + std::string(text) + "'");
  }
  std::optional<std::string> host =
      canonical_ip(split->host, split->bracketed ? AF_INET6 : AF_INET);
  if (!host) {
    return std::unexpected("'" + std::string(split->host) +
                           "' is not an IP address (listen addresses take an IP literal; use "
                           "0.0.0.0 or [::] for all interfaces)");
  }
  std::optional<uint16_t> port = parse_port(split->port);
  if (!port) {
    return std::unexpected("invalid port '" + std::string(split->port) + "' (expected 1-65535)");
  }
  return HostPort{.host = std::move(*host), .port = *port};
}

std::expected<HostPort, std::string> parse_endpoint_address(std::string_view text) {
  std::optional<SplitAddress> split = split_host_port(text);
  if (!split) {
    return std::unexpected(
        "expected host:port, e.g. 10.0.0.5:9000, backend.internal:9000 or "
        "[::1]:9000, got '" +
        std::string(text) + "'");
  }
  bool host_ok = split->bracketed
                     ? canonical_ip(split->host, AF_INET6).has_value()
                     : is_ip_literal(split->host) ||
                           (!all_digits_and_dots(split->host) && is_dns_name(split->host));
  if (!host_ok) {
    return std::unexpected("'" + std::string(split->host) +
                           "' is neither a host name nor an IP address");
  }
  std::optional<uint16_t> port = parse_port(split->port);
  if (!port) {
    return std::unexpected("invalid port '" + std::string(split->port) + "' (expected 1-65535)");
  }
  return HostPort{.host = std::string(split->host), .port = *port};
}

bool is_ip_literal(std::string_view host) {
  return canonical_ip(host, AF_INET).has_value() || canonical_ip(host, AF_INET6).has_value();
}

bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
      if (!ok) {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

std::string to_lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool is_token(std::string_view text) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              kSpecials.find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace nexus::control::config_internal

// Syntax checks for addresses, host names and HTTP tokens in the configuration.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace nexus::control::config_internal {

struct HostPort {
  std::string host;  // IPv6 without brackets
  uint16_t port = 0;
};

// "IPv4:port" or "[IPv6]:port" with an IP literal; the host comes back in canonical form (so
// "[0::1]:80" and "[::1]:80" compare equal). The error is a message without file or line.
std::expected<HostPort, std::string> parse_listen_address(std::string_view text);

// "host:port" where host is a DNS name or an IP literal ("[IPv6]:port" for IPv6).
std::expected<HostPort, std::string> parse_endpoint_address(std::string_view text);

bool is_ip_literal(std::string_view host);

// Letters, digits, '-' and '_' in dot-separated labels of 1-63 characters, 253 at most in all.
// '_' is not valid in DNS proper but common in container service names.
bool is_dns_name(std::string_view host);

// ASCII lower case (host and header names are case-insensitive).
std::string to_lower_ascii(std::string_view text);

// An RFC 9110 token (method and header names).
bool is_token(std::string_view text);

}  // namespace nexus::control::config_internal

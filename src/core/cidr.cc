#include "core/cidr.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

namespace nexus {
namespace {

constexpr uint64_t kMappedPrefix = 0xffff00000000ULL;  // ::ffff:0:0/96, low half

uint64_t load_be64(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | bytes[i];
  }
  return value;
}

// `count` leading one bits in a 64-bit word (count in 0..64).
uint64_t leading_ones(int count) {
  if (count <= 0) {
    return 0;
  }
  return count >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - count);
}

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  std::array<char, INET6_ADDRSTRLEN + 1> buffer{};  // inet_pton wants a terminated string
  if (text.empty() || text.size() >= buffer.size()) {
    return std::nullopt;
  }
  std::memcpy(buffer.data(), text.data(), text.size());
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, buffer.data(), bytes.data()) == 1) {
    return IpAddress{.high = 0, .low = kMappedPrefix | load_be64(bytes.data()) >> 32};
  }
  if (inet_pton(AF_INET6, buffer.data(), bytes.data()) == 1) {
    return IpAddress{.high = load_be64(bytes.data()), .low = load_be64(bytes.data() + 8)};
  }
  return std::nullopt;
}

std::optional<IpAddress> parse_forwarded_ip(std::string_view text, std::string_view* bare) {
  text = trim(text);
  if (text.starts_with('[')) {  // [v6] or [v6]:port
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    text = text.substr(1, close - 1);
  } else if (const size_t colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    text = text.substr(0, colon);  // one colon: v4:port (an IPv6 address has at least two)
  }
  text = text.substr(0, text.find('%'));  // fe80::1%eth0
  std::optional<IpAddress> address = parse_ip(text);
  if (address && bare != nullptr) {
    *bare = text;
  }
  return address;
}

std::expected<CidrRange, std::string> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const std::optional<IpAddress> address = parse_ip(address_text);
  if (!address) {
    return std::unexpected("'" + std::string(address_text) + "' is not an IPv4 or IPv6 address");
  }
  const bool v4 = address_text.find(':') == std::string_view::npos;
  const int max_prefix = v4 ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string digits(text.substr(slash + 1));  // config time: a copy is fine
    const char* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, prefix);
    if (digits.empty() || ec != std::errc() || ptr != end || prefix < 0 || prefix > max_prefix) {
      return std::unexpected("prefix length '" + digits + "' is not 0 to " +
                             std::to_string(max_prefix));
    }
  }
  const int bits = v4 ? prefix + 96 : prefix;
  const IpAddress mask{.high = leading_ones(bits), .low = leading_ones(bits - 64)};
  const IpAddress network{.high = address->high & mask.high, .low = address->low & mask.low};
  if (network != *address) {
    return std::unexpected("host bits are set beyond /" + std::to_string(prefix) +
                           " (write the network address)");
  }
  return CidrRange{.network = network, .mask = mask};
}

}  // namespace nexus

// IP addresses and CIDR prefixes (ip_filter, virtual keys' allowed_ips). Every address is held as
// 128 bits; an IPv4 address as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so that ::ffff:10.1.2.3
// from a dual-stack socket matches the rule 10.0.0.0/8 and one comparison serves both families.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nexus {

struct IpAddress {
  uint64_t high = 0;
  uint64_t low = 0;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// An address exactly as inet_pton reads it (dotted IPv4 or IPv6 text), or nullopt.
std::optional<IpAddress> parse_ip(std::string_view text);

// An address as proxies write it into X-Forwarded-For: surrounding blanks, "[v6]", "[v6]:port",
// "v4:port" and a "%zone" are accepted and left out. `bare` gets the address text alone.
std::optional<IpAddress> parse_forwarded_ip(std::string_view text, std::string_view* bare);

struct CidrRange {
  IpAddress network;  // host bits clear
  IpAddress mask;

  [[nodiscard]] bool contains(const IpAddress& address) const {
    return (address.high & mask.high) == network.high && (address.low & mask.low) == network.low;
  }
};

// "10.0.0.0/8", "2001:db8::/32", or a single address; an error text otherwise (host bits set
// beyond the prefix are an error: "10.0.0.1/8" is more likely a typo than intended).
std::expected<CidrRange, std::string> parse_cidr(std::string_view text);

// A list of prefixes, matched by a linear scan: two masked 64-bit compares per prefix, fast
// enough for the few dozen a config lists (a trie would pay off only for thousands).
class CidrSet {
 public:
  void add(const CidrRange& range) { ranges_.push_back(range); }
  [[nodiscard]] bool empty() const { return ranges_.empty(); }
  [[nodiscard]] bool contains(const IpAddress& address) const {
    for (const CidrRange& range : ranges_) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<CidrRange> ranges_;
};

}  // namespace nexus

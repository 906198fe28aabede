// ip_filter: CIDR parsing and matching for IPv4 and IPv6 (mapped addresses too), deny over
// allow, X-Forwarded-For walking behind trusted proxies, the 403 and config errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../filter_test_harness.h"
#include "core/cidr.h"
#include "filters/ip_filter/ip_filter_filter.h"

namespace nexus::filters {
namespace {

using filter::Verdict;
using filter::testing::Exchange;
using filter::testing::expect_config_errors;
using filter::testing::FakeClock;
using filter::testing::load_filter;

CidrRange cidr(std::string_view text) {
  auto range = parse_cidr(text);
  EXPECT_TRUE(range) << text << ": " << range.error();
  return range.value_or(CidrRange{});
}

IpAddress ip(std::string_view text) {
  auto address = parse_ip(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(IpAddress{});
}

TEST(IpFilterCidr, MatchesIpv4AndIpv6Prefixes) {
  struct Case {
    const char* range;
    const char* address;
    bool inside;
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.255.1.2", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"192.168.1.0/24", "192.168.1.255", true},
      {"192.168.1.0/24", "192.168.2.0", false},
      {"192.168.1.7", "192.168.1.7", true},
      {"192.168.1.7", "192.168.1.8", false},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"0.0.0.0/0", "2001:db8::1", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // IPv4-mapped matches IPv4 rules
      {"10.0.0.0/8", "::ffff:11.1.2.3", false},
      {"::ffff:10.0.0.0/104", "10.9.9.9", true},  // and the mapped rule matches IPv4
      {"10.0.0.0/8", "::10.1.2.3", false},        // IPv4-compatible (deprecated) is not mapped
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8:0:1::/64", "2001:db8:0:1:ffff::", true},
      {"2001:db8:0:1::/64", "2001:db8:0:2::", false},
      {"2001:db8::1:0/112", "2001:db8::1:ffff", true},
      {"2001:db8::1:0/112", "2001:db8::2:0", false},
      {"2001:db8::1/128", "2001:db8::1", true},
      {"::/0", "1.2.3.4", true},
      {"::1", "::1", true},
      {"fe80::/10", "febf::1", true},
      {"fe80::/10", "fec0::1", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(cidr(c.range).contains(ip(c.address)), c.inside) << c.range << " " << c.address;
  }
}

TEST(IpFilterCidr, RejectsBadText) {
  for (const char* text : {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8",
                           "300.0.0.0/8", "2001:db8::/129", "2001:db8::g/32", "10.0.0.1/8",
                           "2001:db8::1/32", "example.com", " 10.0.0.0/8"}) {
    EXPECT_FALSE(parse_cidr(text)) << text;
  }
  EXPECT_EQ(parse_cidr("10.0.0.1/8").error(),
            "host bits are set beyond /8 (write the network address)");
}

TEST(IpFilterCidr, ForwardedEntriesMayCarryPortsBracketsAndZones) {
  struct Case {
    const char* entry;
    const char* bare;  // nullptr: malformed
  };
  const Case cases[] = {
      {" 1.2.3.4 ", "1.2.3.4"},
      {"1.2.3.4:5678", "1.2.3.4"},
      {"[2001:db8::1]:443", "2001:db8::1"},
      {"[2001:db8::1]", "2001:db8::1"},
      {"2001:db8::1", "2001:db8::1"},
      {"fe80::1%eth0", "fe80::1"},
      {"", nullptr},
      {"unknown", nullptr},
      {"[2001:db8::1", nullptr},
      {"1.2.3.4.5", nullptr},
      {"_hidden", nullptr},
  };
  for (const auto& c : cases) {
    std::string_view bare;
    const auto address = parse_forwarded_ip(c.entry, &bare);
    if (c.bare == nullptr) {
      EXPECT_FALSE(address) << c.entry;
    } else {
      ASSERT_TRUE(address) << c.entry;
      EXPECT_EQ(bare, c.bare);
    }
  }
}

struct WalkCase {
  const char* name;
  const char* peer;
  std::vector<const char*> xff;  // one field each
  const char* client;
};

TEST(IpFilterWalk, FindsTheFirstUntrustedAddressFromTheRight) {
  CidrSet trusted;
  trusted.add(cidr("10.0.0.0/8"));
  trusted.add(cidr("2001:db8:ffff::/48"));
  const WalkCase cases[] = {
      {"untrusted peer: xff ignored", "203.0.113.9", {"1.1.1.1"}, "203.0.113.9"},
      {"trusted peer, no xff", "10.0.0.1", {}, "10.0.0.1"},
      {"one hop", "10.0.0.1", {"198.51.100.7"}, "198.51.100.7"},
      {"spoofed left part is skipped",
       "10.0.0.1",
       {"6.6.6.6, 198.51.100.7, 10.2.3.4"},
       "198.51.100.7"},
      {"several fields in order",
       "10.0.0.1",
       {"6.6.6.6, 198.51.100.7", "10.2.3.4"},
       "198.51.100.7"},
      {"all trusted: the leftmost", "10.0.0.1", {"10.9.9.9, 10.2.3.4"}, "10.9.9.9"},
      {"mapped peer is trusted", "::ffff:10.0.0.1", {"198.51.100.7"}, "198.51.100.7"},
      {"ipv6 chain", "2001:db8:ffff::1", {"2001:db8::5, [2001:db8:ffff::2]:80"}, "2001:db8::5"},
      {"port on the client", "10.0.0.1", {"198.51.100.7:4444"}, "198.51.100.7"},
      {"malformed right after the peer", "10.0.0.1", {"1.1.1.1, garbage"}, "10.0.0.1"},
      {"malformed behind a trusted hop", "10.0.0.1", {"1.1.1.1, unknown, 10.5.5.5"}, "10.5.5.5"},
      {"malformed left of the client is ignored",
       "10.0.0.1",
       {"garbage, 198.51.100.7"},
       "198.51.100.7"},
      {"empty entry", "10.0.0.1", {"198.51.100.7,"}, "10.0.0.1"},
      {"unreadable peer", "", {"198.51.100.7"}, ""},
  };
  for (const auto& c : cases) {
    std::vector<http1::Header> fields = {{"host", "example.com"}};
    for (const char* value : c.xff) {
      fields.push_back({"X-Forwarded-For", value});
    }
    EXPECT_EQ(find_client(c.peer, fields, trusted).text, c.client) << c.name;
  }
}

class IpFilterTest : public ::testing::Test {
 protected:
  void load(std::string_view yaml) {
    auto factory = load_filter(yaml);
    ASSERT_TRUE(factory) << factory.error().message();
    chain_ = {*factory};
  }
  // The verdict for a request from `peer` with one X-Forwarded-For field (if not empty).
  Verdict run(std::string peer, std::string xff = "", std::string* client = nullptr) {
    Exchange ex(chain_,
                filter::RequestInfo{.method = "GET", .target = "/", .peer_ip = std::move(peer)},
                clock_);
    if (!xff.empty()) {
      ex.add_request_header("X-Forwarded-For", std::move(xff));
    }
    const Verdict verdict = ex.request_headers();
    if (client != nullptr) {
      *client = std::string(ex.context().client_ip());
    }
    if (verdict == Verdict::kReply) {
      reply_ = ex.run().take_reply();
    }
    return verdict;
  }

  FakeClock clock_;
  config::FilterChain chain_;
  filter::LocalReply reply_;
};

TEST_F(IpFilterTest, DenyWinsOverAllowAndRefusalsAre403Json) {
  load(
      "  - ip_filter:\n"
      "      allow: [10.0.0.0/8, \"2001:db8::/32\"]\n"
      "      deny: [10.6.0.0/16, \"2001:db8:bad::/48\"]\n");
  EXPECT_EQ(run("10.1.2.3"), Verdict::kContinue);
  EXPECT_EQ(run("::ffff:10.1.2.3"), Verdict::kContinue);
  EXPECT_EQ(run("2001:db8::1"), Verdict::kContinue);
  EXPECT_EQ(run("10.6.2.3"), Verdict::kReply);
  EXPECT_EQ(reply_.status, 403);
  EXPECT_EQ(reply_.content_type, "application/json");
  EXPECT_EQ(reply_.body, R"({"error":{"message":"access from this address is not allowed",)"
                         R"("type":"permission_error","code":"forbidden"}})");
  EXPECT_EQ(run("2001:db8:bad::1"), Verdict::kReply);
  EXPECT_EQ(run("192.168.0.1"), Verdict::kReply);
  EXPECT_EQ(run(""), Verdict::kReply) << "an unreadable address is not on the allow list";
}

TEST_F(IpFilterTest, EmptyAllowListAllowsAllButTheDenied) {
  load("  - ip_filter: {deny: [203.0.113.0/24]}\n");
  EXPECT_EQ(run("198.51.100.1"), Verdict::kContinue);
  EXPECT_EQ(run("2001:db8::1"), Verdict::kContinue);
  EXPECT_EQ(run("::ffff:203.0.113.5"), Verdict::kReply);
  EXPECT_EQ(run(""), Verdict::kContinue);
}

TEST_F(IpFilterTest, TrustedProxiesSetTheClientThatTheListsJudge) {
  load(
      "  - ip_filter:\n"
      "      trusted_proxies: [10.0.0.0/8]\n"
      "      deny: [203.0.113.0/24]\n");
  std::string client;
  EXPECT_EQ(run("10.0.0.1", "198.51.100.7, 10.0.0.2", &client), Verdict::kContinue);
  EXPECT_EQ(client, "198.51.100.7");
  EXPECT_EQ(run("10.0.0.1", "203.0.113.5", &client), Verdict::kReply);
  EXPECT_EQ(client, "203.0.113.5");
  // A client may claim anything: behind no trusted proxy its own header is ignored.
  EXPECT_EQ(run("203.0.113.5", "198.51.100.7", &client), Verdict::kReply);
  EXPECT_EQ(client, "203.0.113.5");
  // Nor can it hide behind a fake entry left of what the proxy appended.
  EXPECT_EQ(run("10.0.0.1", "198.51.100.7, 203.0.113.5", &client), Verdict::kReply);
}

TEST(IpFilterConfig, Errors) {
  expect_config_errors({
      {"  - ip_filter: {}\n",
       "test.yaml:5: filters[0].ip_filter: expected at least one of allow, deny and "
       "trusted_proxies"},
      {"  - ip_filter:\n      allow:\n        - 10.0.0.0/8\n        - 10.0.0.0/40\n",
       "test.yaml:8: filters[0].ip_filter.allow[1]: expected a CIDR like 10.0.0.0/8 or "
       "2001:db8::/32: prefix length '40' is not 0 to 32"},
      {"  - ip_filter: {deny: [10.0.0.1/8]}\n",
       "test.yaml:5: filters[0].ip_filter.deny[0]: expected a CIDR like 10.0.0.0/8 or "
       "2001:db8::/32: host bits are set beyond /8"},
      {"  - ip_filter: {trusted_proxies: [proxy.local]}\n",
       "test.yaml:5: filters[0].ip_filter.trusted_proxies[0]: expected a CIDR like 10.0.0.0/8 or "
       "2001:db8::/32: 'proxy.local' is not an IPv4 or IPv6 address"},
      {"  - ip_filter: {allow: 10.0.0.0/8}\n",
       "test.yaml:5: filters[0].ip_filter.allow: expected a list"},
      {"  - ip_filter: {allowed: [10.0.0.0/8]}\n",
       "test.yaml:5: filters[0].ip_filter: unknown key 'allowed'"},
  });
}

}  // namespace
}  // namespace nexus::filters

// The ip_filter filter, in on_request_headers: finds the client (the peer, or behind trusted
// proxies the first untrusted X-Forwarded-For entry from the right), records it with
// ctx.set_client_ip(), and answers 403 when the deny list has it or the allow list lacks it.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "filters/ip_filter/config.h"
#include "http/filter/filter.h"
#include "http/http1/message.h"

namespace nexus::filters {

struct ClientAddress {
  std::string_view text;             // the address alone (no port, brackets or zone)
  std::optional<IpAddress> address;  // nullopt: the peer's address could not be read
};

// The client of a request from `peer` with these request header fields: the peer unless it is
// a trusted proxy; then X-Forwarded-For (all its fields, in order) walked from the right,
// skipping trusted addresses, up to the first untrusted one. Every entry trusted: the leftmost.
// A malformed entry ends the walk at the nearest trusted hop seen so far: nothing to its left
// can be believed, and it cannot serve as an address.
ClientAddress find_client(std::string_view peer, const std::vector<http1::Header>& fields,
                          const CidrSet& trusted);

class IpFilterFactory final : public filter::FilterFactory {
 public:
  explicit IpFilterFactory(IpFilterConfig config) : config_(std::move(config)) {}

  [[nodiscard]] std::string_view type() const override { return "ip_filter"; }
  [[nodiscard]] uint32_t hooks() const override { return filter::kRequestHeadersHook; }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;

  // Whether a client address may pass (deny wins; an empty allow list allows all; an unreadable
  // address passes only when there is no allow list).
  [[nodiscard]] bool allowed(const std::optional<IpAddress>& address) const;
  [[nodiscard]] const IpFilterConfig& config() const { return config_; }

 private:
  IpFilterConfig config_;
};

}  // namespace nexus::filters

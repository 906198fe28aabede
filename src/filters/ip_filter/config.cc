#include "filters/ip_filter/config.h"

#include "filters/ip_filter/ip_filter_filter.h"

namespace nexus::filters {
namespace {

Result<void> read_cidrs(const Reader& r, const Field& field, CidrSet& out) {
  auto items = r.items(field, /*non_empty=*/false);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  for (const Field& item : *items) {
    auto text = r.string(item);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    auto range = parse_cidr(*text);
    if (!range) {
      return r.error(item, "expected a CIDR like 10.0.0.0/8 or 2001:db8::/32: " + range.error());
    }
    out.add(*range);
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_ip_filter_filter(const Reader& r,
                                                                      const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"allow", "deny", "trusted_proxies"}));
  IpFilterConfig config;
  NEXUS_CONFIG_TRY(read_cidrs(r, r.child(field, "allow"), config.allow));
  NEXUS_CONFIG_TRY(read_cidrs(r, r.child(field, "deny"), config.deny));
  NEXUS_CONFIG_TRY(read_cidrs(r, r.child(field, "trusted_proxies"), config.trusted_proxies));
  if (config.allow.empty() && config.deny.empty() && config.trusted_proxies.empty()) {
    return r.error(field, "expected at least one of allow, deny and trusted_proxies");
  }
  return std::make_shared<IpFilterFactory>(std::move(config));
}

}  // namespace nexus::filters

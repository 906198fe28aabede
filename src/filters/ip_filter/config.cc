#include "filters/ip_filter/config.h"

#include "filters/ip_filter/ip_filter_filter.h"

namespace nexus::filters {
namespace {

// The CIDRs listed under `key`, added to `out`.
Result<void> read_cidrs(const Reader& r, const Field& map, std::string_view key, CidrSet& out) {
  const auto add = [&](const Field& item, const std::string& text) -> Result<void> {
    auto range = parse_cidr(text);
    if (!range) {
      return r.error(item, "expected a CIDR like 10.0.0.0/8 or 2001:db8::/32: " + range.error());
    }
    out.add(*range);
    return {};
  };
  NEXUS_CONFIG_TRY(r.strings(r.child(map, key), /*non_empty=*/false, add));
  return {};
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_ip_filter_filter(const Reader& r,
                                                                      const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"allow", "deny", "trusted_proxies"}));
  IpFilterConfig config;
  NEXUS_CONFIG_TRY(read_cidrs(r, field, "allow", config.allow));
  NEXUS_CONFIG_TRY(read_cidrs(r, field, "deny", config.deny));
  NEXUS_CONFIG_TRY(read_cidrs(r, field, "trusted_proxies", config.trusted_proxies));
  if (config.allow.empty() && config.deny.empty() && config.trusted_proxies.empty()) {
    return r.error(field, "expected at least one of allow, deny and trusted_proxies");
  }
  return std::make_shared<IpFilterFactory>(std::move(config));
}

}  // namespace nexus::filters

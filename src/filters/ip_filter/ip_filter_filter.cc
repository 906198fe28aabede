#include "filters/ip_filter/ip_filter_filter.h"

#include <ranges>

namespace nexus::filters {
namespace {

class IpFilter final : public filter::Filter {
 public:
  explicit IpFilter(const IpFilterFactory& factory) : factory_(factory) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    const filter::HeaderMap* headers = ctx.request_headers();
    static const std::vector<http1::Header> kNoFields;
    const ClientAddress client =
        find_client(ctx.request().peer_ip, headers != nullptr ? headers->fields() : kNoFields,
                    factory_.config().trusted_proxies);
    if (client.text != ctx.request().peer_ip) {
      ctx.set_client_ip(client.text);  // copied into the arena: the header may be rewritten
    }
    if (!factory_.allowed(client.address)) {
      ctx.reply_error(Error(ErrorCode::kForbidden, "access from this address is not allowed"));
      return filter::FilterStatus::kStop;
    }
    return filter::FilterStatus::kContinue;
  }

 private:
  const IpFilterFactory& factory_;
};

}  // namespace

ClientAddress find_client(std::string_view peer, const std::vector<http1::Header>& fields,
                          const CidrSet& trusted) {
  std::string_view bare_peer;
  ClientAddress current{.text = peer, .address = parse_forwarded_ip(peer, &bare_peer)};
  if (!current.address || !trusted.contains(*current.address)) {
    return current;
  }
  current.text = bare_peer;
  // From the last field to the first, and within one from the last entry to the first.
  for (const http1::Header& field : std::views::reverse(fields)) {
    if (!http1::iequals(field.name, "x-forwarded-for")) {
      continue;
    }
    std::string_view rest = field.value;
    for (;;) {
      const size_t comma = rest.rfind(',');
      const std::string_view entry =
          comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      std::string_view bare;
      const std::optional<IpAddress> address = parse_forwarded_ip(entry, &bare);
      if (!address) {
        return current;  // malformed: the nearest trusted hop is all we know
      }
      current = {.text = bare, .address = address};
      if (!trusted.contains(*address)) {
        return current;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest = rest.substr(0, comma);
    }
  }
  return current;
}

bool IpFilterFactory::allowed(const std::optional<IpAddress>& address) const {
  if (!address) {
    return config_.allow.empty();
  }
  if (config_.deny.contains(*address)) {
    return false;
  }
  return config_.allow.empty() || config_.allow.contains(*address);
}

filter::ArenaPtr<filter::Filter> IpFilterFactory::create(filter::Arena& arena) const {
  return arena.make<IpFilter>(*this);
}

}  // namespace nexus::filters

// The `observability` section: the ops listener and tracing (alerts: alerts.cc, parsed after
// the routes) (docs/observability.md).
#include "control/config/sections.h"

namespace nexus::control::config_internal {

Result<void> parse_observability(const Reader& r, const Field& field, const config::Config& config,
                                 config::Observability& out) {
  if (!field.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"listen", "tracing", "strict_readiness", "alerts"}));
  NEXUS_CONFIG_TRY(r.read(field, "strict_readiness", out.strict_readiness));
  NEXUS_CONFIG_TRY(parse_tracing(r, r.child(field, "tracing"), out.tracing));
  const Field listen = r.child(field, "listen");
  if (!listen.present) {
    return {};
  }
  config::Listener& listener = out.listen.emplace();
  NEXUS_CONFIG_TRY(parse_listener(r, listen, listener));
  // Two listeners on one address: the second bind would fail at start-up, with a message that
  // does not say where in the file the clash is.
  auto same = [&](const config::Listener& other) {
    return other.host == listener.host && other.port == listener.port && listener.port != 0;
  };
  const auto& admin = config.governance.admin.listen;
  if (std::ranges::any_of(config.server.listen, same) || (admin && same(*admin))) {
    return r.error(listen, "this address is already used by another listener");
  }
  return {};
}

}  // namespace nexus::control::config_internal

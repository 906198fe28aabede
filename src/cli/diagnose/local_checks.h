// The checks `nexus diagnose` makes on this host, without the network: the configuration loads,
// the governance store can be written, the listen ports are free, the fd limit is high enough,
// the key pepper can be read. Each is synchronous and quick (a PostgreSQL store's connect is
// bounded by the timeout given).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli/diagnose/check_result.h"
#include "nexus/config/config.h"

namespace nexus::cli::diagnose {

// A soft fd limit below this warns: each client connection, upstream connection and pooled
// connection takes a descriptor, and a busy gateway holds tens of thousands.
inline constexpr uint64_t kRecommendedFdLimit = 65536;

struct LoadedConfig {
  CheckResult result;                    // "config": ok, or fail with FILE:LINE: KEY: message
  std::optional<config::Config> config;  // set when it loaded
};

// Loads and validates `path` as `nexus serve` would.
LoadedConfig check_config(const std::string& path);

// The verdict on a soft and hard RLIMIT_NOFILE (RLIM_INFINITY passed as UINT64_MAX), with the
// fix in the detail when it is too low.
CheckResult fd_limit_verdict(uint64_t soft, uint64_t hard);
// ... on this process's limit (what a nexus started from this shell would get).
CheckResult check_fd_limit();

// Tries to bind `listener`'s address (then lets it go). In use: a warning, since a running
// nexus holds its own ports; refused (a port below 1024, an address not on this host): a
// failure. `role` names it in the target ("listener", "admin listener").
CheckResult check_listen_port(const config::Listener& listener, std::string_view role);

// Whether the governance store can be written: a SQLite file's directory (and the file, opened
// read-only to read its schema version, when it exists), or a PostgreSQL connection that is not
// a read-only standby. Skipped without governance.
CheckResult check_storage(const config::Governance& governance, std::chrono::seconds timeout);

// Whether the key pepper can be read: governance.pepper_file, else the one made next to a
// SQLite store (if made yet). Warns when others may read it.
CheckResult check_pepper_file(const config::Governance& governance);

}  // namespace nexus::cli::diagnose

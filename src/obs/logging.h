// The process log (spdlog, asynchronous, to stderr). The access log is obs/access_log.h.
#pragma once

#include <string_view>

#include "nexus/core/result.h"

namespace nexus::obs {

// Sets up the asynchronous process log on stderr at `level` (see config::Logging::level).
Result<void> init_logging(std::string_view level);

// Flushes and stops the logging threads (at exit).
void shutdown_logging();

}  // namespace nexus::obs

// The process's own figures under their standard names (as Prometheus' client libraries export
// them), read from /proc at each scrape: resident memory, CPU time, open and maximum file
// descriptors, start time.
#pragma once

#include "nexus/core/result.h"
#include "obs/metrics/registry.h"

namespace nexus::obs::metrics {

// Adds process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds,
// process_max_fds and process_start_time_seconds to `registry` (before it is frozen).
Result<void> add_process_metrics(Registry& registry);

}  // namespace nexus::obs::metrics

// fault: injected delays and aborts, to test how clients and upstream retries cope.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "filters/registry.h"

namespace nexus::filters {

struct FaultDelay {
  std::chrono::milliseconds duration{0};
  double percentage = 100;  // of requests, 0..100
};

struct FaultAbort {
  int status = 503;
  double percentage = 100;
};

struct FaultConfig {
  std::optional<FaultDelay> delay;
  std::optional<FaultAbort> abort;
  // Requests may ask for faults with x-nexus-fault-delay-ms / x-nexus-fault-abort (test setups
  // only: any client could slow its own requests down).
  bool header_control = false;
  std::chrono::milliseconds max_header_delay{10000};
};

Result<std::shared_ptr<filter::FilterFactory>> parse_fault_filter(const Reader& reader,
                                                                  const Field& config);

}  // namespace nexus::filters

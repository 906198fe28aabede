#include "server/load_shedding.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace nexus::server {

LoadGate::LoadGate(LoadCounters& counters, const config::Limits& limits) : counters_(counters) {
  if (limits.max_in_flight > 0) {
    counted_ = true;
    const uint32_t before = counters_.in_flight.fetch_add(1, std::memory_order_relaxed);
    if (before >= limits.max_in_flight) {
      refusal_.emplace(ErrorCode::kOverloaded,
                       "overloaded: " + std::to_string(before) +
                           " requests in progress (server.limits.max_in_flight " +
                           std::to_string(limits.max_in_flight) + "); retry later");
      return;
    }
  }
  if (limits.max_memory > 0) {
    const uint64_t resident = counters_.resident_bytes.load(std::memory_order_relaxed);
    if (resident > limits.max_memory) {
      refusal_.emplace(ErrorCode::kOverloaded, "overloaded: " + std::to_string(resident >> 20) +
                                                   " MiB resident (server.limits.max_memory " +
                                                   std::to_string(limits.max_memory >> 20) +
                                                   " MiB); retry later");
    }
  }
}

LoadGate::~LoadGate() {
  if (counted_) {
    counters_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  }
}

uint64_t resident_bytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) {
    return 0;
  }
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int read = std::fscanf(file, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(file);
  if (read != 2) {
    return 0;
  }
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace nexus::server

// Logging: the process log (spdlog, asynchronous, to stderr) and the JSON access log.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace spdlog {
class logger;  // NOLINT(readability-identifier-naming): spdlog's name
}

namespace nexus::obs {

// Sets up the asynchronous process log on stderr at `level` (see config::Logging::level).
Result<void> init_logging(std::string_view level);

// Flushes and stops the logging threads (at exit).
void shutdown_logging();

struct AccessRecord {
  std::string_view method;
  std::string_view target;
  std::string_view client;    // client IP
  std::string_view upstream;  // "host:port" or empty
  std::string_view error;     // error code name or empty
  int status = 0;
  uint64_t bytes_received = 0;  // request body bytes
  uint64_t bytes_sent = 0;      // response bytes, head included
  double duration_ms = 0;
  double upstream_duration_ms = 0;
};

// One JSON object per line per request. Writes are queued to a background thread, so a slow
// disk never stalls a worker until the queue is full.
class AccessLog {
 public:
  static Result<std::unique_ptr<AccessLog>> create(const config::AccessLog& config);
  ~AccessLog();

  void write(const AccessRecord& record);
  // One preformatted line (the access_log filter formats its own).
  void write_line(std::string_view line);

 private:
  explicit AccessLog(std::shared_ptr<spdlog::logger> logger);
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace nexus::obs

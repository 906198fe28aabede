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

// The access log's writer (the access_log filter formats the lines). Writes are queued to a
// background thread, so a slow disk never stalls a worker until the queue is full.
class AccessLog {
 public:
  static Result<std::unique_ptr<AccessLog>> create(const config::AccessLog& config);
  ~AccessLog();

  void write_line(std::string_view line);

 private:
  explicit AccessLog(std::shared_ptr<spdlog::logger> logger);
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace nexus::obs

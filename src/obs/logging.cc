#include "obs/logging.h"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace nexus::obs {
namespace {

constexpr size_t kQueueSize = 8192;

void ensure_thread_pool() {
  if (!spdlog::thread_pool()) {
    spdlog::init_thread_pool(kQueueSize, 1);
  }
}

}  // namespace

Result<void> init_logging(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return fail(ErrorCode::kInvalidConfig, "unknown log level '" + std::string(level) + "'");
  }
  ensure_thread_pool();
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>("nexus", sink, spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return {};
}

void shutdown_logging() { spdlog::shutdown(); }

}  // namespace nexus::obs

#include "obs/logging.h"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "obs/log_format.h"

namespace nexus::obs {
namespace {

constexpr size_t kQueueSize = 8192;

void ensure_thread_pool() {
  if (!spdlog::thread_pool()) {
    spdlog::init_thread_pool(kQueueSize, 1);
  }
}

// The logger of lines with fields: set once by init_logging, before any worker starts, and only
// read afterwards. Null in unit tests that never set logging up (the default logger is used).
std::shared_ptr<spdlog::logger>& fields_logger() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}

std::unique_ptr<spdlog::formatter> make_formatter(std::string_view format) {
  if (format == "text") {
    return std::make_unique<TextLogFormatter>();
  }
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace

Result<void> init_logging(std::string_view level, std::string_view format) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return fail(ErrorCode::kInvalidConfig, "unknown log level '" + std::string(level) + "'");
  }
  if (format != "json" && format != "text") {
    return fail(ErrorCode::kInvalidConfig, "unknown log format '" + std::string(format) + "'");
  }
  ensure_thread_pool();
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(make_formatter(format));
  // Both loggers share the sink (one formatter, lines never interleaved).
  auto logger = std::make_shared<spdlog::async_logger>("nexus", sink, spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  auto with_fields = std::make_shared<spdlog::async_logger>(std::string(kFieldsLoggerName), sink,
                                                            spdlog::thread_pool(),
                                                            spdlog::async_overflow_policy::block);
  for (const auto& each : {logger, with_fields}) {
    each->set_level(parsed);
    each->flush_on(spdlog::level::info);
  }
  spdlog::set_default_logger(logger);
  fields_logger() = with_fields;
  return {};
}

void shutdown_logging() {
  fields_logger().reset();
  spdlog::shutdown();
}

LogFields& LogFields::add(std::string_view key, std::string_view value) {
  if (value.empty()) {
    return *this;
  }
  fragment_.push_back(',');
  append_json_string(fragment_, key);
  fragment_.push_back(':');
  append_json_string(fragment_, value);
  return *this;
}

LogFields& LogFields::add_json(std::string_view key, std::string_view json) {
  fragment_.push_back(',');
  append_json_string(fragment_, key);
  fragment_.push_back(':');
  fragment_.append(json.empty() ? std::string_view("null") : json);
  return *this;
}

void log_with_fields(spdlog::level::level_enum level, std::string_view message,
                     const LogFields& fields) {
  spdlog::logger* logger = fields_logger().get();
  if (logger == nullptr) {
    logger = spdlog::default_logger_raw();
    if (logger->should_log(level)) {
      std::string text(message);
      text.append(" {");
      text.append(fields.fragment().empty() ? "" : fields.fragment().substr(1));
      text.push_back('}');
      logger->log(level, spdlog::string_view_t(text.data(), text.size()));
    }
    return;
  }
  if (!logger->should_log(level)) {
    return;
  }
  std::string payload = fields.fragment();
  payload.push_back(kFieldsSeparator);
  payload.append(message);
  logger->log(level, spdlog::string_view_t(payload.data(), payload.size()));
}

void log_request_error(spdlog::level::level_enum level, std::string_view request_id,
                       std::string_view trace_id, std::string_view message) {
  LogFields fields;
  fields.add("request_id", request_id).add("trace_id", trace_id);
  log_with_fields(level, message, fields);
}

}  // namespace nexus::obs

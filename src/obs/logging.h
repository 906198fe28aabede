// The process log (spdlog, asynchronous, to stderr). The access log is obs/access_log.h.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

#include "nexus/core/result.h"

namespace nexus::obs {

// Sets up the asynchronous process log on stderr at `level` (see config::Logging::level), its
// lines in `format`: "json" (one object per line) or "text".
Result<void> init_logging(std::string_view level, std::string_view format = "json");

// Flushes and stops the logging threads (at exit).
void shutdown_logging();

// Fields of one log line, beside its message: JSON members in the JSON format, a JSON object
// after the message in the text format.
class LogFields {
 public:
  // A string field (escaped). Empty values are left out.
  LogFields& add(std::string_view key, std::string_view value);
  // A field whose value is already JSON, written as it is: only for JSON our code produced.
  LogFields& add_json(std::string_view key, std::string_view json);
  [[nodiscard]] const std::string& fragment() const { return fragment_; }

 private:
  std::string fragment_;  // `,"key":value` per field
};

// Logs `message` with `fields` (keys and messages are never parsed by the formatter, so no
// message can forge a field).
void log_with_fields(spdlog::level::level_enum level, std::string_view message,
                     const LogFields& fields);

// A request's failure, with its request id and, when the request is traced, its trace id as
// fields (empty ones are left out).
void log_request_error(spdlog::level::level_enum level, std::string_view request_id,
                       std::string_view trace_id, std::string_view message);

}  // namespace nexus::obs

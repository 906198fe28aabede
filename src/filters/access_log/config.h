// access_log: one JSON line per exchange, written when it completes (docs/filters.md).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "filters/registry.h"

namespace nexus::filters {

struct AccessLogConfig {
  std::string path = "stdout";       // "stdout", "stderr" or a file (appended to)
  std::vector<std::string> fields;   // which fields, in order (see kAccessLogFields)
  std::vector<std::string> headers;  // request headers to log, lower case
  std::vector<std::string> redact;   // more header names whose values are never logged
  std::chrono::milliseconds flush_interval{1000};  // longest a line waits in the buffer
};

// Every field name, in the default order.
extern const std::vector<std::string> kAccessLogFields;

Result<std::shared_ptr<filter::FilterFactory>> parse_access_log_filter(const Reader& reader,
                                                                       const Field& config);

// The filter `logging.access_log` stands for: every default field, to `path`.
std::shared_ptr<filter::FilterFactory> default_access_log(std::string path);

}  // namespace nexus::filters

// The process log's line formats (config::Logging::format): JSON, one object per line, for
// machines, and text for humans. Structured fields (request id, trace id, audit rows) travel from
// the call site to the formatter inside the message of the structured logger (see LogFields).
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace nexus::obs {

// Appends `value` as a JSON string (quotes included). Control bytes are escaped and bytes that
// are not valid UTF-8 become U+FFFD, so the output is valid JSON whatever `value` holds.
void append_json_string(std::string& out, std::string_view value);

// Sets `out` to a request target as logs may show it: the values of query parameters that carry
// credentials (key, api_key, access_token, token, ... see log_format.cc) become "REDACTED".
// Targets without a query are copied as they are.
void assign_redacted_target(std::string& out, std::string_view target);

// The name of the logger whose messages carry fields: "<fields>\x1e<message>", <fields> being a
// fragment of JSON members (`,"key":value...`) written by LogFields. Only that logger's messages
// are split, so no other message, whatever bytes it holds, can inject fields.
inline constexpr std::string_view kFieldsLoggerName = "nexus.fields";
inline constexpr char kFieldsSeparator = '\x1e';

// {"ts":"2026-11-23T10:00:00.123Z","level":"info","msg":"...",<fields>}
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  std::chrono::seconds cached_second_{-1};
  std::string cached_prefix_;  // "2026-11-23T10:00:00" of cached_second_
  std::string line_;           // reused
};

// "2026-11-23T10:00:00.123 info message key=value ...": the fields appended as JSON members.
class TextLogFormatter final : public spdlog::formatter {
 public:
  TextLogFormatter();
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  std::unique_ptr<spdlog::pattern_formatter> pattern_;
  std::string text_;  // reused
};

}  // namespace nexus::obs

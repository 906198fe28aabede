// The process log's JSON lines: every message, whatever bytes it holds, gives one valid JSON
// object on one line; fields come only from the structured logger; the text format keeps them.
#include "obs/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <chrono>
#include <string>

namespace nexus::obs {
namespace {

std::string json_string(std::string_view value) {
  std::string out;
  append_json_string(out, value);
  return out;
}

std::string format_line(spdlog::formatter& formatter, std::string_view logger,
                        std::string_view payload, spdlog::level::level_enum level) {
  spdlog::details::log_msg msg(spdlog::string_view_t(logger.data(), logger.size()), level,
                               spdlog::string_view_t(payload.data(), payload.size()));
  // 2026-11-23T10:00:00.123Z
  msg.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795428000123));
  spdlog::memory_buf_t out;
  formatter.format(msg, out);
  return {out.data(), out.size()};
}

TEST(LogFormatJsonString, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(json_string("say \"hi\"\\"), R"("say \"hi\"\\")");
  EXPECT_EQ(json_string("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(json_string(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
}

TEST(LogFormatJsonString, KeepsValidUtf8) {
  EXPECT_EQ(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(LogFormatJsonString, ReplacesInvalidUtf8) {
  const std::string replacement = "\xef\xbf\xbd";
  EXPECT_EQ(json_string("a\xff"
                        "b"),
            "\"a" + replacement + "b\"");
  EXPECT_EQ(json_string("\xc3"), "\"" + replacement + "\"");                    // truncated
  EXPECT_EQ(json_string("\xc0\xaf"), "\"" + replacement + replacement + "\"");  // overlong
  EXPECT_EQ(json_string("\xed\xa0\x80"),
            "\"" + replacement + replacement + replacement + "\"");  // surrogate
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"),
            "\"" + replacement + replacement + replacement + replacement + "\"");
}

TEST(LogFormatJson, OneObjectPerLine) {
  JsonLogFormatter formatter;
  EXPECT_EQ(
      format_line(formatter, "nexus", "listening on 127.0.0.1:8080", spdlog::level::info),
      R"({"ts":"2026-11-23T10:00:00.123Z","level":"info","msg":"listening on 127.0.0.1:8080"})"
      "\n");
  const std::string line =
      format_line(formatter, "nexus", "bad \"x\"\nnext\x01\xfe", spdlog::level::warn);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find(R"("level":"warn","msg":"bad \"x\"\nnext\u0001)"), std::string::npos) << line;
}

TEST(LogFormatJson, FieldsOnlyFromTheFieldsLogger) {
  JsonLogFormatter formatter;
  const std::string payload = std::string(R"(,"request_id":"r1")") + kFieldsSeparator + "boom";
  EXPECT_EQ(format_line(formatter, kFieldsLoggerName, payload, spdlog::level::err),
            R"({"ts":"2026-11-23T10:00:00.123Z","level":"error","msg":"boom","request_id":"r1"})"
            "\n");
  // The same bytes from any other logger are only a message.
  const std::string forged = format_line(formatter, "nexus", payload, spdlog::level::err);
  EXPECT_NE(forged.find(R"("msg":",\"request_id\":\"r1\"\u001eboom"})"), std::string::npos)
      << forged;
}

TEST(LogFormatText, MessageThenFields) {
  TextLogFormatter formatter;
  const std::string payload = std::string(R"(,"request_id":"r1")") + kFieldsSeparator + "boom";
  const std::string line = format_line(formatter, kFieldsLoggerName, payload, spdlog::level::err);
  EXPECT_NE(line.find(R"(boom {"request_id":"r1"})"), std::string::npos) << line;
  const std::string plain = format_line(formatter, "nexus", "hello", spdlog::level::info);
  EXPECT_NE(plain.find("info hello"), std::string::npos) << plain;
}

std::string redacted(std::string_view target) {
  std::string out = "stale";
  assign_redacted_target(out, target);
  return out;
}

TEST(LogFormatRedactedTarget, CredentialParametersLoseTheirValues) {
  EXPECT_EQ(redacted("/v1/models?key=AIza123&alt=sse"), "/v1/models?key=REDACTED&alt=sse");
  EXPECT_EQ(redacted("/a?x=1&API_KEY=s&access_token=t&token=u&Key=v"),
            "/a?x=1&API_KEY=REDACTED&access_token=REDACTED&token=REDACTED&Key=REDACTED");
  EXPECT_EQ(redacted("/a?monkey=1&keys=2&key"), "/a?monkey=1&keys=2&key");  // other names
  EXPECT_EQ(redacted("/a?key="), "/a?key=REDACTED");
  EXPECT_EQ(redacted("/a?&&key=s&"), "/a?&&key=REDACTED&");
}

TEST(LogFormatRedactedTarget, TargetsWithoutQueryAreCopied) {
  EXPECT_EQ(redacted("/plain/path"), "/plain/path");
  EXPECT_EQ(redacted(""), "");
  EXPECT_EQ(redacted("/a?"), "/a?");
}

}  // namespace
}  // namespace nexus::obs

#include "filters/access_log/json_line.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

namespace nexus::filters {
namespace {

TEST(JsonLine, AnEmptyLineIsAnEmptyObject) {
  std::string buffer;
  EXPECT_EQ(JsonLine(buffer).finish(), "{}");
}

TEST(JsonLine, FieldsOfEachKind) {
  std::string buffer;
  JsonLine line(buffer);
  line.add_string("method", "POST");
  line.add_number("status", 200);
  line.add_number("max", UINT64_MAX);
  line.add_millis("duration_ms", 12.3456);
  line.add_millis("tiny", 0.0004);
  line.add_millis("negative", -3);
  EXPECT_EQ(line.finish(), R"({"method":"POST","status":200,"max":18446744073709551615,)"
                           R"("duration_ms":12.346,"tiny":0.000,"negative":0.000})");
}

TEST(JsonLine, ValuesAreEscaped) {
  std::string buffer;
  JsonLine line(buffer);
  line.add_string("x-header", "x\ny\x01\"");
  EXPECT_EQ(line.finish(), R"({"x-header":"x\ny\u0001\""})");
}

TEST(JsonLine, NestedObjectsEmptyOrNot) {
  std::string buffer;
  JsonLine line(buffer);
  line.begin_object("empty");
  line.end_object();
  line.begin_object("headers");
  line.add_string("host", "h");
  line.end_object();
  EXPECT_EQ(line.finish(), R"({"empty":{},"headers":{"host":"h"}})");
}

// The buffer starts empty and must grow mid-line, several times, without losing what was written;
// a shorter line after it must not show the longer one's tail.
TEST(JsonLine, GrowsForLongValuesAndReusesTheBuffer) {
  std::string buffer;
  const std::string quotes(3000, '"');  // escaped: 6000 bytes
  JsonLine line(buffer);
  line.add_string("first", "1");
  line.add_string("long", quotes);
  line.add_number("last", 7);
  const std::string long_line(line.finish());
  const auto parsed = boost::json::parse(long_line).as_object();
  EXPECT_EQ(parsed.at("first").as_string(), "1");
  EXPECT_EQ(parsed.at("long").as_string(), quotes);
  EXPECT_EQ(parsed.at("last").as_int64(), 7);

  JsonLine again(buffer);
  again.add_string("short", "s");
  EXPECT_EQ(again.finish(), R"({"short":"s"})");
}

}  // namespace
}  // namespace nexus::filters

// fields.h: an HTTP/1.1 upstream response head as HTTP/2 response fields (response_fields).
#include "http/http2/fields.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace nexus::http2 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs convert(std::vector<http1::Header> headers, bool keep_length = false) {
  http1::ResponseHead head;
  head.status = 200;
  head.headers = std::move(headers);
  std::string storage;
  std::vector<Field> out;
  response_fields(head, keep_length, storage, out);
  Pairs pairs;
  for (const Field& field : out) {
    pairs.emplace_back(field.name, field.value);
  }
  return pairs;
}

TEST(ResponseFieldsTest, LowerCasesNamesAndKeepsValues) {
  EXPECT_EQ(convert({{"Content-Type", "Text/HTML"}, {"X-Request-ID", "AbC"}}),
            (Pairs{{"content-type", "Text/HTML"}, {"x-request-id", "AbC"}, {"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, DropsConnectionSpecificFields) {
  EXPECT_EQ(convert({{"Connection", "keep-alive"},
                     {"Keep-Alive", "timeout=5"},
                     {"Transfer-Encoding", "chunked"},
                     {"Upgrade", "h2c"},
                     {"Proxy-Connection", "keep-alive"},
                     {"X-Kept", "1"}}),
            (Pairs{{"x-kept", "1"}, {"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, DropsFieldsNamedInConnection) {
  EXPECT_EQ(convert({{"Connection", "close, X-Hop ,\tX-Other"},
                     {"x-hop", "1"},
                     {"X-OTHER", "2"},
                     {"X-Kept", "3"}}),
            (Pairs{{"x-kept", "3"}, {"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, DropsFieldsNamedInAnyOfSeveralConnectionFields) {
  EXPECT_EQ(convert({{"Connection", "x-a"}, {"Connection", "x-b"}, {"X-A", "1"}, {"X-B", "2"}}),
            (Pairs{{"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, ContentLengthOnlyWhenKept) {
  EXPECT_EQ(convert({{"Content-Length", "42"}, {"X-A", "1"}}, /*keep_length=*/false),
            (Pairs{{"x-a", "1"}, {"via", "1.1 nexus"}}));
  EXPECT_EQ(convert({{"Content-Length", "42"}, {"X-A", "1"}}, /*keep_length=*/true),
            (Pairs{{"content-length", "42"}, {"x-a", "1"}, {"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, ViaAppendedToTheUpstreamOnes) {
  EXPECT_EQ(convert({{"Via", "1.0 fred"}, {"X-A", "1"}, {"VIA", "1.1 p.example.net"}}),
            (Pairs{{"x-a", "1"}, {"via", "1.0 fred, 1.1 p.example.net, 1.1 nexus"}}));
}

TEST(ResponseFieldsTest, ViaAloneWhenUpstreamHasNone) {
  EXPECT_EQ(convert({}), (Pairs{{"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, SetCookieStaysSeparateFieldsInOrder) {
  EXPECT_EQ(convert({{"Set-Cookie", "a=1; Path=/"},
                     {"Date", "Mon, 01 Jan 2024 00:00:00 GMT"},
                     {"Set-Cookie", "b=2, c=3"},
                     {"set-cookie", "d=4"}}),
            (Pairs{{"set-cookie", "a=1; Path=/"},
                   {"date", "Mon, 01 Jan 2024 00:00:00 GMT"},
                   {"set-cookie", "b=2, c=3"},
                   {"set-cookie", "d=4"},
                   {"via", "1.1 nexus"}}));
}

TEST(ResponseFieldsTest, AppendsToExistingStorageAndFields) {
  http1::ResponseHead head;
  head.headers = {{"X-A", "1"}};
  std::string storage = "already here";
  std::vector<Field> out = {{"x-first", "0"}};
  response_fields(head, false, storage, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "x-first");
  EXPECT_EQ(out[1].name, "x-a");
  EXPECT_EQ(out[1].value, "1");
  EXPECT_EQ(out[2].name, "via");
  EXPECT_EQ(out[2].value, "1.1 nexus");
  EXPECT_TRUE(storage.starts_with("already here"));
  // The new views point into `storage`.
  EXPECT_GE(out[1].name.data(), storage.data());
  EXPECT_LE(out[2].value.data() + out[2].value.size(), storage.data() + storage.size());
}

}  // namespace
}  // namespace nexus::http2

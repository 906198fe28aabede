// Accept-Encoding negotiation (RFC 9110 §12.5.3) and the response header rules.
#include "filters/compression/negotiate.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "filters/compression/response_rules.h"

namespace nexus::filters::compression {
namespace {

struct Case {
  std::optional<std::string_view> header;
  Coding expected;
};

const std::vector<Coding> kDefaultOrder = {Coding::kBrotli, Coding::kZstd, Coding::kGzip};

TEST(CompressionNegotiateTest, Table) {
  const std::vector<Case> cases = {
      {std::nullopt, Coding::kIdentity},  // no header: not compressed
      {"", Coding::kIdentity},            // empty: identity only
      {"gzip", Coding::kGzip},
      {"GZip", Coding::kGzip},  // case-insensitive
      {"x-gzip", Coding::kGzip},
      {"gzip, deflate, br", Coding::kBrotli},  // tie: server preference
      {"gzip, deflate, br, zstd", Coding::kBrotli},
      {"gzip, zstd", Coding::kZstd},
      {"deflate", Coding::kIdentity},  // offered codings only
      {"compress, unknown", Coding::kIdentity},
      {"br;q=0.5, gzip;q=0.8", Coding::kGzip},  // q beats preference
      {"br;q=0.8, gzip;q=0.8", Coding::kBrotli},
      {"br;q=0, gzip", Coding::kGzip},  // q=0: not acceptable
      {"br;q=0.000, zstd;Q=0.001", Coding::kZstd},
      {"*", Coding::kBrotli},
      {"*;q=0", Coding::kIdentity},
      {"*;q=0.5, br;q=0", Coding::kZstd},  // the wildcard stands for the codings not listed
      {"gzip;q=0.2, *;q=0.5", Coding::kBrotli},
      {"identity;q=0", Coding::kIdentity},  // nothing acceptable: we still send identity
      {"identity;q=0, gzip", Coding::kGzip},
      {"identity, gzip;q=0.5", Coding::kIdentity},  // identity ranked strictly higher
      {"identity;q=0.5, gzip;q=0.5", Coding::kGzip},
      {"gzip;q=0.5", Coding::kGzip},                     // unranked identity does not compete
      {"  gzip ;  q=0.7 , br ; q=0.3 ", Coding::kGzip},  // whitespace
      {"gzip;level=9", Coding::kGzip},                   // other parameters are ignored
      {"br;q=2, gzip", Coding::kGzip},                   // a malformed q drops that element
      {"br;q=0.5x, gzip;q=0.1", Coding::kGzip},
      {"br;q=1.001, gzip;q=0.1", Coding::kGzip},
      {"br;q=1.000, gzip", Coding::kBrotli},
      {",,gzip,,", Coding::kGzip},
      {"gzip;q=0, gzip", Coding::kIdentity},  // the first mention counts
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header ? std::string(*c.header) : "(absent)");
    EXPECT_EQ(coding_name(negotiate(c.header, kDefaultOrder)), coding_name(c.expected));
  }
}

TEST(CompressionNegotiateTest, ServerOrderBreaksTies) {
  const std::vector<Coding> gzip_first = {Coding::kGzip, Coding::kBrotli};
  EXPECT_EQ(negotiate("br, gzip, zstd", gzip_first), Coding::kGzip);
  EXPECT_EQ(negotiate("zstd", gzip_first), Coding::kIdentity);
  EXPECT_EQ(negotiate("br", {}), Coding::kIdentity);
}

TEST(CompressionNegotiateTest, CodingNames) {
  EXPECT_EQ(coding_from_name("BR"), Coding::kBrotli);
  EXPECT_EQ(coding_from_name("Deflate"), Coding::kDeflate);
  EXPECT_EQ(coding_from_name("identity"), Coding::kIdentity);
  EXPECT_EQ(coding_from_name("brotli"), std::nullopt);
  EXPECT_EQ(coding_name(Coding::kZstd), "zstd");
}

TEST(CompressionRulesTest, MediaTypes) {
  EXPECT_EQ(media_type("Text/HTML; charset=UTF-8"), "text/html");
  EXPECT_EQ(media_type("  application/json  "), "application/json");
  EXPECT_EQ(media_type(""), "");
  const std::vector<std::string> patterns = {"text/*", "application/json", "image/svg+xml"};
  EXPECT_TRUE(media_type_matches("text/event-stream", patterns));
  EXPECT_TRUE(media_type_matches("application/json", patterns));
  EXPECT_FALSE(media_type_matches("application/jsonx", patterns));
  EXPECT_FALSE(media_type_matches("image/png", patterns));
  EXPECT_FALSE(media_type_matches("texts/plain", patterns));
  EXPECT_FALSE(media_type_matches("", patterns));
  EXPECT_TRUE(media_type_matches("image/png", std::vector<std::string>{"*/*"}));
  EXPECT_FALSE(media_type_matches("", std::vector<std::string>{"*/*"}));
}

TEST(CompressionRulesTest, MediaTypePatterns) {
  EXPECT_EQ(media_type_pattern("Text/*"), "text/*");
  EXPECT_EQ(media_type_pattern("application/vnd.api+json"), "application/vnd.api+json");
  EXPECT_EQ(media_type_pattern("*/*"), "*/*");
  for (std::string_view bad : {"text", "text/", "/html", "*/html", "text/ht*", "text/html; q=1",
                               "text/html/x", "te xt/html", ""}) {
    EXPECT_EQ(media_type_pattern(bad), std::nullopt) << bad;
  }
}

TEST(CompressionRulesTest, WhichResponsesHaveABody) {
  EXPECT_TRUE(response_has_body(200, "GET"));
  EXPECT_TRUE(response_has_body(404, "POST"));
  EXPECT_FALSE(response_has_body(101, "GET"));
  EXPECT_FALSE(response_has_body(204, "GET"));
  EXPECT_FALSE(response_has_body(304, "GET"));
  EXPECT_FALSE(response_has_body(200, "HEAD"));
}

TEST(CompressionRulesTest, VaryMerge) {
  EXPECT_EQ(vary_with_accept_encoding(""), "Accept-Encoding");
  EXPECT_EQ(vary_with_accept_encoding("Origin"), "Origin, Accept-Encoding");
  EXPECT_EQ(vary_with_accept_encoding(" Origin, Cookie "), "Origin, Cookie, Accept-Encoding");
  EXPECT_EQ(vary_with_accept_encoding("origin, accept-encoding"), std::nullopt);
  EXPECT_EQ(vary_with_accept_encoding("*"), std::nullopt);
}

TEST(CompressionRulesTest, EtagsAreWeakened) {
  EXPECT_EQ(weak_etag("\"abc\""), "W/\"abc\"");
  EXPECT_EQ(weak_etag("W/\"abc\""), "W/\"abc\"");
}

TEST(CompressionRulesTest, ListTokens) {
  EXPECT_TRUE(list_has_token("public, No-Transform", "no-transform"));
  EXPECT_TRUE(list_has_token("max-age=5,no-transform", "no-transform"));
  EXPECT_FALSE(list_has_token("no-transformer", "no-transform"));
}

}  // namespace
}  // namespace nexus::filters::compression

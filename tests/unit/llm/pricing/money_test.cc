// Money as integers: config decimals read exactly (never through a double), and costs written
// back as decimals.
#include "llm/pricing/money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

namespace nexus::llm::pricing {
namespace {

constexpr int64_t kMax = 10000LL * 1000000;  // $10,000 per million tokens, in micro-USD

TEST(PricingMoney, DecimalsAreReadExactly) {
  EXPECT_EQ(parse_decimal("2.5", kPriceDecimals, kMax), 2'500'000);
  EXPECT_EQ(parse_decimal("0.0375", kPriceDecimals, kMax), 37'500);
  EXPECT_EQ(parse_decimal("0.000001", kPriceDecimals, kMax), 1);  // the smallest step
  EXPECT_EQ(parse_decimal("10", kPriceDecimals, kMax), 10'000'000);
  EXPECT_EQ(parse_decimal("0", kPriceDecimals, kMax), 0);
  EXPECT_EQ(parse_decimal("007.50", kPriceDecimals, kMax), 7'500'000);
  EXPECT_EQ(parse_decimal("10000", kPriceDecimals, kMax), kMax);  // the bound itself
  // 0.1 and 0.7 have no exact double: a parse through double could give 0.7999999.
  EXPECT_EQ(parse_decimal("0.1", kPriceDecimals, kMax).value_or(0) +
                parse_decimal("0.7", kPriceDecimals, kMax).value_or(0),
            parse_decimal("0.8", kPriceDecimals, kMax));
  EXPECT_EQ(parse_decimal("0.002", kNanoUsdDecimals, 1000LL * 1000000000), 2'000'000);
}

TEST(PricingMoney, GarbageAndUnrepresentableValuesAreRefused) {
  for (const char* text : {"", ".", "5.", ".5", "-1", "+1", "1e-3", "1E3", " 1", "1 ", "1,5",
                           "0x10", "1.2.3", "abc", "1_000", "nan", "inf", "٣"}) {
    EXPECT_EQ(parse_decimal(text, kPriceDecimals, kMax), std::nullopt) << "'" << text << "'";
  }
  // Seven decimals would have to be rounded: refused, not rounded.
  EXPECT_EQ(parse_decimal("0.0000001", kPriceDecimals, kMax), std::nullopt);
  EXPECT_EQ(parse_decimal("1.0000000", kPriceDecimals, kMax), std::nullopt);
  // Over the bound, and far over int64 (no wrap-around).
  EXPECT_EQ(parse_decimal("10000.000001", kPriceDecimals, kMax), std::nullopt);
  EXPECT_EQ(parse_decimal("99999999999999999999999", kPriceDecimals, kMax), std::nullopt);
  EXPECT_EQ(parse_decimal("9223372036854775808", 0, std::numeric_limits<int64_t>::max()),
            std::nullopt);
  EXPECT_EQ(parse_decimal("9223372036854775807", 0, std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::max());
}

TEST(PricingMoney, UsdIsWrittenWithTrailingZerosTrimmed) {
  EXPECT_EQ(format_usd(123'000), "0.000123");
  EXPECT_EQ(format_usd(1), "0.000000001");
  EXPECT_EQ(format_usd(0), "0.0");
  EXPECT_EQ(format_usd(2'500'000'000), "2.5");
  EXPECT_EQ(format_usd(12'000'000'000), "12.0");
  EXPECT_EQ(format_usd(-1'500'000), "-0.0015");
  EXPECT_EQ(format_usd(std::numeric_limits<int64_t>::max()), "9223372036.854775807");
  EXPECT_EQ(format_usd(std::numeric_limits<int64_t>::min()), "-9223372036.854775808");
  EXPECT_EQ(format_decimal(37'500, kPriceDecimals), "0.0375");
  EXPECT_EQ(format_decimal(7, 0), "7.0");
}

TEST(PricingMoney, FormattedValuesParseBackToThemselves) {
  for (const int64_t value :
       {int64_t{0}, int64_t{1}, int64_t{37'500}, int64_t{2'500'000}, int64_t{999'999'999}, kMax}) {
    EXPECT_EQ(parse_decimal(format_decimal(value, kPriceDecimals), kPriceDecimals, kMax), value);
  }
}

}  // namespace
}  // namespace nexus::llm::pricing

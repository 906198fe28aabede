#include "governance/periods.h"

#include <gtest/gtest.h>

#include <chrono>

namespace nexus::governance {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace): calendar literals

UnixMillis utc(year_month_day day, int hour = 0, int minute = 0) {
  return duration_cast<milliseconds>(sys_days{day}.time_since_epoch() + hours{hour} +
                                     minutes{minute})
      .count();
}

std::shared_ptr<const TimeZone> zone(std::string_view name) {
  auto loaded = TimeZone::load(name);
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message());
  return loaded.has_value() ? *loaded : nullptr;
}

TEST(BudgetPeriods, UtcDayWeekMonthAndTotal) {
  const auto tz = zone("UTC");
  ASSERT_NE(tz, nullptr);
  const UnixMillis now = utc(2026y / November / 25, 10, 30);  // a Wednesday
  const auto day = period_bounds(BudgetPeriod::kDaily, now, *tz);
  EXPECT_EQ(day.start, utc(2026y / November / 25));
  EXPECT_EQ(day.end, utc(2026y / November / 26));
  const auto week = period_bounds(BudgetPeriod::kWeekly, now, *tz);
  EXPECT_EQ(week.start, utc(2026y / November / 23));  // Monday
  EXPECT_EQ(week.end, utc(2026y / November / 30));
  const auto month = period_bounds(BudgetPeriod::kMonthly, now, *tz);
  EXPECT_EQ(month.start, utc(2026y / November / 1));
  EXPECT_EQ(month.end, utc(2026y / December / 1));
  const auto total = period_bounds(BudgetPeriod::kTotal, now, *tz);
  EXPECT_EQ(total.start, 0);
  EXPECT_GT(total.end, utc(2100y / January / 1));
}

TEST(BudgetPeriods, MondayMidnightStartsItsOwnWeekAndDecemberRollsIntoJanuary) {
  const auto tz = zone("UTC");
  ASSERT_NE(tz, nullptr);
  const auto week = period_bounds(BudgetPeriod::kWeekly, utc(2026y / November / 23), *tz);
  EXPECT_EQ(week.start, utc(2026y / November / 23));
  const auto month = period_bounds(BudgetPeriod::kMonthly, utc(2026y / December / 31, 23, 59), *tz);
  EXPECT_EQ(month.end, utc(2027y / January / 1));
}

TEST(BudgetPeriods, FixedOffsetMovesTheLocalMidnight) {
  const auto tz = zone("+05:30");
  ASSERT_NE(tz, nullptr);
  // 20:00 UTC is already the next day in India.
  const auto day = period_bounds(BudgetPeriod::kDaily, utc(2026y / November / 25, 20), *tz);
  EXPECT_EQ(day.start, utc(2026y / November / 25, 18, 30));
  EXPECT_EQ(day.end, utc(2026y / November / 26, 18, 30));
}

TEST(BudgetPeriods, DaylightSavingTimeMakesA23HourDay) {
  const auto tz = zone("Europe/Paris");
  ASSERT_NE(tz, nullptr);
  // 2026-03-29: clocks go from 02:00 CET (+1) to 03:00 CEST (+2).
  const auto day = period_bounds(BudgetPeriod::kDaily, utc(2026y / March / 29, 12), *tz);
  EXPECT_EQ(day.start, utc(2026y / March / 28, 23));
  EXPECT_EQ(day.end, utc(2026y / March / 29, 22));
}

TEST(BudgetPeriods, MonthStartsInSummerTimeAndEndsInWinterTime) {
  const auto tz = zone("America/New_York");
  ASSERT_NE(tz, nullptr);
  // Local 2026-11-22 22:00 EST; November 1st began in EDT (-4), December 1st in EST (-5).
  const auto month = period_bounds(BudgetPeriod::kMonthly, utc(2026y / November / 23, 3), *tz);
  EXPECT_EQ(month.start, utc(2026y / November / 1, 4));
  EXPECT_EQ(month.end, utc(2026y / December / 1, 5));
}

TEST(BudgetPeriods, ZonesWithoutSummerTimeAndHalfHourOffsets) {
  const auto tokyo = zone("Asia/Tokyo");
  const auto kolkata = zone("Asia/Kolkata");
  ASSERT_NE(tokyo, nullptr);
  ASSERT_NE(kolkata, nullptr);
  const UnixMillis now = utc(2026y / November / 25, 20);
  EXPECT_EQ(period_bounds(BudgetPeriod::kDaily, now, *tokyo).start, utc(2026y / November / 25, 15));
  EXPECT_EQ(period_bounds(BudgetPeriod::kDaily, now, *kolkata).start,
            utc(2026y / November / 25, 18, 30));
}

TEST(BudgetPeriods, UnknownOrUnsafeZoneNamesAreErrors) {
  for (const std::string_view name : {"Mars/Olympus", "../../etc/passwd", "", "+25:00", "+5"}) {
    const auto loaded = TimeZone::load(name);
    ASSERT_FALSE(loaded.has_value()) << name;
    EXPECT_NE(loaded.error().message().find("time zone"), std::string::npos);
  }
}

}  // namespace
}  // namespace nexus::governance

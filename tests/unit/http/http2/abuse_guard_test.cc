// AbuseGuard: every limit exactly at its boundary (kOk at the limit, kAbuse one past it).
#include "http/http2/abuse_guard.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace nexus::http2 {
namespace {

using Verdict = AbuseGuard::Verdict;

// RFC 9113 §6 frame types and flags.
constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kPriority = 0x2;
constexpr uint8_t kRstStream = 0x3;
constexpr uint8_t kSettings = 0x4;
constexpr uint8_t kPing = 0x6;
constexpr uint8_t kWindowUpdate = 0x8;
constexpr uint8_t kContinuation = 0x9;
constexpr uint8_t kNoFlags = 0x0;
constexpr uint8_t kEndStream = 0x1;
constexpr uint8_t kEndHeaders = 0x4;

TEST(AbuseGuardTest, OneEmptyFrameIsAllowedTheSecondInARowIsAbuse) {
  static_assert(AbuseGuard::kMaxConsecutiveEmptyFrames == 1);
  for (const uint8_t type : {kData, kHeaders, kContinuation}) {
    AbuseGuard guard;
    EXPECT_EQ(guard.on_frame(type, 0, kNoFlags), Verdict::kOk) << int{type};
    EXPECT_EQ(guard.on_frame(type, 0, kNoFlags), Verdict::kAbuse) << int{type};
    EXPECT_EQ(guard.reason(), "consecutive frames with an empty payload");
  }
}

TEST(AbuseGuardTest, EmptyFramesOfDifferentTypesCountTogether) {
  AbuseGuard guard;
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kContinuation, 0, kEndHeaders), Verdict::kAbuse);
}

TEST(AbuseGuardTest, EmptyFrameThatEndsTheStreamIsNotCounted) {
  AbuseGuard guard;
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk);
  // An empty DATA or HEADERS with END_STREAM carries the end of the stream: legitimate, and it
  // resets the run.
  EXPECT_EQ(guard.on_frame(kData, 0, kEndStream), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kHeaders, 0, kEndStream | kEndHeaders), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kAbuse);
}

TEST(AbuseGuardTest, ContinuationFlagBitIsNotEndStream) {
  // 0x1 has no meaning on CONTINUATION: an empty CONTINUATION with it set is still empty.
  AbuseGuard guard;
  EXPECT_EQ(guard.on_frame(kContinuation, 0, kEndStream), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kContinuation, 0, kEndStream), Verdict::kAbuse);
}

TEST(AbuseGuardTest, NonEmptyFrameResetsTheEmptyRun) {
  AbuseGuard guard;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk) << i;
    ASSERT_EQ(guard.on_frame(kData, 1, kNoFlags), Verdict::kOk) << i;
  }
  ASSERT_EQ(guard.on_frame(kHeaders, 0, kNoFlags), Verdict::kOk);
  ASSERT_EQ(guard.on_frame(kContinuation, 7, kEndHeaders), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kAbuse);
}

TEST(AbuseGuardTest, OtherFrameTypesNeitherCountNorResetTheEmptyRun) {
  AbuseGuard guard;
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kPing, 8, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kSettings, 0, kNoFlags), Verdict::kOk);  // an empty SETTINGS is fine
  EXPECT_EQ(guard.on_frame(kRstStream, 4, kNoFlags), Verdict::kOk);
  EXPECT_EQ(guard.on_frame(kData, 0, kNoFlags), Verdict::kAbuse);
}

TEST(AbuseGuardTest, PriorityFramesWithoutStreams) {
  static_assert(AbuseGuard::kMaxPriorityFramesPerStream == 100);
  AbuseGuard guard;
  for (uint32_t i = 0; i < AbuseGuard::kMaxPriorityFramesPerStream; ++i) {
    ASSERT_EQ(guard.on_frame(kPriority, 5, kNoFlags), Verdict::kOk) << i;
  }
  EXPECT_EQ(guard.on_frame(kPriority, 5, kNoFlags), Verdict::kAbuse);
  EXPECT_EQ(guard.reason(), "PRIORITY frame flood");
}

TEST(AbuseGuardTest, PriorityAllowanceGrowsWithOpenedStreams) {
  AbuseGuard guard;
  guard.on_stream_opened();
  guard.on_stream_opened();
  // (1 + 2 streams) * 100.
  for (uint32_t i = 0; i < 300; ++i) {
    ASSERT_EQ(guard.on_frame(kPriority, 5, kNoFlags), Verdict::kOk) << i;
  }
  EXPECT_EQ(guard.on_frame(kPriority, 5, kNoFlags), Verdict::kAbuse);
}

TEST(AbuseGuardTest, WindowUpdatesBeforeAnyDataSent) {
  static_assert(AbuseGuard::kWindowUpdateAllowance == 100);
  AbuseGuard guard;
  for (uint32_t i = 0; i < AbuseGuard::kWindowUpdateAllowance; ++i) {
    ASSERT_EQ(guard.on_frame(kWindowUpdate, 4, kNoFlags), Verdict::kOk) << i;
  }
  EXPECT_EQ(guard.on_frame(kWindowUpdate, 4, kNoFlags), Verdict::kAbuse);
  EXPECT_EQ(guard.reason(), "WINDOW_UPDATE frame flood");
}

TEST(AbuseGuardTest, WindowUpdateAllowanceGrowsWithDataFramesSent) {
  static_assert(AbuseGuard::kMaxWindowUpdatesPerDataFrame == 10);
  AbuseGuard guard;
  for (int i = 0; i < 3; ++i) {
    guard.on_data_frame_sent();
  }
  // 100 + 10 * 3.
  for (uint32_t i = 0; i < 130; ++i) {
    ASSERT_EQ(guard.on_frame(kWindowUpdate, 4, kNoFlags), Verdict::kOk) << i;
  }
  EXPECT_EQ(guard.on_frame(kWindowUpdate, 4, kNoFlags), Verdict::kAbuse);
}

TEST(AbuseGuardTest, PrematureResetsBelowTheMinimumAreAllowedEvenIfAllStreamsWereReset) {
  static_assert(AbuseGuard::kMinPrematureResets == 100);
  AbuseGuard guard;
  for (uint32_t i = 0; i + 1 < AbuseGuard::kMinPrematureResets; ++i) {
    guard.on_stream_opened();
    ASSERT_EQ(guard.on_premature_reset(), Verdict::kOk) << i;
  }
  guard.on_stream_opened();
  EXPECT_EQ(guard.on_premature_reset(), Verdict::kAbuse);  // the 100th of 100 streams
  EXPECT_EQ(guard.reason(), "too many streams reset before their response (rapid reset)");
}

TEST(AbuseGuardTest, PrematureResetsAtExactlyHalfOfTheStreamsAreAbuse) {
  AbuseGuard guard;
  for (int i = 0; i < 200; ++i) {
    guard.on_stream_opened();
  }
  for (int i = 0; i < 99; ++i) {
    ASSERT_EQ(guard.on_premature_reset(), Verdict::kOk) << i;
  }
  EXPECT_EQ(guard.on_premature_reset(), Verdict::kAbuse);  // 100 * 2 >= 200
}

TEST(AbuseGuardTest, PrematureResetsUnderHalfOfTheStreamsAreAllowed) {
  AbuseGuard guard;
  for (int i = 0; i < 201; ++i) {
    guard.on_stream_opened();
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(guard.on_premature_reset(), Verdict::kOk) << i;  // 100 * 2 < 201
  }
  EXPECT_EQ(guard.on_premature_reset(), Verdict::kAbuse);  // 101 * 2 >= 201
}

TEST(AbuseGuardTest, FreshGuardHasNoReason) {
  AbuseGuard guard;
  EXPECT_EQ(guard.on_frame(kData, 10, kNoFlags), Verdict::kOk);
  EXPECT_TRUE(guard.reason().empty());
}

}  // namespace
}  // namespace nexus::http2

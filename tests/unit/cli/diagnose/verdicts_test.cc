// How diagnose judges a certificate's expiry and a provider probe's status.
#include "cli/diagnose/verdicts.h"

#include <gtest/gtest.h>

namespace nexus::cli::diagnose {
namespace {

using std::chrono::hours;
using Time = std::chrono::system_clock::time_point;

// 2026-11-23 06:00 UTC.
const Time kNow = std::chrono::system_clock::from_time_t(1795413600);

TEST(DiagnoseVerdicts, CertificateWithMonthsLeftIsOk) {
  const CertificateVerdict verdict = certificate_verdict(kNow + hours(24 * 90 + 5), kNow);
  EXPECT_EQ(verdict.status, Status::kOk);
  EXPECT_EQ(verdict.days_left, 90);
  EXPECT_EQ(verdict.text, "expires in 90 days (2027-02-21 11:00 UTC)");
}

TEST(DiagnoseVerdicts, CertificateWarnsUnderFourteenDays) {
  EXPECT_EQ(certificate_verdict(kNow + hours(24 * 14), kNow).status, Status::kOk);
  const CertificateVerdict soon = certificate_verdict(kNow + hours(24 * 14 - 1), kNow);
  EXPECT_EQ(soon.status, Status::kWarn);
  EXPECT_EQ(soon.days_left, 13);
  EXPECT_EQ(soon.text, "expires in 13 days (2026-12-07 05:00 UTC): renew it");
  const CertificateVerdict today = certificate_verdict(kNow + hours(3), kNow);
  EXPECT_EQ(today.status, Status::kWarn);
  EXPECT_EQ(today.days_left, 0);
  EXPECT_EQ(today.text, "expires in less than a day (2026-11-23 09:00 UTC): renew it");
  EXPECT_EQ(certificate_verdict(kNow + hours(30), kNow).text,
            "expires in 1 day (2026-11-24 12:00 UTC): renew it");
}

TEST(DiagnoseVerdicts, ExpiredCertificateFails) {
  const CertificateVerdict expired = certificate_verdict(kNow - hours(24 * 3 + 1), kNow);
  EXPECT_EQ(expired.status, Status::kFail);
  EXPECT_EQ(expired.days_left, -3);
  EXPECT_EQ(expired.text, "expired 3 days ago (2026-11-20 05:00 UTC)");
  EXPECT_EQ(certificate_verdict(kNow, kNow).status, Status::kFail);
  EXPECT_EQ(certificate_verdict(kNow - hours(2), kNow).text,
            "expired today (2026-11-23 04:00 UTC)");
}

TEST(DiagnoseVerdicts, ProbeStatus) {
  EXPECT_EQ(probe_verdict(200).status, Status::kOk);
  EXPECT_EQ(probe_verdict(200).text, "status 200: reachable, key accepted");
  for (const int rejected : {401, 403}) {
    const ProbeVerdict verdict = probe_verdict(rejected);
    EXPECT_EQ(verdict.status, Status::kFail);
    EXPECT_EQ(verdict.text, "key rejected (status " + std::to_string(rejected) + ")");
  }
  EXPECT_EQ(probe_verdict(429).status, Status::kWarn);
  EXPECT_EQ(probe_verdict(404).status, Status::kFail);
  EXPECT_EQ(probe_verdict(503).text, "status 503: the provider is failing");
  EXPECT_EQ(probe_verdict(302).status, Status::kFail);
}

}  // namespace
}  // namespace nexus::cli::diagnose

// How `nexus diagnose` judges what it measured over the network: a certificate's expiry and an
// API probe's status. Pure functions (the time is passed in), so that they are unit-tested.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cli/diagnose/check_result.h"

namespace nexus::cli::diagnose {

// A certificate with fewer days than this left warns: time to renew it before it fails.
inline constexpr int64_t kCertificateWarnDays = 14;

struct CertificateVerdict {
  Status status = Status::kOk;  // kFail once expired, kWarn under kCertificateWarnDays
  int64_t days_left = 0;        // whole days until not_after (negative once expired)
  std::string text;             // "expires in 41 days (2027-01-03 12:00 UTC)"
};

CertificateVerdict certificate_verdict(std::chrono::system_clock::time_point not_after,
                                       std::chrono::system_clock::time_point now);

struct ProbeVerdict {
  Status status = Status::kOk;
  std::string text;
};

// The status of a provider's model list: 2xx ok; 401/403 the key rejected (fail); 429 rate
// limited, which still says the key was accepted (warn); anything else a failure.
ProbeVerdict probe_verdict(int http_status);

// "2027-01-03 12:00 UTC".
std::string utc_text(std::chrono::system_clock::time_point time);

}  // namespace nexus::cli::diagnose

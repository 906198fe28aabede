#include "cli/diagnose/verdicts.h"

#include <ctime>

namespace nexus::cli::diagnose {
namespace {

using Days = std::chrono::duration<int64_t, std::ratio<86400>>;

std::string days_text(int64_t days) {
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

}  // namespace

std::string utc_text(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  const size_t size = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return {text, size};
}

CertificateVerdict certificate_verdict(std::chrono::system_clock::time_point not_after,
                                       std::chrono::system_clock::time_point now) {
  CertificateVerdict verdict;
  const std::string when = " (" + utc_text(not_after) + ")";
  if (not_after <= now) {
    const int64_t ago = std::chrono::floor<Days>(now - not_after).count();
    verdict.status = Status::kFail;
    verdict.days_left = -ago;
    verdict.text = ago == 0 ? "expired today" + when : "expired " + days_text(ago) + " ago" + when;
    return verdict;
  }
  verdict.days_left = std::chrono::floor<Days>(not_after - now).count();
  verdict.text = verdict.days_left == 0 ? "expires in less than a day" + when
                                        : "expires in " + days_text(verdict.days_left) + when;
  if (verdict.days_left < kCertificateWarnDays) {
    verdict.status = Status::kWarn;
    verdict.text += ": renew it";
  }
  return verdict;
}

ProbeVerdict probe_verdict(int http_status) {
  const std::string status = "status " + std::to_string(http_status);
  if (http_status >= 200 && http_status <= 299) {
    return {Status::kOk, status + ": reachable, key accepted"};
  }
  if (http_status == 401 || http_status == 403) {
    return {Status::kFail, "key rejected (" + status + ")"};
  }
  if (http_status == 429) {
    return {Status::kWarn, status + ": rate limited (the key was accepted)"};
  }
  if (http_status == 404) {
    return {Status::kFail, status + ": no model list there (is base_url right?)"};
  }
  if (http_status >= 500) {
    return {Status::kFail, status + ": the provider is failing"};
  }
  return {Status::kFail, status};
}

}  // namespace nexus::cli::diagnose

#include "filters/rate_limit/config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

#include "filters/rate_limit/rate_limit_filter.h"

namespace nexus::filters {
namespace {

using rate_limit::Algorithm;
using rate_limit::KeyKind;
using rate_limit::LimitConfig;

constexpr std::array<std::string_view, 4> kAlgorithms = {"token_bucket", "leaky_bucket",
                                                         "sliding_window", "fixed_window"};
constexpr std::array<std::string_view, 5> kKeys = {"client_ip", "identity", "route", "header",
                                                   "global"};
constexpr std::array<std::string_view, 2> kMissingHeader = {"skip", "empty"};
constexpr std::array<std::string_view, 3> kWhenFull = {"evict", "allow", "deny"};
constexpr uint64_t kMaxRate = 1'000'000'000;
constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr std::chrono::hours kMaxPeriod{24};

// The index of the value of `key` in `names` (`fallback` when absent).
template <size_t N>
Result<size_t> read_choice(const Reader& r, const Field& map, std::string_view key,
                           const std::array<std::string_view, N>& names, size_t fallback) {
  Field field = r.child(map, key);
  if (!field.present) {
    return fallback;
  }
  auto value = r.one_of(field, names);
  if (!value) {
    return std::unexpected(std::move(value.error()));
  }
  return static_cast<size_t>(std::ranges::find(names, *value) - names.begin());
}

// A key that only means something with another setting: an error elsewhere, so that a typo'd
// config (burst on a window) does not silently do nothing.
Result<void> only_with(const Reader& r, const Field& map, std::string_view key, bool allowed,
                       std::string_view what) {
  if (Field field = r.child(map, key); field.present && !allowed) {
    return r.error(field, "only for " + std::string(what));
  }
  return {};
}

Result<void> read_rate(const Reader& r, const Field& item, LimitConfig& out) {
  Field rate = r.child(item, "rate");
  NEXUS_CONFIG_TRY(r.require(rate));
  auto value = r.integer(rate, 1, kMaxRate);
  if (!value) {
    return std::unexpected(std::move(value.error()));
  }
  out.spec.rate = static_cast<int64_t>(*value);
  config::Duration per{1000};
  NEXUS_CONFIG_TRY(r.read(item, "per", per));
  if (per.count() <= 0 || per > kMaxPeriod) {
    return r.error(r.child(item, "per"), "expected a period from 1ms to 24h");
  }
  out.spec.period_ns = per.count() * kNanosPerMilli;
  if (out.spec.rate > out.spec.period_ns) {
    return r.error(rate, "more than one request per nanosecond");
  }
  auto burst = static_cast<uint64_t>(out.spec.rate);
  NEXUS_CONFIG_TRY(r.read_integer(item, "burst", burst, 1, kMaxRate));
  out.spec.burst = static_cast<int64_t>(burst);
  config::Duration max_wait{0};
  NEXUS_CONFIG_TRY(r.read(item, "max_wait", max_wait));
  if (max_wait > kMaxPeriod) {
    return r.error(r.child(item, "max_wait"), "expected at most 24h");
  }
  out.spec.max_wait_ns = max_wait.count() * kNanosPerMilli;
  out.spec.derive();
  // The bucket's capacity in time must fit the 64-bit arithmetic of the algorithms.
  if (static_cast<__int128>(out.spec.burst) * out.spec.interval_ns > (int64_t{1} << 61)) {
    return r.error(r.child(item, "burst"), "burst × per / rate is too long (over 70 years)");
  }
  return {};
}

Result<void> read_key(const Reader& r, const Field& item, LimitConfig& out) {
  auto key = read_choice(r, item, "key", kKeys, 0);
  if (!key) {
    return std::unexpected(std::move(key.error()));
  }
  out.key = static_cast<KeyKind>(*key);
  const bool by_header = out.key == KeyKind::kHeader;
  NEXUS_CONFIG_TRY(only_with(r, item, "header", by_header, "key: header"));
  NEXUS_CONFIG_TRY(only_with(r, item, "missing_header", by_header, "key: header"));
  if (!by_header) {
    return {};
  }
  Field header = r.child(item, "header");
  NEXUS_CONFIG_TRY(r.require(header));
  auto name = r.string(header);
  if (!name) {
    return std::unexpected(std::move(name.error()));
  }
  if (name->empty() || name->find_first_of(" :\t\r\n") != std::string::npos) {
    return r.error(header, "expected a header name, got '" + *name + "'");
  }
  out.header = *name;
  std::ranges::transform(out.header, out.header.begin(),
                         [](unsigned char c) { return std::tolower(c); });
  auto missing = read_choice(r, item, "missing_header", kMissingHeader, 0);
  if (!missing) {
    return std::unexpected(std::move(missing.error()));
  }
  out.skip_missing_header = *missing == 0;
  return {};
}

Result<LimitConfig> parse_limit(const Reader& r, const Field& item, size_t index) {
  NEXUS_CONFIG_TRY(
      r.check_mapping(item, {"name", "algorithm", "key", "header", "missing_header", "rate", "per",
                             "burst", "max_wait", "max_keys", "when_full"}));
  LimitConfig out;
  out.name = "limits[" + std::to_string(index) + "]";
  NEXUS_CONFIG_TRY(r.read(item, "name", out.name));
  auto algorithm = read_choice(r, item, "algorithm", kAlgorithms, 0);
  if (!algorithm) {
    return std::unexpected(std::move(algorithm.error()));
  }
  out.spec.algorithm = static_cast<Algorithm>(*algorithm);
  NEXUS_CONFIG_TRY(only_with(r, item, "burst", out.spec.algorithm == Algorithm::kTokenBucket,
                             "algorithm: token_bucket"));
  NEXUS_CONFIG_TRY(only_with(r, item, "max_wait", out.spec.algorithm == Algorithm::kLeakyBucket,
                             "algorithm: leaky_bucket"));
  NEXUS_CONFIG_TRY(read_rate(r, item, out));
  NEXUS_CONFIG_TRY(read_key(r, item, out));
  NEXUS_CONFIG_TRY(r.read_integer(item, "max_keys", out.max_keys, 1, 100'000'000));
  auto when_full = read_choice(r, item, "when_full", kWhenFull, 0);
  if (!when_full) {
    return std::unexpected(std::move(when_full.error()));
  }
  out.when_full = static_cast<rate_limit::WhenFull>(*when_full);
  return out;
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_rate_limit_filter(const Reader& r,
                                                                       const Field& field) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"limits", "headers"}));
  RateLimitConfig config;
  NEXUS_CONFIG_TRY(r.read(field, "headers", config.headers));
  Field limits = r.child(field, "limits");
  NEXUS_CONFIG_TRY(r.require(limits));
  auto items = r.items(limits, /*non_empty=*/true);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  if (items->size() > rate_limit::kMaxLimits) {
    return r.error(limits, "at most " + std::to_string(rate_limit::kMaxLimits) +
                               " limits in one filter (use several filters)");
  }
  for (size_t i = 0; i < items->size(); ++i) {
    auto limit = parse_limit(r, (*items)[i], i);
    if (!limit) {
      return std::unexpected(std::move(limit.error()));
    }
    config.limits.push_back(std::move(*limit));
  }
  return std::make_shared<RateLimitFactory>(std::move(config));
}

}  // namespace nexus::filters

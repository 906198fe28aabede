// libFuzzer target: the request header values filters parse: Accept-Encoding (compression),
// X-Forwarded-For entries and CIDR/IP text (ip_filter). The input is split at the first NUL
// into the part given to each parser. Sanitizers find memory errors; the checks below trap on
// results that break the parsers' own promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/cidr.h"
#include "filters/compression/negotiate.h"

namespace {

namespace compression = nexus::filters::compression;

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static constexpr compression::Coding kOffered[] = {
      compression::Coding::kBrotli, compression::Coding::kZstd, compression::Coding::kGzip};
  const compression::Coding chosen = compression::negotiate(input, kOffered);
  require(chosen == compression::Coding::kIdentity || chosen == compression::Coding::kBrotli ||
          chosen == compression::Coding::kZstd || chosen == compression::Coding::kGzip);

  std::string_view bare;
  if (const auto address = nexus::parse_forwarded_ip(input, &bare); address) {
    require(bare.data() >= input.data() && bare.data() + bare.size() <= input.data() + size);
    require(nexus::parse_ip(bare) == address);
  }
  if (const auto range = nexus::parse_cidr(input); range) {
    require(range->contains(range->network));
  }
  return 0;
}

// libFuzzer target: request body decompression (the compression filter's decoders), fed in
// data-derived pieces. The first byte picks the coding. Whatever the input, a decoder must never
// produce more than its limit plus one chunk, and an accepted body must decode the same whether
// it arrives whole or in pieces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/compression/decoder.h"

namespace {

using nexus::filters::compression::Coding;
using nexus::filters::compression::DecodeLimits;
using nexus::filters::compression::make_decoder;

constexpr DecodeLimits kLimits{.max_output = 1 << 20, .max_ratio = 100};

void require(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

// The decoded body, or nullopt when the decoder refused it; pieces of `step` bytes.
std::optional<std::string> decode(Coding coding, std::string_view body, size_t step) {
  auto decoder = make_decoder(coding, kLimits);
  require(decoder.has_value());
  std::string out;
  for (size_t at = 0; at < body.size(); at += step) {
    if (!(*decoder)->write(body.substr(at, step), out)) {
      require(out.size() <= kLimits.max_output + 16 * 1024);
      return std::nullopt;
    }
    require(out.size() <= kLimits.max_output + 16 * 1024);
  }
  if (!(*decoder)->finish()) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) {
    return 0;
  }
  static constexpr Coding kCodings[] = {Coding::kGzip, Coding::kDeflate, Coding::kBrotli,
                                        Coding::kZstd};
  const Coding coding = kCodings[data[0] % 4];
  const size_t step = 1 + data[1] % 64;
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto whole = decode(coding, body, body.empty() ? 1 : body.size());
  const auto pieces = decode(coding, body, step);
  require(whole.has_value() == pieces.has_value());
  if (whole.has_value()) {
    require(whole.value_or("") == pieces.value_or(""));
  }
  return 0;
}

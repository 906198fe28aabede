// Content codings and the choice of one from a request's Accept-Encoding (RFC 9110 §12.5.3).
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace nexus::filters::compression {

enum class Coding : uint8_t { kIdentity, kGzip, kDeflate, kBrotli, kZstd };

// The coding's token as used in Accept-Encoding and Content-Encoding ("gzip", "br", ...).
std::string_view coding_name(Coding coding);
// The coding a token names (case-insensitive; "x-gzip" is gzip), or nullopt when unknown.
std::optional<Coding> coding_from_name(std::string_view name);

// The coding to compress a response with, given the request's Accept-Encoding (`header` is
// nullopt when the request had none: then nothing is compressed, as browsers always send one and
// a client without it may not decode anything) and the codings we offer in server preference
// order. The highest q wins; q=0 means "not acceptable"; `*` stands for every coding not listed;
// ties go to the earlier coding in `offered`. kIdentity when no offered coding is acceptable, or
// when the client ranks identity strictly higher than the best of them.
Coding negotiate(std::optional<std::string_view> header, std::span<const Coding> offered);

}  // namespace nexus::filters::compression

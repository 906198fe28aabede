#include "filters/compression/negotiate.h"

#include <array>

#include "http/http1/message.h"

namespace nexus::filters::compression {
namespace {

using http1::iequals;

constexpr int kNotListed = -1;

std::string_view trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  const size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

// A qvalue in thousandths: "0", "0.5", "1", "1.000" (RFC 9110 §12.4.2); nullopt when malformed.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) {
    return std::nullopt;
  }
  int value = (text[0] - '0') * 1000;
  if (text.size() == 1) {
    return value;
  }
  if (text[1] != '.' || text.size() > 5) {
    return std::nullopt;
  }
  int scale = 100;
  for (char c : text.substr(2)) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value <= 1000 ? std::optional<int>(value) : std::nullopt;
}

// The q of one list element "coding;q=0.5;other=x" (1000 when it has none); nullopt when its
// q is malformed, which makes the element count as absent rather than guessing.
std::optional<int> element_q(std::string_view params) {
  int q = 1000;
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "q")) {
      continue;
    }
    std::optional<int> parsed = parse_qvalue(trim(param.substr(eq + 1)));
    if (!parsed) {
      return std::nullopt;
    }
    q = *parsed;
  }
  return q;
}

// What the client said about each coding (indexed by Coding) and about `*`.
struct Weights {
  std::array<int, 5> coding{kNotListed, kNotListed, kNotListed, kNotListed, kNotListed};
  int any = kNotListed;
};

Weights parse_accept_encoding(std::string_view header) {
  Weights weights;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view element = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const size_t semi = element.find(';');
    const std::string_view name = trim(element.substr(0, semi));
    if (name.empty()) {
      continue;
    }
    std::optional<int> q =
        element_q(semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1));
    if (!q) {
      continue;
    }
    int* slot = nullptr;
    if (name == "*") {
      slot = &weights.any;
    } else if (std::optional<Coding> coding = coding_from_name(name)) {
      slot = &weights.coding[static_cast<size_t>(*coding)];
    }
    if (slot != nullptr && *slot == kNotListed) {  // the first mention of a coding counts
      *slot = *q;
    }
  }
  return weights;
}

}  // namespace

std::string_view coding_name(Coding coding) {
  switch (coding) {
    case Coding::kIdentity:
      return "identity";
    case Coding::kGzip:
      return "gzip";
    case Coding::kDeflate:
      return "deflate";
    case Coding::kBrotli:
      return "br";
    case Coding::kZstd:
      return "zstd";
  }
  return "identity";
}

std::optional<Coding> coding_from_name(std::string_view name) {
  for (Coding coding :
       {Coding::kIdentity, Coding::kGzip, Coding::kDeflate, Coding::kBrotli, Coding::kZstd}) {
    if (iequals(name, coding_name(coding))) {
      return coding;
    }
  }
  if (iequals(name, "x-gzip")) {  // RFC 9110 §8.4.1.3: recipients should treat it as gzip
    return Coding::kGzip;
  }
  return std::nullopt;
}

Coding negotiate(std::optional<std::string_view> header, std::span<const Coding> offered) {
  if (!header) {
    return Coding::kIdentity;
  }
  const Weights weights = parse_accept_encoding(*header);
  Coding best = Coding::kIdentity;
  int best_q = 0;
  for (Coding coding : offered) {
    const int listed = weights.coding[static_cast<size_t>(coding)];
    const int q = listed != kNotListed ? listed : weights.any;
    if (q > best_q) {  // strictly greater: on a tie the earlier (preferred) coding stays
      best = coding;
      best_q = q;
    }
  }
  // Identity is acceptable unless excluded; it only competes when the client ranked it (itself
  // or through `*`), and then wins only when ranked strictly higher than the best coding.
  const int identity_listed = weights.coding[static_cast<size_t>(Coding::kIdentity)];
  const int identity_q = identity_listed != kNotListed ? identity_listed : weights.any;
  if (best != Coding::kIdentity && identity_q > best_q) {
    return Coding::kIdentity;
  }
  return best;
}

}  // namespace nexus::filters::compression

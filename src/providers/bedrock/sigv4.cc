#include "providers/bedrock/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>

namespace nexus::providers::bedrock {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr size_t kDigestBytes = 32;

using Digest = std::array<unsigned char, kDigestBytes>;

bool unreserved(unsigned char c) {
  // ASCII only, whatever the locale.
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

Result<Digest> sha256(std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != kDigestBytes) {
    return fail(ErrorCode::kInternal, "SigV4: SHA-256 failed");
  }
  return digest;
}

Result<Digest> hmac(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &size) == nullptr ||
      size != kDigestBytes) {
    return fail(ErrorCode::kInternal, "SigV4: HMAC-SHA256 failed");
  }
  return digest;
}

std::string_view view(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string hex(const Digest& digest) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims the value and folds each inner run of spaces into one.
std::string canonical_value(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

// The signing key: HMAC chain over date, region, service and "aws4_request".
Result<Digest> signing_key(std::string_view secret, std::string_view date, std::string_view region,
                           std::string_view service) {
  std::string key = "AWS4";
  key += secret;
  auto k_date = hmac(key, date);
  if (!k_date) {
    return k_date;
  }
  auto k_region = hmac(view(*k_date), region);
  if (!k_region) {
    return k_region;
  }
  auto k_service = hmac(view(*k_region), service);
  if (!k_service) {
    return k_service;
  }
  return hmac(view(*k_service), "aws4_request");
}

}  // namespace

void append_uri_encoded(std::string_view text, std::string& out) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (unreserved(byte)) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
}

std::string canonical_uri(std::string_view path) {
  if (path.empty()) {
    return "/";
  }
  std::string out;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    append_uri_encoded(path.substr(start, slash - start), out);
    if (slash == std::string_view::npos) {
      break;
    }
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string canonical_query(std::span<const std::pair<std::string, std::string>> query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    std::pair<std::string, std::string> pair;
    append_uri_encoded(name, pair.first);
    append_uri_encoded(value, pair.second);
    encoded.push_back(std::move(pair));
  }
  std::ranges::sort(encoded);
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) {
      out += '&';
    }
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss time(seconds - days);
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(),
                "%04d%02u%02u"
                "T%02d%02d%02dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return {text.data(), 16};
}

namespace {

// The canonical request; `names` gets the signed header names ("host;x-amz-date").
std::string canonical_request(const SigningRequest& request, const std::vector<Header>& added,
                              std::string_view payload_hash, std::string& names) {
  // Sorted by lower-case name; repeated names joined with ','.
  std::map<std::string, std::string> headers{{"host", canonical_value(request.host)}};
  const auto add = [&](const Header& header) {
    auto [it, inserted] = headers.try_emplace(lower(header.name), canonical_value(header.value));
    if (!inserted) {
      it->second += ',';
      it->second += canonical_value(header.value);
    }
  };
  std::ranges::for_each(request.headers, add);
  std::ranges::for_each(added, add);
  std::string canonical(request.method);
  canonical += '\n';
  canonical += canonical_uri(request.path);
  canonical += '\n';
  canonical += canonical_query(request.query);
  canonical += '\n';
  for (const auto& [name, value] : headers) {
    canonical += name;
    canonical += ':';
    canonical += value;
    canonical += '\n';
    if (!names.empty()) {
      names += ';';
    }
    names += name;
  }
  canonical += '\n';
  canonical += names;
  canonical += '\n';
  canonical += payload_hash;
  return canonical;
}

// The signature's hex digits for the canonical request.
Result<std::string> signature(const SigningRequest& request, const Credentials& credentials,
                              std::string_view timestamp, std::string_view scope,
                              std::string_view canonical) {
  auto canonical_digest = sha256(canonical);
  if (!canonical_digest) {
    return std::unexpected(std::move(canonical_digest.error()));
  }
  std::string to_sign(kAlgorithm);
  to_sign += '\n';
  to_sign += timestamp;
  to_sign += '\n';
  to_sign += scope;
  to_sign += '\n';
  to_sign += hex(*canonical_digest);
  auto key = signing_key(credentials.secret_access_key, timestamp.substr(0, 8), request.region,
                         request.service);
  if (!key) {
    return std::unexpected(std::move(key.error()));
  }
  auto signed_digest = hmac(view(*key), to_sign);
  if (!signed_digest) {
    return std::unexpected(std::move(signed_digest.error()));
  }
  return hex(*signed_digest);
}

}  // namespace

Result<std::vector<Header>> sign(const SigningRequest& request, const Credentials& credentials,
                                 std::chrono::system_clock::time_point now) {
  const std::string timestamp = amz_date(now);
  auto body_digest = sha256(request.body);
  if (!body_digest) {
    return std::unexpected(std::move(body_digest.error()));
  }
  const std::string payload_hash = hex(*body_digest);
  std::vector<Header> added{{"x-amz-date", timestamp}};
  if (!credentials.session_token.empty()) {
    added.push_back({"x-amz-security-token", credentials.session_token});
  }
  if (request.content_sha256_header) {
    added.push_back({"x-amz-content-sha256", payload_hash});
  }
  std::string names;
  const std::string canonical = canonical_request(request, added, payload_hash, names);
  std::string scope = timestamp.substr(0, 8);
  scope += '/';
  scope += request.region;
  scope += '/';
  scope += request.service;
  scope += "/aws4_request";
  auto signed_hex = signature(request, credentials, timestamp, scope, canonical);
  if (!signed_hex) {
    return std::unexpected(std::move(signed_hex.error()));
  }
  std::string authorization(kAlgorithm);
  authorization += " Credential=";
  authorization += credentials.access_key_id;
  authorization += '/';
  authorization += scope;
  authorization += ", SignedHeaders=";
  authorization += names;
  authorization += ", Signature=";
  authorization += *signed_hex;
  added.push_back({"authorization", std::move(authorization)});
  return added;
}

std::string runtime_host(std::string_view region) {
  std::string host = "bedrock-runtime.";
  host += region;
  host += ".amazonaws.com";
  return host;
}

void append_model_path(std::string_view model_id, bool stream, std::string& path) {
  path += "/model/";
  append_uri_encoded(model_id, path);
  path += stream ? "/converse-stream" : "/converse";
}

void append_invoke_path(std::string_view model_id, bool stream, std::string& path) {
  path += "/model/";
  append_uri_encoded(model_id, path);
  path += stream ? "/invoke-with-response-stream" : "/invoke";
}

}  // namespace nexus::providers::bedrock

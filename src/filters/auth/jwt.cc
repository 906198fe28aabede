#include "filters/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "core/encoding.h"

namespace nexus::filters::auth {
namespace {

namespace json = boost::json;

constexpr size_t kMaxTokenBytes = size_t{16} * 1024;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

std::unexpected<JwtError> reject(JwtFailure failure, std::string message) {
  return std::unexpected(JwtError{failure, std::move(message)});
}

std::optional<json::object> decode_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value value = json::parse(*bytes, ec);
  if (ec || !value.is_object()) {
    return std::nullopt;
  }
  return std::move(value.get_object());
}

std::string string_claim(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

// JOSE carries an ES256 signature as r||s (32 bytes each); EVP wants DER (RFC 7518 3.4).
std::optional<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 64) {
    return std::nullopt;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);  // set0 takes ownership only on success
    BN_free(s);
    return std::nullopt;
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) {
    return std::nullopt;
  }
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

bool evp_verify(const VerifyKey& key, bool digest, std::string_view data, std::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  // Ed25519 hashes internally (no digest); RSA and ECDSA sign SHA-256.
  return ctx &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, digest ? EVP_sha256() : nullptr, nullptr,
                              key.pkey.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

// A NumericDate claim (seconds, possibly fractional); nullopt when absent, error when not a number.
std::expected<std::optional<double>, JwtError> numeric_date(const json::object& payload,
                                                            std::string_view name) {
  const json::value* value = payload.if_contains(name);
  if (value == nullptr) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const double seconds = value->to_number<double>(ec);
  if (ec) {
    return reject(JwtFailure::kMalformed, "claim '" + std::string(name) + "' is not a number");
  }
  return seconds;
}

std::expected<void, JwtError> check_times(const json::object& payload, const JwtPolicy& policy,
                                          std::chrono::system_clock::time_point now) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const auto skew = static_cast<double>(policy.clock_skew.count());
  auto exp = numeric_date(payload, "exp");
  auto nbf = numeric_date(payload, "nbf");
  if (!exp || !nbf) {
    return std::unexpected(!exp ? exp.error() : nbf.error());
  }
  const std::optional<double> expires = *exp;
  const std::optional<double> not_before = *nbf;
  if (!expires.has_value() && policy.require_exp) {
    return reject(JwtFailure::kExpired, "token has no expiry (exp)");
  }
  if (expires.has_value() && now_s >= expires.value() + skew) {
    return reject(JwtFailure::kExpired, "token expired");
  }
  if (not_before.has_value() && now_s + skew < not_before.value()) {
    return reject(JwtFailure::kNotYetValid, "token not yet valid (nbf)");
  }
  return {};
}

std::expected<void, JwtError> check_issuer_audience(const json::object& payload,
                                                    const JwtPolicy& policy) {
  if (!policy.issuers.empty() &&
      std::ranges::find(policy.issuers, string_claim(payload, "iss")) == policy.issuers.end()) {
    return reject(JwtFailure::kIssuer, "issuer not accepted");
  }
  if (policy.audiences.empty()) {
    return {};
  }
  auto accepted = [&](const json::value& value) {
    return value.is_string() &&
           std::ranges::find(policy.audiences, std::string_view(value.get_string())) !=
               policy.audiences.end();
  };
  const json::value* aud = payload.if_contains("aud");
  const bool ok =
      aud != nullptr &&
      (aud->is_array() ? std::ranges::any_of(aud->get_array(), accepted) : accepted(*aud));
  if (!ok) {
    return reject(JwtFailure::kAudience, "audience not accepted");
  }
  return {};
}

std::string claim_text(const json::value& value) {
  if (value.is_string()) {
    return std::string(value.get_string());
  }
  return json::serialize(value);  // numbers and booleans
}

}  // namespace

bool verify_signature(std::string_view alg, const VerifyKey& key, std::string_view signing_input,
                      std::string_view signature) {
  if (alg != algorithm_of(key.kind)) {
    return false;  // a key only ever verifies its own kind's algorithm (no alg confusion)
  }
  switch (key.kind) {
    case KeyKind::kHmac: {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int size = 0;
      if (HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
               reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
               mac, &size) == nullptr) {
        return false;
      }
      return constant_time_equal(std::string_view(reinterpret_cast<const char*>(mac), size),
                                 signature);
    }
    case KeyKind::kRsa:
      return evp_verify(key, /*digest=*/true, signing_input, signature);
    case KeyKind::kEcP256: {
      auto der = ecdsa_der(signature);
      return der && evp_verify(key, /*digest=*/true, signing_input, *der);
    }
    case KeyKind::kEd25519:
      return evp_verify(key, /*digest=*/false, signing_input, signature);
  }
  return false;
}

std::expected<VerifiedJwt, JwtError> verify_jwt(
    std::string_view token, const JwtPolicy& policy,
    std::span<const std::shared_ptr<const VerifyKey>> keys,
    std::chrono::system_clock::time_point now) {
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (token.size() > kMaxTokenBytes || second == std::string_view::npos ||
      token.find('.', second + 1) != std::string_view::npos) {
    return reject(JwtFailure::kMalformed, "malformed token");
  }
  auto header = decode_object(token.substr(0, first));
  auto payload = decode_object(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !payload || !signature) {
    return reject(JwtFailure::kMalformed, "malformed token");
  }
  const std::string alg = string_claim(*header, "alg");
  if (alg == "none" || std::ranges::find(policy.algorithms, alg) == policy.algorithms.end()) {
    return reject(JwtFailure::kAlgorithm, "algorithm not allowed");
  }
  if (header->contains("crit")) {
    return reject(JwtFailure::kAlgorithm, "unsupported critical header");
  }
  VerifiedJwt out;
  out.kid = string_claim(*header, "kid");
  const std::string_view signing_input = token.substr(0, second);
  bool candidate = false;
  bool verified = false;
  for (const auto& key : keys) {
    const bool kid_fits = key->kid.empty() || out.kid.empty() || key->kid == out.kid;
    const bool alg_fits = algorithm_of(key->kind) == alg && (key->alg.empty() || key->alg == alg);
    if (!kid_fits || !alg_fits) {
      continue;
    }
    candidate = true;
    if (verify_signature(alg, *key, signing_input, *signature)) {
      verified = true;
      break;
    }
  }
  if (!candidate) {
    return reject(JwtFailure::kUnknownKey, "no key for this token");
  }
  if (!verified) {
    return reject(JwtFailure::kSignature, "invalid signature");
  }
  if (auto times = check_times(*payload, policy, now); !times) {
    return std::unexpected(std::move(times.error()));
  }
  if (auto names = check_issuer_audience(*payload, policy); !names) {
    return std::unexpected(std::move(names.error()));
  }
  out.subject = string_claim(*payload, "sub");
  out.payload = std::move(*payload);
  return out;
}

std::vector<std::pair<std::string, std::string>> scalar_claims(const json::object& payload) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : payload) {
    const json::value& value = entry.value();
    if (value.is_string() || value.is_number() || value.is_bool()) {
      out.emplace_back(std::string(entry.key()), claim_text(value));
    }
  }
  return out;
}

std::string unmet_claim(const json::object& payload,
                        const std::map<std::string, std::string, std::less<>>& required) {
  for (const auto& [name, wanted] : required) {
    const json::value* value = payload.if_contains(name);
    bool met = false;
    if (value != nullptr && value->is_array()) {
      met = std::ranges::any_of(value->get_array(), [&](const json::value& item) {
        return item.is_string() && item.get_string() == wanted;
      });
    } else if (value != nullptr && value->is_string()) {
      const std::string_view text = value->get_string();
      met = text == wanted;
      for (size_t start = 0; !met && start <= text.size();) {
        const size_t end = std::min(text.find(' ', start), text.size());
        met = text.substr(start, end - start) == wanted;
        start = end + 1;
      }
    } else if (value != nullptr && (value->is_number() || value->is_bool())) {
      met = claim_text(*value) == wanted;
    }
    if (!met) {
      return name;
    }
  }
  return "";
}

}  // namespace nexus::filters::auth

#include "filters/auth/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <optional>

#include "core/encoding.h"

namespace nexus::filters::auth {
namespace {

namespace json = boost::json;

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct BldDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

std::unexpected<Error> key_error(std::string message) {
  return fail(ErrorCode::kInvalidConfig, std::move(message));
}

// A base64url member of a JWK, decoded; nullopt when missing or malformed.
std::optional<std::string> member(const json::object& jwk, std::string_view name) {
  const json::value* value = jwk.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  const json::string& text = value->get_string();
  return base64url_decode(std::string_view(text.data(), text.size()));
}

std::string string_member(const json::object& jwk, std::string_view name) {
  const json::value* value = jwk.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    return "";
  }
  return std::string(value->get_string());
}

// EVP_PKEY_fromdata for a public key of `type` ("RSA", "EC") from the built parameters.
PkeyPtr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return PkeyPtr(raw);
}

PkeyPtr rsa_from_jwk(const json::object& jwk) {
  auto n = member(jwk, "n");
  auto e = member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    return nullptr;
  }
  auto to_bn = [](const std::string& bytes) {
    return std::unique_ptr<BIGNUM, BnDeleter>(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr));
  };
  auto n_bn = to_bn(*n);
  auto e_bn = to_bn(*e);
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!n_bn || !e_bn || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    return nullptr;
  }
  return pkey_from_params("RSA", bld.get());
}

PkeyPtr ec_from_jwk(const json::object& jwk) {
  auto x = member(jwk, "x");
  auto y = member(jwk, "y");
  if (string_member(jwk, "crv") != "P-256" || !x || !y || x->size() != 32 || y->size() != 32) {
    return nullptr;
  }
  // The uncompressed SEC1 point; OpenSSL checks that it is on the curve.
  std::string point = "\x04" + *x + *y;
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return nullptr;
  }
  return pkey_from_params("EC", bld.get());
}

PkeyPtr ed25519_from_jwk(const json::object& jwk) {
  auto x = member(jwk, "x");
  if (string_member(jwk, "crv") != "Ed25519" || !x || x->size() != 32) {
    return nullptr;
  }
  return PkeyPtr(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
}

// One JWK; nullopt when its type, curve or use is not one we verify with.
std::optional<VerifyKey> key_from_jwk(const json::object& jwk) {
  const std::string kty = string_member(jwk, "kty");
  const std::string use = string_member(jwk, "use");
  if (!use.empty() && use != "sig") {
    return std::nullopt;
  }
  std::optional<VerifyKey> key;
  if (kty == "oct") {
    auto secret = member(jwk, "k");
    if (!secret || secret->size() < kMinHmacSecretBytes) {
      return std::nullopt;
    }
    key.emplace();
    key->secret = std::move(*secret);
  } else {
    PkeyPtr pkey = kty == "RSA"   ? rsa_from_jwk(jwk)
                   : kty == "EC"  ? ec_from_jwk(jwk)
                   : kty == "OKP" ? ed25519_from_jwk(jwk)
                                  : nullptr;
    auto built = pkey ? key_from_pkey(std::move(pkey)) : key_error("unusable");
    if (!built) {
      return std::nullopt;
    }
    key.emplace(std::move(*built));
  }
  key->kid = string_member(jwk, "kid");
  key->alg = string_member(jwk, "alg");
  if (!key->alg.empty() && key->alg != algorithm_of(key->kind)) {
    return std::nullopt;
  }
  return key;
}

}  // namespace

std::string_view algorithm_of(KeyKind kind) {
  switch (kind) {
    case KeyKind::kHmac:
      return "HS256";
    case KeyKind::kRsa:
      return "RS256";
    case KeyKind::kEcP256:
      return "ES256";
    case KeyKind::kEd25519:
      return "EdDSA";
  }
  return "";
}

Result<VerifyKey> key_from_pkey(PkeyPtr pkey) {
  VerifyKey key;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey.get()) < kMinRsaBits) {
        return key_error("RSA keys must have at least 2048 bits");
      }
      key.kind = KeyKind::kRsa;
      break;
    case EVP_PKEY_EC: {
      char group[32] = {};
      size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                         sizeof(group), &length) != 1 ||
          std::string_view(group, length) != "prime256v1") {
        return key_error("EC keys must be on the P-256 curve (ES256)");
      }
      key.kind = KeyKind::kEcP256;
      break;
    }
    case EVP_PKEY_ED25519:
      key.kind = KeyKind::kEd25519;
      break;
    default:
      return key_error("unsupported key type (expected RSA, EC P-256 or Ed25519)");
  }
  key.pkey = std::move(pkey);
  return key;
}

Result<KeySetParse> parse_jwks(std::string_view text) {
  boost::system::error_code ec;
  json::value document = json::parse(json::string_view(text.data(), text.size()), ec);
  const json::object* root = ec ? nullptr : document.if_object();
  const json::value* keys = root != nullptr ? root->if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return key_error("not a JWK Set (expected a JSON object with a \"keys\" array)");
  }
  KeySetParse out;
  for (const json::value& item : keys->get_array()) {
    std::optional<VerifyKey> key =
        item.is_object() ? key_from_jwk(item.get_object()) : std::nullopt;
    if (!key) {
      ++out.skipped;
      continue;
    }
    out.keys.push_back(std::make_shared<const VerifyKey>(std::move(*key)));
  }
  if (out.keys.empty()) {
    return key_error(
        "the JWK Set has no usable key (RSA 2048+, EC P-256, Ed25519 or oct 32+ bytes)");
  }
  return out;
}

Result<std::shared_ptr<const VerifyKey>> load_pem_public_key(std::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) {
    return key_error("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  }
  auto key = key_from_pkey(std::move(pkey));
  if (!key) {
    return std::unexpected(std::move(key.error()));
  }
  return std::make_shared<const VerifyKey>(std::move(*key));
}

}  // namespace nexus::filters::auth

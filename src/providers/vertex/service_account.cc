// Service-account keys and their JWT assertions, signed with OpenSSL 3 (EVP_DigestSign).
#include "providers/vertex/service_account.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <vector>

#include "core/encoding.h"
#include "llm/json_fields.h"

namespace nexus::providers::vertex {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct DigestFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

// No passphrase: an encrypted key fails instead of OpenSSL's default callback asking for one on
// the terminal.
int no_passphrase(char* /*buffer*/, int /*size*/, int /*writing*/, void* /*data*/) { return -1; }

// An RSA private key from PEM, or null. OpenSSL's error queue is cleared either way: it is per
// thread, and a stale entry would be read as the next TLS call's error on this worker.
PrivateKey load_rsa_key(std::string_view pem) {
  const std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PrivateKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                     : nullptr);
  ERR_clear_error();
  if (key && EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    key.reset();
  }
  return key;
}

Error key_error(std::string message) { return {ErrorCode::kInvalidConfig, std::move(message)}; }

}  // namespace

Result<ServiceAccountKey> parse_service_account_key(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(json, ec);
  const boost::json::object* object = ec ? nullptr : parsed.if_object();
  if (object == nullptr) {
    return std::unexpected(key_error("not a JSON object (expected a service account's key file)"));
  }
  if (llm::string_field(*object, "type") != "service_account") {
    return std::unexpected(
        key_error(R"(not a service account's key: "type" is not "service_account")"));
  }
  ServiceAccountKey key;
  const std::pair<std::string_view, std::string*> fields[] = {
      {"client_email", &key.client_email},
      {"private_key", &key.private_key},
      {"private_key_id", &key.private_key_id},
      {"token_uri", &key.token_uri}};
  for (const auto& [name, out] : fields) {
    *out = llm::string_field(*object, name);
    if (out->empty()) {
      std::string message = "the key has no \"";
      message += name;
      message += "\" (a non-empty string)";
      return std::unexpected(key_error(std::move(message)));
    }
  }
  if (!key.token_uri.starts_with("https://") && !key.token_uri.starts_with("http://")) {
    return std::unexpected(key_error(R"("token_uri" is not an http(s) URL)"));
  }
  if (!load_rsa_key(key.private_key)) {
    return std::unexpected(key_error(R"("private_key" is not an RSA private key in PEM)"));
  }
  return key;
}

Result<std::string> jwt_assertion(std::string_view client_email, std::string_view private_key_pem,
                                  std::string_view private_key_id, std::string_view audience,
                                  int64_t issued_at) {
  const boost::json::object header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", private_key_id}};
  const boost::json::object claims = {{"iss", client_email},
                                      {"scope", kCloudPlatformScope},
                                      {"aud", audience},
                                      {"iat", issued_at},
                                      {"exp", issued_at + kAssertionLifetimeSeconds}};
  std::string out = base64url_encode(boost::json::serialize(header));
  out += '.';
  out += base64url_encode(boost::json::serialize(claims));
  const PrivateKey key = load_rsa_key(private_key_pem);
  const std::unique_ptr<EVP_MD_CTX, DigestFree> context(EVP_MD_CTX_new());
  size_t size = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(out.data());
  if (!key || !context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, input, out.size()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::kInternal, "the service account's key cannot sign");
  }
  std::vector<unsigned char> signature(size);
  if (EVP_DigestSign(context.get(), signature.data(), &size, input, out.size()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::kInternal, "signing the token request with the service account failed");
  }
  out += '.';
  out += base64url_encode(std::string_view(reinterpret_cast<const char*>(signature.data()), size));
  return out;
}

}  // namespace nexus::providers::vertex

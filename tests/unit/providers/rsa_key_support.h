// A throwaway RSA key for the OAuth tests: generated once per test binary with OpenSSL, as a
// service account's key file holds it (PKCS#8 PEM), with its public half for verifying.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

namespace nexus::test {

struct TestRsaKey {
  std::string private_pem;
  std::string public_pem;
  std::string encrypted_pem;  // the private key under a passphrase ("secret")
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return {data, static_cast<size_t>(size)};
}

inline const TestRsaKey& test_rsa_key() {
  static const TestRsaKey kKey = [] {
    TestRsaKey key;
    const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_RSA_gen(2048),
                                                                   &EVP_PKEY_free);
    const std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
    const std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
    const std::unique_ptr<BIO, decltype(&BIO_free)> encrypted(BIO_new(BIO_s_mem()), &BIO_free);
    char passphrase[] = "secret";
    if (pkey && priv && pub && encrypted &&
        PEM_write_bio_PrivateKey(priv.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1 &&
        PEM_write_bio_PUBKEY(pub.get(), pkey.get()) == 1 &&
        PEM_write_bio_PKCS8PrivateKey(encrypted.get(), pkey.get(), EVP_aes_256_cbc(), passphrase, 6,
                                      nullptr, nullptr) == 1) {
      key.private_pem = bio_text(priv.get());
      key.public_pem = bio_text(pub.get());
      key.encrypted_pem = bio_text(encrypted.get());
    }
    return key;
  }();
  return kKey;
}

}  // namespace nexus::test

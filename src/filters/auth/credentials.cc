#include "filters/auth/credentials.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>

namespace nexus::filters::auth {
namespace {

constexpr int kMaxIterations = 10'000'000;

std::string_view as_view(const Sha256& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

// Checked against when there are no users at all (see check_basic).
const BasicUser& dummy_user() {
  static const BasicUser kUser = [] {
    BasicUser user;
    const Sha256 hash = sha256("nexus-auth-no-such-user");
    user.password.hash.assign(as_view(hash));
    return user;
  }();
  return kUser;
}

}  // namespace

KeyMatch find_api_key(const std::vector<ApiKey>& keys, std::string_view presented) {
  const Sha256 hash = sha256(presented);
  KeyMatch match;
  for (const ApiKey& key : keys) {
    // No early exit: the loop's duration does not depend on which key matched.
    const bool equal = CRYPTO_memcmp(key.hash.data(), hash.data(), hash.size()) == 0;
    if (equal && match.key == nullptr) {
      match.key = &key;
    }
    ++match.compared;
  }
  return match;
}

std::optional<PasswordHash> parse_password_hash(std::string_view text, std::string& error) {
  PasswordHash out;
  if (text.starts_with("sha256:")) {
    auto hash = sha256_from_hex(text.substr(7));
    if (!hash) {
      error = "expected 'sha256:' followed by 64 hex digits";
      return std::nullopt;
    }
    out.hash.assign(as_view(*hash));
    return out;
  }
  constexpr std::string_view kPbkdf2 = "pbkdf2-sha256$";
  if (!text.starts_with(kPbkdf2)) {
    error = "expected 'sha256:<hex>' or 'pbkdf2-sha256$<iterations>$<salt>$<hash>'";
    return std::nullopt;
  }
  text.remove_prefix(kPbkdf2.size());
  const size_t first = text.find('$');
  const size_t second = first == std::string_view::npos ? first : text.find('$', first + 1);
  if (second == std::string_view::npos) {
    error = "expected 'pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>'";
    return std::nullopt;
  }
  const std::string_view count = text.substr(0, first);
  auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), out.iterations);
  if (ec != std::errc() || ptr != count.data() + count.size() || out.iterations < 1000 ||
      out.iterations > kMaxIterations) {
    error = "pbkdf2-sha256 iterations must be a number from 1000 to 10000000";
    return std::nullopt;
  }
  auto salt = base64_decode(text.substr(first + 1, second - first - 1));
  auto hash = base64_decode(text.substr(second + 1));
  if (!salt || !hash || salt->size() < 8 || hash->size() < 16 || hash->size() > 64) {
    error = "pbkdf2-sha256 salt (8+ bytes) and hash (16 to 64 bytes) must be base64";
    return std::nullopt;
  }
  out.scheme = PasswordHash::Scheme::kPbkdf2Sha256;
  out.salt = std::move(*salt);
  out.hash = std::move(*hash);
  return out;
}

bool verify_password(const PasswordHash& stored, std::string_view password) {
  if (stored.scheme == PasswordHash::Scheme::kSha256) {
    return constant_time_equal(as_view(sha256(password)), stored.hash);
  }
  std::string derived(stored.hash.size(), '\0');
  const int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                   reinterpret_cast<const unsigned char*>(stored.salt.data()),
                                   static_cast<int>(stored.salt.size()), stored.iterations,
                                   EVP_sha256(), static_cast<int>(derived.size()),
                                   reinterpret_cast<unsigned char*>(derived.data()));
  return ok == 1 && constant_time_equal(derived, stored.hash);
}

const BasicUser* check_basic(const std::vector<BasicUser>& users, std::string_view credentials) {
  auto decoded = base64_decode(credentials);
  if (!decoded) {
    return nullptr;
  }
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return nullptr;
  }
  const std::string_view name = std::string_view(*decoded).substr(0, colon);
  const std::string_view password = std::string_view(*decoded).substr(colon + 1);
  const BasicUser* found = nullptr;
  for (const BasicUser& user : users) {
    if (user.name == name) {
      found = &user;
      break;
    }
  }
  // An unknown user is checked against the first user's hash (same scheme and cost), and fails.
  const BasicUser& checked = found != nullptr ? *found : (users.empty() ? dummy_user() : users[0]);
  const bool ok = verify_password(checked.password, password);
  return ok ? found : nullptr;
}

}  // namespace nexus::filters::auth

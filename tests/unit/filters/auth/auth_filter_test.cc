// The auth filter through the config loader and a ChainRun: which method a request uses, the
// identity slot, credential removal, 401/403 replies with their challenges, config errors.
#include "filters/auth/auth_filter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "control/config/loader.h"
#include "http/filter/chain_run.h"
#include "test_tokens.h"

namespace nexus::filters::auth {
namespace {

namespace t = testing;
using filter::Verdict;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-secret";
constexpr long kExp = 1'700'000'600;

class FakeClock final : public filter::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::hours(1));
  }
};

std::string hex_sha256(std::string_view text) {
  const Sha256 hash = sha256(text);
  return to_hex(hash.data(), hash.size());
}

std::string base64(std::string_view text) {
  std::string out((text.size() + 2) / 3 * 4 + 1, '\0');
  out.resize(static_cast<size_t>(EVP_EncodeBlock(
      reinterpret_cast<unsigned char*>(out.data()),
      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()))));
  return out;
}

// The YAML of a config whose only filter is `auth` with the given body (indented 6 spaces).
std::string config_text(const std::string& auth) {
  return "server: { listen: [\"127.0.0.1:8080\"] }\n"
         "routes: [{ match: {}, direct_response: {} }]\n"
         "logging: { access_log: { enabled: false } }\n"
         "filters:\n"
         "  - auth:\n" +
         auth;
}

Result<config::Config> load(const std::string& auth) {
  return control::load_config_text(config_text(auth), "test.yaml");
}

const std::string kAllMethods =
    "      api_keys:\n"
    "        keys:\n"
    "          - { name: svc-a, id: k1, sha256: " +
    hex_sha256("key-a") +
    " }\n"
    "          - { name: mallory, sha256: " +
    hex_sha256("key-m") +
    " }\n"
    "      basic:\n"
    "        users: [{ name: alice, password_hash: \"sha256:" +
    hex_sha256("pw") +
    "\" }]\n"
    "      jwt:\n"
    "        algorithms: [HS256]\n"
    "        secret: " +
    std::string(kSecret) +
    "\n"
    "        issuers: [https://idp]\n"
    "        require_claims: { scope: llm }\n"
    "      deny: [mallory]\n";

class AuthFilterTest : public ::testing::Test {
 protected:
  void configure(const std::string& auth) {
    auto loaded = load(auth);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
    config_ = std::move(*loaded);
    chain_ = config_.global_filters;
    ASSERT_EQ(chain_.size(), 1U);
    factory_ = dynamic_cast<AuthFactory*>(chain_[0].get());
    ASSERT_NE(factory_, nullptr);
  }
  Verdict send(std::vector<http1::Header> fields) {
    fields_ = std::move(fields);
    run_.start(chain_, filter::RequestInfo{.method = "GET", .target = "/v1/models"}, nullptr, 0);
    return run_.request_headers(fields_);
  }
  const filter::Identity* identity() { return run_.context().slots().get(filter::kIdentity); }
  bool has_field(std::string_view name) {
    return std::ranges::any_of(fields_, [&](const auto& h) { return h.name == name; });
  }
  static std::vector<std::string> challenges(const filter::LocalReply& reply) {
    std::vector<std::string> out;
    for (const auto& [name, value] : reply.headers) {
      if (name == "www-authenticate") {
        out.push_back(value);
      }
    }
    return out;
  }
  std::string token(std::string_view payload) {
    return t::make_token("HS256", nullptr, kSecret, R"({"alg":"HS256","kid":"main"})", payload);
  }

  FakeClock clock_;
  config::Config config_;
  filter::Chain chain_;
  AuthFactory* factory_ = nullptr;
  filter::ChainRun run_{clock_};
  std::vector<http1::Header> fields_;
};

TEST_F(AuthFilterTest, ApiKeyFromTheHeaderOrBearerAndTheCredentialIsRemoved) {
  configure(kAllMethods);
  ASSERT_EQ(send({{"x-api-key", "key-a"}, {"host", "h"}}), Verdict::kContinue);
  ASSERT_NE(identity(), nullptr);
  EXPECT_EQ(identity()->method, "api_key");
  EXPECT_EQ(identity()->subject, "svc-a");
  EXPECT_EQ(identity()->key_id, "k1");
  EXPECT_FALSE(has_field("x-api-key"));
  EXPECT_TRUE(has_field("host"));

  ASSERT_EQ(send({{"authorization", "Bearer key-a"}}), Verdict::kContinue);
  EXPECT_EQ(identity()->subject, "svc-a");
  EXPECT_FALSE(has_field("authorization"));
}

TEST_F(AuthFilterTest, ForwardCredentialsKeepsTheHeader) {
  configure(
      "      forward_credentials: true\n      api_keys:\n        header: X-Key\n"
      "        keys: [{ name: a, sha256: " +
      hex_sha256("key-a") + " }]\n");
  ASSERT_EQ(send({{"x-key", "key-a"}}), Verdict::kContinue);
  EXPECT_TRUE(has_field("x-key"));
  EXPECT_EQ(send({{"x-api-key", "key-a"}}), Verdict::kReply);  // the configured header only
}

TEST_F(AuthFilterTest, MissingCredentialsGet401WithEveryChallenge) {
  configure(kAllMethods);
  ASSERT_EQ(send({{"host", "h"}}), Verdict::kReply);
  const filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(challenges(reply),
            (std::vector<std::string>{R"(Bearer realm="nexus")",
                                      R"(Basic realm="nexus", charset="UTF-8")"}));
  EXPECT_EQ(reply.body, R"({"error":{"message":"authentication required",)"
                        R"("type":"authentication_error","code":"unauthorized"}})");
  EXPECT_EQ(identity(), nullptr);
}

TEST_F(AuthFilterTest, WrongApiKeyGetsInvalidToken) {
  configure(kAllMethods);
  ASSERT_EQ(send({{"x-api-key", "key-x"}}), Verdict::kReply);
  const filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(challenges(reply)[0], R"(Bearer realm="nexus", error="invalid_token")");
  EXPECT_NE(reply.body.find("invalid API key"), std::string::npos);
}

TEST_F(AuthFilterTest, BasicSucceedsAndFails) {
  configure(kAllMethods);
  ASSERT_EQ(send({{"authorization", "Basic " + base64("alice:pw")}}), Verdict::kContinue);
  EXPECT_EQ(identity()->method, "basic");
  EXPECT_EQ(identity()->subject, "alice");
  ASSERT_EQ(send({{"authorization", "basic " + base64("alice:nope")}}), Verdict::kReply);
  const filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(challenges(reply).back(), R"(Basic realm="nexus", charset="UTF-8")");
}

TEST_F(AuthFilterTest, JwtIdentityCarriesTheClaims) {
  configure(kAllMethods);
  const std::string jwt = token(R"({"sub":"bob","iss":"https://idp","exp":1700000600,)"
                                R"("scope":"read llm","tier":2,"roles":["x"]})");
  ASSERT_EQ(send({{"authorization", "Bearer " + jwt}}), Verdict::kContinue);
  ASSERT_NE(identity(), nullptr);
  EXPECT_EQ(identity()->method, "jwt");
  EXPECT_EQ(identity()->subject, "bob");
  EXPECT_EQ(identity()->key_id, "main");
  using Claims = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(identity()->claims, (Claims{{"sub", "bob"},
                                        {"iss", "https://idp"},
                                        {"exp", "1700000600"},
                                        {"scope", "read llm"},
                                        {"tier", "2"}}));
}

TEST_F(AuthFilterTest, BadJwtGets401InvalidToken) {
  configure(kAllMethods);
  const std::string expired =
      token(R"({"sub":"bob","iss":"https://idp","exp":1600000000,"scope":"llm"})");
  ASSERT_EQ(send({{"authorization", "Bearer " + expired}}), Verdict::kReply);
  filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(challenges(reply)[0], R"(Bearer realm="nexus", error="invalid_token")");
  EXPECT_NE(reply.body.find("token expired"), std::string::npos);
  ASSERT_EQ(send({{"authorization", "Bearer "}}), Verdict::kReply);
  EXPECT_EQ(challenges(run_.take_reply())[0], R"(Bearer realm="nexus", error="invalid_request")");
  ASSERT_EQ(send({{"authorization", "Digest x"}}), Verdict::kReply);
  EXPECT_EQ(run_.take_reply().status, 401);
}

TEST_F(AuthFilterTest, DeniedSubjectsAndMissingClaimsGet403) {
  configure(kAllMethods);
  ASSERT_EQ(send({{"x-api-key", "key-m"}}), Verdict::kReply);
  filter::LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.body, R"({"error":{"message":"identity 'mallory' is not allowed here",)"
                        R"("type":"permission_error","code":"forbidden"}})");
  EXPECT_TRUE(challenges(reply).empty());
  EXPECT_TRUE(has_field("x-api-key"));  // refused: nothing changed
  ASSERT_NE(identity(), nullptr);       // but who was refused is known, for the access log
  EXPECT_EQ(identity()->subject, "mallory");

  ASSERT_EQ(send({{"authorization", "Bearer " + token(R"({"sub":"bob","iss":"https://idp",)"
                                                      R"("exp":1700000600,"scope":"read"})")}}),
            Verdict::kReply);
  reply = run_.take_reply();
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(challenges(reply),
            (std::vector<std::string>{R"(Bearer realm="nexus", error="insufficient_scope")"}));
}

TEST_F(AuthFilterTest, AllowListLimitsTheSubjects) {
  configure(
      "      realm: api\n      allow: [svc-a]\n      api_keys:\n        keys:\n"
      "          - { name: svc-a, sha256: " +
      hex_sha256("key-a") +
      " }\n"
      "          - { name: svc-b, sha256: " +
      hex_sha256("key-b") + " }\n");
  EXPECT_EQ(send({{"x-api-key", "key-a"}}), Verdict::kContinue);
  ASSERT_EQ(send({{"x-api-key", "key-b"}}), Verdict::kReply);
  EXPECT_EQ(run_.take_reply().status, 403);
  ASSERT_EQ(send({}), Verdict::kReply);
  EXPECT_EQ(challenges(run_.take_reply()), (std::vector<std::string>{R"(Bearer realm="api")"}));
}

TEST_F(AuthFilterTest, UnknownKidRefreshesTheJwksFileEarly) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nexus-auth-filter-" + std::to_string(::getpid()) + ".json");
  PkeyPtr old_key = t::generate_key("ES256");
  PkeyPtr new_key = t::generate_key("ES256");
  std::ofstream(path) << R"({"keys":[)" + t::public_jwk("ES256", old_key.get(), "old") + "]}";
  configure(
      "      jwt:\n        algorithms: [ES256]\n        require_exp: false\n"
      "        jwks_file: " +
      path.string() + "\n");
  ASSERT_TRUE(factory_->start().has_value());
  const std::string jwt =
      t::make_token("ES256", new_key.get(), "", R"({"alg":"ES256","kid":"new"})", R"({"sub":"s"})");
  // The issuer rotated its key: the file has it now, but our copy does not yet.
  std::ofstream(path) << R"({"keys":[)" + t::public_jwk("ES256", new_key.get(), "new") + "]}";
  ASSERT_EQ(send({{"authorization", "Bearer " + jwt}}), Verdict::kReply);
  EXPECT_EQ(run_.take_reply().status, 401);
  ASSERT_TRUE(factory_->jwks()->wait_for_attempts(2, std::chrono::seconds(10)));
  EXPECT_EQ(send({{"authorization", "Bearer " + jwt}}), Verdict::kContinue);
  std::filesystem::remove(path);
}

struct BadConfig {
  std::string auth;
  std::string prefix;
};

TEST(AuthConfigTest, ErrorsNameTheFileLineAndKey) {
  const std::string hash = hex_sha256("k");
  const std::vector<BadConfig> cases = {
      {"      {}\n",
       "test.yaml:5: filters[0].auth: configure at least one of api_keys, basic, jwt"},
      {"      nope: 1\n", "test.yaml:6: filters[0].auth: unknown key 'nope'"},
      {"      api_keys: { keys: [{ name: a, sha256: abc }] }\n",
       "test.yaml:6: filters[0].auth.api_keys.keys[0].sha256: expected the key's SHA-256"},
      {"      api_keys: { keys: [] }\n", "test.yaml:6: filters[0].auth.api_keys.keys: "},
      {"      api_keys: { header: authorization, keys: [{ name: a, sha256: " + hash + " }] }\n",
       "test.yaml:6: filters[0].auth.api_keys.header: expected a header name other than"},
      {"      basic: { users: [{ name: a, password_hash: \"md5:x\" }] }\n",
       "test.yaml:6: filters[0].auth.basic.users[0].password_hash: expected 'sha256:<hex>'"},
      {"      jwt: { algorithms: [none], secret: " + std::string(kSecret) + " }\n",
       "test.yaml:6: filters[0].auth.jwt.algorithms[0]: unknown value 'none'"},
      {"      jwt: { algorithms: [RS256], secret: " + std::string(kSecret) + " }\n",
       "test.yaml:6: filters[0].auth.jwt.secret: a secret is only used with HS256"},
      {"      jwt: { algorithms: [HS256], secret: short }\n",
       "test.yaml:6: filters[0].auth.jwt.secret: an HS256 secret needs at least 32 bytes"},
      {"      jwt: { algorithms: [HS256] }\n", "test.yaml:6: filters[0].auth.jwt: configure a key"},
      {"      jwt: { algorithms: [ES256], jwks_url: ftp://x }\n",
       "test.yaml:6: filters[0].auth.jwt.jwks_url: expected an http:// or https:// URL"},
      {"      jwt: { algorithms: [ES256], jwks_file: /nonexistent/jwks.json }\n",
       "test.yaml:6: filters[0].auth.jwt.jwks_file: "},
      {"      jwt:\n        algorithms: [ES256]\n        jwks_url: http://127.0.0.1:1/\n"
       "        refresh_interval: 1ms\n",
       "test.yaml:9: filters[0].auth.jwt.refresh_interval: expected a duration of at least 100ms"},
  };
  for (const BadConfig& bad : cases) {
    auto loaded = load(bad.auth);
    ASSERT_FALSE(loaded.has_value()) << bad.auth;
    EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_TRUE(loaded.error().message().starts_with(bad.prefix))
        << loaded.error().message() << "\n  expected: " << bad.prefix;
  }
}

TEST(AuthConfigTest, PemKeyMustMatchTheAlgorithms) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nexus-auth-pem-" + std::to_string(::getpid()) + ".pem");
  PkeyPtr key = t::generate_key("EdDSA");
  std::ofstream(path) << t::public_pem(key.get());
  auto loaded =
      load("      jwt: { algorithms: [RS256], public_key_file: " + path.string() + " }\n");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message().find("public_key_file: this key verifies EdDSA"),
            std::string::npos)
      << loaded.error().message();
  EXPECT_TRUE(load("      jwt: { algorithms: [EdDSA], public_key_file: " + path.string() + " }\n"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nexus::filters::auth

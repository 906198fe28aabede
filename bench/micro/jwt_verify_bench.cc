// JWT verification cost per algorithm: parse, signature check and claim checks of one token, as
// the auth filter does for every request that presents a JWT. Keys are generated in setup.
#include <benchmark/benchmark.h>

#include <chrono>

#include "../../tests/unit/filters/auth/test_tokens.h"
#include "filters/auth/jwt.h"

namespace {

using nexus::filters::auth::JwtPolicy;
using nexus::filters::auth::KeyList;
using nexus::filters::auth::PkeyPtr;
using nexus::filters::auth::VerifyKey;
namespace t = nexus::filters::auth::testing;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-bench";
constexpr std::string_view kPayload =
    R"({"sub":"user-1234","iss":"https://idp.example","aud":"nexus","exp":4102444800,)"
    R"("iat":1700000000,"scope":"llm read"})";

struct Fixture {
  std::string token;
  KeyList keys;
};

Fixture make_fixture(const std::string& alg) {
  Fixture fixture;
  PkeyPtr key;
  if (alg == "HS256") {
    auto secret = std::make_shared<VerifyKey>();
    secret->secret = kSecret;
    fixture.keys.push_back(std::move(secret));
  } else {
    key = t::generate_key(alg);
    fixture.keys.push_back(*nexus::filters::auth::load_pem_public_key(t::public_pem(key.get())));
  }
  fixture.token = t::make_token(alg, key.get(), kSecret,
                                R"({"alg":")" + alg + R"(","typ":"JWT","kid":"k1"})", kPayload);
  return fixture;
}

void verify(benchmark::State& state, const std::string& alg) {
  const Fixture fixture = make_fixture(alg);
  const JwtPolicy policy{
      .algorithms = {alg}, .issuers = {"https://idp.example"}, .audiences = {"nexus"}};
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'100));
  for (auto _ : state) {
    auto result = nexus::filters::auth::verify_jwt(fixture.token, policy, fixture.keys, now);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
}

}  // namespace

BENCHMARK_CAPTURE(verify, HS256, std::string("HS256"));
BENCHMARK_CAPTURE(verify, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(verify, ES256, std::string("ES256"));
BENCHMARK_CAPTURE(verify, EdDSA, std::string("EdDSA"));

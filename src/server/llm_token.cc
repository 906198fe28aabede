// OAuth access tokens for the providers that fetch one (vertex with a service account's key,
// azure_openai with an Entra application's client credentials): kept per worker
// (server/token_cache.h), fetched by the first request that needs one over the token URL's
// cluster (the connection code, pools and TLS of provider calls), while the requests that
// arrive meanwhile wait for that one fetch.
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <ctime>

#include "llm/oauth_token.h"
#include "proxy/upstream/cluster_runtime.h"
#include "server/io_constants.h"
#include "server/llm_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// A request waits for at most this many fetches (its own or others') before giving up: a
// fetch abandoned because its client left is retried by a waiter, not by all of them forever.
constexpr int kMaxRounds = 3;
// After a failed refresh while the cached token is still valid, the next attempt waits this
// long (or half the time left): the token is used meanwhile, and the endpoint is not asked on
// every request.
constexpr std::chrono::seconds kRetryPause{5};

// "provider 'vx': getting an access token from URL failed: " + `reason`.
Error token_error(const config::Provider& provider, const Error& reason) {
  std::string message = "provider '";
  message += provider.name;
  message += "': getting an access token from ";
  message += provider.oauth.token_url;
  message += " failed: ";
  message += reason.message();
  // The reason's code keeps its status: a refusal or a bad answer is a 502
  // (kUpstreamProtocolError, llm::parse_token_answer), a timeout a 504.
  return {reason.code(), std::move(message)};
}

}  // namespace

asio::awaitable<Result<std::string>> LlmExchange::access_token(
    const Snapshot::LlmDeployment& target) {
  if (target.provider->oauth.grant == config::TokenGrant::kNone) {
    co_return std::string();  // a static key, or none: nothing to fetch
  }
  meter(target);  // a request that fails here is logged with its model and provider too
  TokenCache::Entry& entry = worker_.tokens().entry(*target.provider);
  for (int round = 0; round < kMaxRounds; ++round) {
    const TokenCache::Step step = TokenCache::next_step(entry, Clock::now());
    if (step == TokenCache::Step::kUse) {
      co_return entry.token;
    }
    if (step == TokenCache::Step::kFetch) {
      co_return co_await refresh_token(target, entry);
    }
    // Held here: the entry drops it when the fetch ends, before the waiters run.
    const std::shared_ptr<TokenCache::Fetch> fetch = entry.fetch;
    co_await fetch->done.async_wait(kAwait);
    if (const std::optional<Error> failed = fetch->error; failed.has_value()) {
      co_return std::unexpected(*failed);
    }
    if (!fetch->finished) {
      const Error late(ErrorCode::kUpstreamTimeout, "the token endpoint did not answer in time");
      co_return std::unexpected(token_error(*target.provider, late));
    }
    // Finished without an error: the token is in the entry (or its fetcher's client left
    // first, and this request fetches it now).
  }
  const Error gave_up(ErrorCode::kUpstreamUnavailable, "no token after several attempts");
  co_return std::unexpected(token_error(*target.provider, gave_up));
}

// Whatever way refresh_token() ends, its fetch ends with it: were the coroutine to go before
// finishing (its frame destroyed while it waits), the entry would otherwise keep an abandoned
// fetch that every later request waits for in vain. Abandoned, the waiters fetch themselves.
class FetchScope {
 public:
  FetchScope(TokenCache::Entry& entry, std::shared_ptr<TokenCache::Fetch> fetch)
      : entry_(entry), fetch_(std::move(fetch)) {
    entry_.fetch = fetch_;
  }
  ~FetchScope() {
    if (entry_.fetch == fetch_) {
      entry_.fetch.reset();
    }
    fetch_->finished = true;
    try {  // Asio's timer cancel() reports errors by exception; a destructor must not throw
      fetch_->done.cancel();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the waiters' own deadline wakes them
    }
  }
  FetchScope(const FetchScope&) = delete;
  FetchScope& operator=(const FetchScope&) = delete;

 private:
  TokenCache::Entry& entry_;
  std::shared_ptr<TokenCache::Fetch> fetch_;
};

asio::awaitable<Result<std::string>> LlmExchange::refresh_token(
    const Snapshot::LlmDeployment& target, TokenCache::Entry& entry) {
  auto fetch = std::make_shared<TokenCache::Fetch>(worker_.io());
  fetch->done.expires_after(TokenCache::kWaitLimit);
  const FetchScope scope(entry, fetch);
  auto fetched = co_await fetch_token(target);
  entry.fetch.reset();
  fetch->finished = true;
  const Clock::time_point now = Clock::now();
  const config::Provider& provider = *target.provider;
  if (fetched) {
    entry.token = std::move(fetched->value);
    entry.expires_at = now + fetched->lifetime;
    entry.refresh_at = llm::refresh_time(now, fetched->lifetime);
    spdlog::debug("provider '{}': new access token, valid for {} s", provider.name,
                  fetched->lifetime.count());
    co_return entry.token;  // the scope's end wakes the waiters
  }
  Error error = token_error(provider, fetched.error());
  // A fetch cut short because this request's client left says nothing about the endpoint:
  // the waiters try again themselves.
  if (!downstream_.record.client_gone) {
    fetch->error = error;
  }
  if (!entry.token.empty() && now < entry.expires_at) {
    entry.refresh_at = now + std::min<Clock::duration>(kRetryPause, (entry.expires_at - now) / 2);
    spdlog::warn("{}; the current token is used until it expires", error.message());
    co_return entry.token;
  }
  spdlog::warn("{}", error.message());
  co_return std::unexpected(std::move(error));
}

asio::awaitable<Result<llm::AccessToken>> LlmExchange::fetch_token(
    const Snapshot::LlmDeployment& target) {
  const config::Provider& provider = *target.provider;
  if (target.token_cluster == Snapshot::kNoCluster) {
    co_return fail(ErrorCode::kInternal, "the provider has no token endpoint");
  }
  auto body = llm::token_request_body(provider.oauth, static_cast<int64_t>(std::time(nullptr)));
  if (!body) {
    co_return std::unexpected(std::move(body.error()));
  }
  std::string head;
  llm::write_token_request_head(provider.oauth, body->size(), head);
  // The route's first-byte timeout (0: none), at most kFetchTimeout: the waiters' bound
  // (TokenCache::kWaitLimit) must outlast a fetch.
  std::chrono::milliseconds first_byte = TokenCache::kFetchTimeout;
  if (route_.timeouts.first_byte.count() != 0) {
    first_byte = std::min(first_byte, route_.timeouts.first_byte);
  }
  auto answer = co_await open_call(head, *body, target.token_cluster, provider, first_byte);
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  bool reusable = false;
  auto whole = co_await read_whole_body(*answer->connection, answer->body, reusable);
  close_call(*answer, reusable);
  if (!whole) {
    co_return std::unexpected(std::move(whole.error()));
  }
  co_return llm::parse_token_answer(answer->status, *whole);
}

}  // namespace nexus::server

// What a request that needs a provider's access token does, from the cached entry and the time
// (server/token_cache.h): use it, wait for the fetch under way, or fetch it.
#include "server/token_cache.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace nexus::server {
namespace {

using Clock = TokenCache::Clock;
using Step = TokenCache::Step;
using std::chrono::seconds;

TEST(TokenCache, UsesFetchesOrWaits) {
  boost::asio::io_context io;
  const Clock::time_point t0{seconds(10000)};
  TokenCache::Entry entry;
  EXPECT_EQ(TokenCache::next_step(entry, t0), Step::kFetch);  // none yet
  entry.fetch = std::make_shared<TokenCache::Fetch>(io);
  EXPECT_EQ(TokenCache::next_step(entry, t0), Step::kWait);  // another request fetches it
  entry.fetch.reset();
  entry.token = "t";
  entry.refresh_at = t0 + seconds(3300);
  entry.expires_at = t0 + seconds(3600);
  EXPECT_EQ(TokenCache::next_step(entry, t0), Step::kUse);
  EXPECT_EQ(TokenCache::next_step(entry, t0 + seconds(3299)), Step::kUse);
  // Within the margin: refreshed, by one request; the others keep using it meanwhile.
  EXPECT_EQ(TokenCache::next_step(entry, t0 + seconds(3300)), Step::kFetch);
  entry.fetch = std::make_shared<TokenCache::Fetch>(io);
  EXPECT_EQ(TokenCache::next_step(entry, t0 + seconds(3300)), Step::kUse);
  // Expired: nobody uses it, they wait for the fetch under way.
  EXPECT_EQ(TokenCache::next_step(entry, t0 + seconds(3600)), Step::kWait);
  entry.fetch.reset();
  EXPECT_EQ(TokenCache::next_step(entry, t0 + seconds(3600)), Step::kFetch);
}

TEST(TokenCache, EntriesAreStablePerProvider) {
  TokenCache cache;
  const config::Provider a;
  const config::Provider b;
  TokenCache::Entry& first = cache.entry(a);
  first.token = "a";
  EXPECT_EQ(&cache.entry(a), &first);
  EXPECT_NE(&cache.entry(b), &first);
  EXPECT_EQ(cache.entry(a).token, "a");
  EXPECT_TRUE(cache.entry(b).token.empty());
}

}  // namespace
}  // namespace nexus::server

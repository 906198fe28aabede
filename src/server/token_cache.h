// The OAuth access tokens of the providers that fetch one (config::OAuthClient), kept per
// worker. Per worker rather than shared: each worker's event loop reads, refreshes and waits
// on its own entries without a lock or a cross-thread wake-up, at the price of one token fetch
// per worker and token lifetime (a few an hour), which token endpoints do not mind.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::server {

class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;

  // A token fetch under way; requests that need a token and have none valid wait for it
  // (one fetch however many requests arrive meanwhile).
  struct Fetch {
    explicit Fetch(boost::asio::io_context& io) : done(io) {}
    // Expires when the waiters give up (kWaitLimit after the fetch started); cancelled, which
    // wakes them, when the fetch ends.
    boost::asio::steady_timer done;
    bool finished = false;
    std::optional<Error> error;  // the fetch failed: so do its waiters
  };

  struct Entry {
    std::string token;  // empty: none yet
    Clock::time_point refresh_at{};
    Clock::time_point expires_at{};
    std::shared_ptr<Fetch> fetch;  // under way, or null
  };

  // What a request that needs the token does now.
  enum class Step {
    kUse,    // the cached token: fresh, or still valid while another request refreshes it
    kWait,   // no valid token, a fetch is under way: wait for it
    kFetch,  // fetch it (and wait for that)
  };
  static Step next_step(const Entry& entry, Clock::time_point now);

  // The longest a request waits for another's fetch. A fetch is bounded by its own timeouts
  // (connect, kFetchTimeout for the answer); this bounds the waiters whatever happens.
  static constexpr std::chrono::seconds kWaitLimit{30};
  static constexpr std::chrono::seconds kFetchTimeout{10};

  // The provider's entry (created empty). Entries are keyed by the snapshot's provider, which
  // outlives the worker's requests; references stay valid (node-based map).
  Entry& entry(const config::Provider& provider) { return entries_[&provider]; }

 private:
  std::unordered_map<const config::Provider*, Entry> entries_;
};

}  // namespace nexus::server

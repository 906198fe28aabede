// The JWT verification keys of one auth filter: the configured ones (inline secret, PEM file)
// plus, optionally, a JWK Set from a file or a URL that a background thread refreshes.
//
// Workers read the current keys as an immutable snapshot (an atomic shared_ptr), so a refresh
// never blocks or races a request. A failed refresh keeps the previous keys and is retried
// sooner; a token whose kid is unknown may ask for an early refresh, rate-limited.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "filters/auth/http_fetch.h"
#include "filters/auth/jwk.h"
#include "nexus/core/result.h"

namespace nexus::filters::auth {

struct JwksOptions {
  std::string file;  // a JWK Set file, or
  std::string url;   // an http(s) URL serving one (exactly one of them, or neither)
  FetchOptions fetch;
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(5)};
  // After a failed refresh, and the least time between two early (unknown-kid) refreshes.
  std::chrono::milliseconds retry_interval{std::chrono::seconds(30)};
};

class JwksSource {
 public:
  JwksSource(JwksOptions options, KeyList configured);
  JwksSource(const JwksSource&) = delete;
  JwksSource& operator=(const JwksSource&) = delete;
  ~JwksSource();  // stops the refresh thread

  // Whether there is a JWK Set to refresh at all.
  [[nodiscard]] bool dynamic() const { return !options_.file.empty() || !options_.url.empty(); }

  // The keys now (configured ones first). Never null.
  [[nodiscard]] std::shared_ptr<const KeyList> keys() const { return keys_.load(); }

  // Loads the JWK Set once, now, in the calling thread. On failure the keys stay as they were.
  Result<void> refresh();

  // Starts the refresh thread (idempotent; nothing to do without a JWK Set). A URL is fetched
  // first in the calling thread; if that fails start() still succeeds (requests get 401 until
  // the keys arrive) and the thread retries.
  Result<void> start();
  void stop();

  // A token named an unknown kid: wakes the thread for an early refresh unless one was asked
  // for less than retry_interval ago (by `now`, from the filter's clock). True when it did.
  bool request_early_refresh(std::chrono::steady_clock::time_point now);

  // Completed refresh attempts (successful or not); for tests, and waiting for one.
  [[nodiscard]] uint64_t attempts() const { return attempts_.load(); }
  bool wait_for_attempts(uint64_t count, std::chrono::milliseconds timeout);

 private:
  Result<std::string> load_document() const;
  // The thread: refreshes every refresh_interval (retry_interval after a failure) or when woken.
  void run(bool failed);

  const JwksOptions options_;
  const KeyList configured_;
  std::atomic<std::shared_ptr<const KeyList>> keys_;
  std::atomic<int64_t> last_early_ns_{INT64_MIN};
  std::atomic<uint64_t> attempts_{0};

  // Guards the thread's wake-up state: the condition variable needs a mutex, and stop() and
  // request_early_refresh() must not lose a wake-up between the thread's check and its wait.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable attempted_;
  bool stopping_ = false;
  bool early_ = false;
  std::thread thread_;
};

}  // namespace nexus::filters::auth

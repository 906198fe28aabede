// The alert webhook sender: the evaluator hands notifications (a webhook and a JSON body) to a
// bounded queue; a background thread POSTs them. A notification the webhook could not take (no
// connection, timeout, 429, 5xx) is sent again with exponential backoff, up to the webhook's
// max_attempts; a full queue, a refusal (other statuses) or attempts run out drop it, counted.
// Nothing here ever runs on a worker: alerts never delay a request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "nexus/config/config.h"

namespace nexus::obs::alerts {

// How one POST went.
enum class PostResult : uint8_t {
  kDelivered,  // 2xx
  kRetry,      // no connection, timeout, 429, 5xx
  kRefused,    // any other status: sending it again would not help
};
PostResult classify_status(int status);

// One POST of `body` to `hook`; called on the sender's thread.
using Post = std::function<PostResult(const config::AlertWebhook& hook, const std::string& body)>;
// Waits `pause` before a retry; false when the sender is stopping (give up).
using Pause = std::function<bool(std::chrono::milliseconds pause)>;

struct Delivery {
  bool delivered = false;
  uint32_t attempts = 0;
};
// Sends `body` to `hook`: again after hook.backoff, then doubling, while the result says retry
// and attempts remain.
Delivery deliver(const config::AlertWebhook& hook, const std::string& body, const Post& post,
                 const Pause& pause);

// The POST through net::blocking_http (hook.url, hook.headers, hook.timeout).
PostResult http_post(const config::AlertWebhook& hook, const std::string& body);

class WebhookSender {
 public:
  // `post`: how a notification is sent (http_post outside tests).
  WebhookSender(size_t max_queue, Post post);
  ~WebhookSender();  // stops after the POST under way; what is still queued is dropped
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Thread-safe, never blocks on the network. `hook` must outlive the sender.
  void submit(const config::AlertWebhook& hook, std::string body);

  [[nodiscard]] uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  struct Job {
    const config::AlertWebhook* hook;
    std::string body;
  };
  void run();
  bool pause_unless_stopping(std::chrono::milliseconds pause);

  size_t max_queue_;
  Post post_;
  std::mutex mutex_;  // guards queue_ and stopping_: the evaluator and the thread meet here
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  // Read by the metrics scrape on another thread: atomics.
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> delivered_{0};
  std::thread thread_;  // last: started once everything else is set up
};

}  // namespace nexus::obs::alerts

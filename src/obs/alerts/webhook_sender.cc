#include "obs/alerts/webhook_sender.h"

#include <spdlog/spdlog.h>

#include "net/blocking_http.h"

namespace nexus::obs::alerts {

PostResult classify_status(int status) {
  if (status >= 200 && status < 300) {
    return PostResult::kDelivered;
  }
  if (status == 429 || status >= 500) {
    return PostResult::kRetry;
  }
  return PostResult::kRefused;
}

Delivery deliver(const config::AlertWebhook& hook, const std::string& body, const Post& post,
                 const Pause& pause) {
  Delivery out;
  std::chrono::milliseconds backoff = hook.backoff;
  while (out.attempts < hook.max_attempts) {
    ++out.attempts;
    const PostResult result = post(hook, body);
    if (result == PostResult::kDelivered) {
      out.delivered = true;
      return out;
    }
    if (result == PostResult::kRefused || out.attempts >= hook.max_attempts || !pause(backoff)) {
      return out;
    }
    backoff *= 2;
  }
  return out;
}

PostResult http_post(const config::AlertWebhook& hook, const std::string& body) {
  net::BlockingRequest request{.method = "POST",
                               .url = hook.url,
                               .headers = hook.headers,
                               .body = body,
                               .timeout = hook.timeout};
  request.headers.emplace_back("Content-Type", "application/json");
  auto response = net::blocking_http(request);
  if (!response) {
    spdlog::debug("alerts: webhook {}: {}", hook.name, response.error().message());
    return PostResult::kRetry;
  }
  return classify_status(response->status);
}

WebhookSender::WebhookSender(size_t max_queue, Post post)
    : max_queue_(max_queue), post_(std::move(post)), thread_([this] { run(); }) {}

WebhookSender::~WebhookSender() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WebhookSender::submit(const config::AlertWebhook& hook, std::string body) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back({&hook, std::move(body)});
  }
  wake_.notify_one();
}

void WebhookSender::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
      queue_.clear();
      return;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const Delivery delivery = deliver(*job.hook, job.body, post_,
                                      [this](auto pause) { return pause_unless_stopping(pause); });
    if (delivery.delivered) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
    } else {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("alerts: webhook {} did not take a notification after {} attempt(s)",
                   job.hook->name, delivery.attempts);
    }
    lock.lock();
  }
}

bool WebhookSender::pause_unless_stopping(std::chrono::milliseconds pause) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, pause, [this] { return stopping_; });
}

}  // namespace nexus::obs::alerts

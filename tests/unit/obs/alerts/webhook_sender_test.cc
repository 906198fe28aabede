// The webhook sender with a fake POST and pause: retries with doubling backoff on retryable
// answers up to max_attempts, never on a refusal; a full queue drops (counted) without blocking.
#include "obs/alerts/webhook_sender.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nexus::obs::alerts {
namespace {

using std::chrono::milliseconds;

config::AlertWebhook hook(uint32_t attempts) {
  return {.name = "ops",
          .url = "http://127.0.0.1:9/",
          .max_attempts = attempts,
          .backoff = milliseconds(100)};
}

// Answers with `results` in turn (the last repeats) and records the pauses asked for.
struct Script {
  std::vector<PostResult> results;
  size_t posts = 0;
  std::vector<milliseconds> pauses;
  Post post() {
    return [this](const config::AlertWebhook&, const std::string&) {
      const PostResult result = results[std::min(posts, results.size() - 1)];
      ++posts;
      return result;
    };
  }
  Pause pause() {
    return [this](milliseconds pause) {
      pauses.push_back(pause);
      return true;
    };
  }
};

TEST(WebhookDelivery, RetriesWithDoublingBackoffUntilDelivered) {
  Script script{.results = {PostResult::kRetry, PostResult::kRetry, PostResult::kDelivered}};
  const Delivery delivery = deliver(hook(5), "{}", script.post(), script.pause());
  EXPECT_TRUE(delivery.delivered);
  EXPECT_EQ(delivery.attempts, 3U);
  EXPECT_EQ(script.pauses, (std::vector<milliseconds>{milliseconds(100), milliseconds(200)}));
}

TEST(WebhookDelivery, GivesUpAfterMaxAttempts) {
  Script script{.results = {PostResult::kRetry}};
  const Delivery delivery = deliver(hook(3), "{}", script.post(), script.pause());
  EXPECT_FALSE(delivery.delivered);
  EXPECT_EQ(script.posts, 3U);
  EXPECT_EQ(script.pauses.size(), 2U);  // none after the last attempt
}

TEST(WebhookDelivery, ARefusalIsNotRetried) {
  Script script{.results = {PostResult::kRefused}};
  const Delivery delivery = deliver(hook(5), "{}", script.post(), script.pause());
  EXPECT_FALSE(delivery.delivered);
  EXPECT_EQ(script.posts, 1U);
  EXPECT_TRUE(script.pauses.empty());
}

TEST(WebhookDelivery, StoppingDuringThePauseGivesUp) {
  Script script{.results = {PostResult::kRetry}};
  const Delivery delivery =
      deliver(hook(5), "{}", script.post(), [](milliseconds) { return false; });
  EXPECT_FALSE(delivery.delivered);
  EXPECT_EQ(delivery.attempts, 1U);
}

TEST(WebhookDelivery, StatusesAreClassifiedAsAlertmanagerDoes) {
  EXPECT_EQ(classify_status(200), PostResult::kDelivered);
  EXPECT_EQ(classify_status(204), PostResult::kDelivered);
  EXPECT_EQ(classify_status(429), PostResult::kRetry);
  EXPECT_EQ(classify_status(503), PostResult::kRetry);
  EXPECT_EQ(classify_status(400), PostResult::kRefused);
  EXPECT_EQ(classify_status(404), PostResult::kRefused);
}

// Waits (bounded) until `done` holds; true if it did.
template <typename Predicate>
bool wait_until(Predicate done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

TEST(WebhookSender, DeliversOnItsThreadAndDropsPastTheQueue) {
  std::mutex mutex;
  bool release = false;
  std::condition_variable released;
  std::atomic<int> posts{0};
  const config::AlertWebhook target = hook(1);
  {
    WebhookSender sender(2, [&](const config::AlertWebhook&, const std::string&) {
      ++posts;
      std::unique_lock lock(mutex);
      released.wait(lock, [&] { return release; });
      return PostResult::kDelivered;
    });
    sender.submit(target, "1");
    ASSERT_TRUE(wait_until([&] { return posts.load() == 1; }));  // taken: the queue is empty
    sender.submit(target, "2");
    sender.submit(target, "3");
    sender.submit(target, "4");  // the queue holds 2: dropped, at once
    EXPECT_EQ(sender.dropped(), 1U);
    {
      const std::lock_guard lock(mutex);
      release = true;
    }
    released.notify_all();
    ASSERT_TRUE(wait_until([&] { return sender.delivered() == 3; }));
    EXPECT_EQ(posts.load(), 3);
  }
}

}  // namespace
}  // namespace nexus::obs::alerts

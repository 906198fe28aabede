// Alerts in the running process (observability.alerts): a thread that evaluates every rule each
// evaluation_interval from the registry's summed values, logs each fire (warn) and resolve
// (info), hands a JSON payload per webhook to the WebhookSender, keeps what GET /alerts shows,
// and sets nexus_alerts_firing{rule}.
//
// Lifecycle: create() before the registry is frozen (it declares its families), then start()
// once it is frozen with the shard it alone writes to, then the destructor stops the thread and
// the sender.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nexus/core/result.h"
#include "obs/alerts/evaluator.h"
#include "obs/alerts/sources.h"
#include "obs/alerts/webhook_sender.h"
#include "obs/metrics/registry.h"

namespace nexus::obs::alerts {

// The JSON body POSTed to a webhook (docs/observability.md, "Alerts").
std::string notification_json(const Notification& notification, std::string_view instance);
// The JSON of GET /alerts: every rule and its state.
std::string rules_json(const std::vector<RuleView>& rules);

class AlertManager {
 public:
  // `config` must outlive the manager. Declares nexus_alerts_firing{rule} and the webhook
  // counters in `registry` (not frozen yet). `post`: how webhooks are sent (http_post).
  static Result<std::unique_ptr<AlertManager>> create(const config::Alerts& config,
                                                      metrics::Registry& registry, Post post);
  ~AlertManager();
  AlertManager(const AlertManager&) = delete;
  AlertManager& operator=(const AlertManager&) = delete;

  // Starts evaluating. `shard`: a shard of the frozen registry no worker writes to.
  void start(Sources sources, metrics::Shard& shard);

  // One evaluation of every rule (the thread's tick; tests call it with their own time).
  void evaluate(SteadyClock::time_point now, SystemClock::time_point wall);
  [[nodiscard]] size_t rule_count() const { return rules_.size(); }
  [[nodiscard]] std::chrono::milliseconds evaluation_interval() const {
    return config_.evaluation_interval;
  }
  // GET /alerts. Any thread.
  [[nodiscard]] std::string render() const;

 private:
  AlertManager(const config::Alerts& config, Post post);
  void run();
  void notify(const Notification& notification);

  const config::Alerts& config_;
  std::string instance_;
  WebhookSender sender_;
  std::vector<RuleEvaluator> rules_;       // the alerts thread's
  std::vector<metrics::SeriesId> firing_;  // per rule
  std::vector<int64_t> firing_value_;      // per rule: what the shard holds (0 or 1)
  std::unique_ptr<Sources> sources_;
  metrics::Shard* shard_ = nullptr;
  mutable std::mutex mutex_;  // guards views_ (the ops thread reads) and stopping_
  std::condition_variable wake_;
  std::vector<RuleView> views_;
  bool stopping_ = false;
  std::thread thread_;  // started by start()
};

}  // namespace nexus::obs::alerts

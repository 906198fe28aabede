#include "obs/alerts/alert_manager.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <ctime>

namespace nexus::obs::alerts {
namespace {

// RFC 3339 in UTC with milliseconds, as Alertmanager's payloads carry times.
std::string rfc3339(SystemClock::time_point at) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(text, length);
  char fraction[8];
  std::snprintf(fraction, sizeof(fraction), ".%03dZ", static_cast<int>(millis % 1000));
  out += fraction;
  return out;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) {
    return "unknown";
  }
  return name;
}

// The labels a rule's payload carries: what it watches.
boost::json::object rule_labels(const config::AlertRule& rule) {
  boost::json::object labels;
  labels["alertname"] = rule.name;
  labels["severity"] = rule.severity;
  if (!rule.route.empty()) {
    labels["route"] = rule.route;
  }
  if (!rule.provider.empty()) {
    labels["provider"] = rule.provider;
  }
  if (!rule.scope_kind.empty()) {
    labels[rule.scope_kind] = rule.scope_id;
  }
  return labels;
}

}  // namespace

std::string notification_json(const Notification& notification, std::string_view instance) {
  const config::AlertRule& rule = *notification.rule;
  boost::json::object body;
  body["rule"] = rule.name;
  body["kind"] = kind_name(rule.kind);
  body["severity"] = rule.severity;
  body["state"] = notification.firing ? "firing" : "resolved";
  body["value"] = notification.value;
  body["threshold"] = rule.threshold;
  body["started_at"] = rfc3339(notification.started_at);
  if (notification.ended_at) {
    body["ended_at"] = rfc3339(*notification.ended_at);
  } else {
    body["ended_at"] = nullptr;
  }
  body["labels"] = rule_labels(rule);
  body["instance"] = instance;
  return boost::json::serialize(body);
}

std::string rules_json(const std::vector<RuleView>& rules) {
  boost::json::array list;
  for (const RuleView& view : rules) {
    boost::json::object rule;
    rule["name"] = view.rule->name;
    rule["kind"] = kind_name(view.rule->kind);
    rule["severity"] = view.rule->severity;
    rule["state"] = state_name(view.state);
    rule["threshold"] = view.rule->threshold;
    if (view.value) {
      rule["value"] = *view.value;
    } else {
      rule["value"] = nullptr;
    }
    if (view.since == SystemClock::time_point{}) {
      rule["since"] = nullptr;
    } else {
      rule["since"] = rfc3339(view.since);
    }
    rule["labels"] = rule_labels(*view.rule);
    list.push_back(std::move(rule));
  }
  boost::json::object out;
  out["rules"] = std::move(list);
  return boost::json::serialize(out);
}

AlertManager::AlertManager(const config::Alerts& config, Post post)
    : config_(config), instance_(host_name()), sender_(config.max_queue, std::move(post)) {
  rules_.reserve(config.rules.size());
  for (const config::AlertRule& rule : config.rules) {
    rules_.emplace_back(rule);
    views_.push_back(rules_.back().view());
  }
  firing_value_.assign(config.rules.size(), 0);
}

Result<std::unique_ptr<AlertManager>> AlertManager::create(const config::Alerts& config,
                                                           metrics::Registry& registry, Post post) {
  std::unique_ptr<AlertManager> out(new AlertManager(config, std::move(post)));
  std::vector<std::string> names;
  names.reserve(config.rules.size());
  for (const config::AlertRule& rule : config.rules) {
    names.push_back(rule.name);
  }
  auto firing = registry.add({.name = "nexus_alerts_firing",
                              .help = "1 while the alert rule fires, else 0, by rule.",
                              .type = metrics::Type::kGauge,
                              .labels = {{.name = "rule", .values = names}}});
  if (!firing) {
    return std::unexpected(std::move(firing.error()));
  }
  for (uint32_t i = 0; i < names.size(); ++i) {
    const uint32_t index[] = {i};
    out->firing_.push_back((*firing)->series_at(index));
  }
  const WebhookSender* sender = &out->sender_;
  auto dropped = registry.add_callback(
      {.name = "nexus_alerts_notifications_dropped",
       .help = "Alert notifications not delivered: the queue was full, the webhook refused them "
               "or attempts ran out."},
      [sender] { return static_cast<double>(sender->dropped()); });
  auto delivered =
      registry.add_callback({.name = "nexus_alerts_notifications_delivered",
                             .help = "Alert notifications a webhook took (2xx)."},
                            [sender] { return static_cast<double>(sender->delivered()); });
  for (const auto* added : {&dropped, &delivered}) {
    if (!*added) {
      return std::unexpected(added->error());
    }
  }
  return out;
}

AlertManager::~AlertManager() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AlertManager::start(Sources sources, metrics::Shard& shard) {
  sources_ = std::make_unique<Sources>(std::move(sources));
  shard_ = &shard;
  thread_ = std::thread([this] { run(); });
}

void AlertManager::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    evaluate(SteadyClock::now(), SystemClock::now());
    lock.lock();
    wake_.wait_for(lock, config_.evaluation_interval, [this] { return stopping_; });
  }
}

void AlertManager::evaluate(SteadyClock::time_point now, SystemClock::time_point wall) {
  std::vector<RuleView> views;
  views.reserve(rules_.size());
  for (size_t i = 0; i < rules_.size(); ++i) {
    RuleEvaluator& rule = rules_[i];
    const std::optional<Sample> sample =
        sources_ ? sources_->sample(rule.rule()) : std::optional<Sample>();
    if (const auto notification = rule.evaluate(sample, now, wall)) {
      notify(*notification);
    }
    views.push_back(rule.view());
    const int64_t firing = views.back().state == State::kFiring ? 1 : 0;
    if (shard_ != nullptr && firing != firing_value_[i]) {
      shard_->add_signed(firing_[i], firing - firing_value_[i]);
      firing_value_[i] = firing;
    }
  }
  const std::lock_guard lock(mutex_);
  views_ = std::move(views);
}

void AlertManager::notify(const Notification& notification) {
  const config::AlertRule& rule = *notification.rule;
  if (notification.firing) {
    spdlog::warn("alert {} firing: {} {} >= {} (severity {})", rule.name, kind_name(rule.kind),
                 notification.value, rule.threshold, rule.severity);
  } else {
    spdlog::info("alert {} resolved: {} {} < {}", rule.name, kind_name(rule.kind),
                 notification.value, rule.threshold);
  }
  const std::string body = notification_json(notification, instance_);
  for (const std::string& name : rule.webhooks) {
    for (const config::AlertWebhook& hook : config_.webhooks) {
      if (hook.name == name) {
        sender_.submit(hook, body);
      }
    }
  }
}

std::string AlertManager::render() const {
  const std::lock_guard lock(mutex_);
  return rules_json(views_);
}

}  // namespace nexus::obs::alerts

#include "governance/redis_limiter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <random>

#include "governance/redis_script_calls.h"
#include "governance/redis_scripts.h"
#include "llm/pricing/money.h"

namespace nexus::governance {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = int64_t{24} * 60 * kMinuteMs;
constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMostBackoff{5000};
constexpr size_t kPipelineBatch = 256;  // scripts sent before their replies are read

std::string random_instance() {
  std::random_device random;
  const uint64_t value = (static_cast<uint64_t>(random()) << 32U) | random();
  std::array<char, 17> text{};
  const auto end = std::to_chars(text.data(), text.data() + 16, value, 16).ptr;
  return {text.data(), end};
}

Refused unavailable(std::string_view what) {
  std::string message(what);
  message +=
      " counters unavailable (the shared counters in Redis cannot be reached); retry "
      "shortly";
  return {.error = Error(ErrorCode::kOverloaded, std::move(message)), .retry_after_seconds = 1};
}

}  // namespace

RedisLimiter::RedisLimiter(RedisLimiterOptions options, std::shared_ptr<const TimeZone> zone,
                           Store& store)
    : options_(std::move(options)),
      zone_(std::move(zone)),
      store_(store),
      instance_(random_instance()),
      thread_([this] { run(); }) {
  spdlog::info(
      "governance: rate limits and budgets are counted in Redis at {}, shared by every "
      "instance (this one is {})",
      options_.display, instance_);
}

RedisLimiter::~RedisLimiter() {
  {
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string RedisLimiter::member(const Demand& demand) const {
  std::string out = instance_;
  out += ':';
  out += std::to_string(demand.id);
  return out;
}

void RedisLimiter::admit(Scopes scopes, const Demand& demand, UnixMillis now, Decided decided) {
  // A key none of whose scopes limits anything needs no counting, nor Redis.
  if (std::ranges::none_of(scopes,
                           [](const auto& scope) { return limits_anything(scope->controls()); })) {
    decided(std::nullopt);
    return;
  }
  enqueue(Job{.scopes = {scopes.begin(), scopes.end()},
              .demand = demand,
              .now = now,
              .decided = std::move(decided),
              .queued = SteadyClock::now()});
}

void RedisLimiter::settle(Scopes scopes, const Demand& demand, uint64_t used_tokens, NanoUsd cost,
                          UnixMillis now) {
  if (std::ranges::none_of(scopes,
                           [](const auto& scope) { return limits_anything(scope->controls()); })) {
    return;
  }
  enqueue(Job{.scopes = {scopes.begin(), scopes.end()},
              .demand = demand,
              .now = now,
              .used_tokens = used_tokens,
              .cost = cost,
              .queued = SteadyClock::now()});
}

void RedisLimiter::enqueue(Job job) {
  bool queued = false;
  {
    const std::scoped_lock lock(mutex_);
    if (!job.decided || queue_.size() < options_.admission_queue) {
      queue_.push_back(std::move(job));
      queued = true;
    }
  }
  if (!queued) {  // too many are waiting for Redis already
    // NOLINTNEXTLINE(bugprone-use-after-move): only moved when queued
    job.decided(unavailable("rate limit and budget"));
    return;
  }
  wake_.notify_one();
}

void RedisLimiter::run() {
  std::vector<Job> jobs;
  std::unique_lock lock(mutex_);
  while (true) {
    const auto ready = [this] { return stopping_ || !queue_.empty(); };
    if (retries_.empty()) {
      wake_.wait(lock, ready);
    } else {  // settlements wait for Redis: try again when the backoff ends
      wake_.wait_until(lock, next_attempt_, ready);
    }
    const bool stop = stopping_;
    jobs.swap(queue_);
    lock.unlock();
    serve(jobs);
    jobs.clear();
    lock.lock();
    if (stop && queue_.empty()) {
      break;
    }
  }
  drop_expired_retries(/*all=*/true);
}

void RedisLimiter::serve(std::vector<Job>& jobs) {
  drop_expired_retries(/*all=*/false);
  if (jobs.empty() && retries_.empty()) {
    return;  // woken to stop, with nothing to do: no reason to connect
  }
  size_t answered = 0;
  if (ensure_connected()) {
    if (!retries_.empty()) {  // what waited for Redis goes first, in order
      std::vector<Job> replay(std::make_move_iterator(retries_.begin()),
                              std::make_move_iterator(retries_.end()));
      retries_.clear();
      std::ranges::move(jobs, std::back_inserter(replay));
      jobs.swap(replay);
    }
    answered = run_pipelined(jobs);
  }
  for (size_t i = answered; i < jobs.size(); ++i) {
    if (jobs[i].decided) {
      decide_without_redis(jobs[i]);
    } else {
      keep_for_retry(std::move(jobs[i]));
    }
  }
}

bool RedisLimiter::ensure_connected() {
  if (connection_ != nullptr && !connection_->broken()) {
    return true;
  }
  connection_.reset();
  if (SteadyClock::now() < next_attempt_) {
    return false;
  }
  auto opened = RedisConnection::open(options_.endpoint, options_.timeout);
  if (!opened) {
    lose_connection(opened.error().message());
    return false;
  }
  connection_ = std::move(*opened);
  for (auto [script, sha] :
       {std::pair{kAdmitScript, &admit_sha_}, std::pair{kSettleScript, &settle_sha_}}) {
    const std::vector<std::string> load{"SCRIPT", "LOAD", std::string(script)};
    auto loaded = connection_->command(load);
    if (!loaded || loaded->is_error()) {
      lose_connection(!loaded ? loaded.error().message() : "SCRIPT LOAD: " + loaded->text);
      return false;
    }
    *sha = loaded->text;
  }
  backoff_ = milliseconds{0};
  available_.store(true, std::memory_order_relaxed);
  if (outage_logged_) {
    spdlog::info("governance: Redis at {} is reachable again", options_.display);
    outage_logged_ = false;
  }
  return true;
}

void RedisLimiter::lose_connection(const std::string& why) {
  connection_.reset();
  available_.store(false, std::memory_order_relaxed);
  backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMostBackoff);
  next_attempt_ = SteadyClock::now() + backoff_;
  if (!outage_logged_) {  // once per outage, not once per request
    outage_logged_ = true;
    spdlog::error(
        "governance: Redis at {} is unavailable ({}): requests a hard budget gates are refused "
        "(503), requests only rate limits gate are {} until it is back",
        options_.display, why, options_.rate_limits_open ? "admitted uncounted" : "refused (503)");
  }
}

size_t RedisLimiter::run_pipelined(std::vector<Job>& jobs) {
  size_t done = 0;
  std::vector<Result<RedisReply>> replies;
  while (done < jobs.size()) {
    const size_t end = std::min(done + kPipelineBatch, jobs.size());
    for (size_t i = done; i < end; ++i) {
      const bool admission = static_cast<bool>(jobs[i].decided);
      std::vector<std::string> command{"EVALSHA", admission ? admit_sha_ : settle_sha_, "0"};
      std::ranges::move(admission ? admit_args(jobs[i]) : settle_args(jobs[i]),
                        std::back_inserter(command));
      connection_->append(command);
    }
    replies.clear();
    for (size_t i = done; i < end; ++i) {
      auto reply = connection_->read_reply();
      if (!reply) {
        break;
      }
      replies.push_back(std::move(reply));
    }
    if (replies.size() < end - done) {
      lose_connection("a command failed or took longer than redis_timeout");
    }
    // Replies are all read before any is acted on: a rebuild or a reloaded script sends more
    // commands, which must not interleave with the pipeline's.
    for (size_t i = 0; i < replies.size(); ++i) {
      finish(jobs[done + i], std::move(replies[i]));
    }
    done += replies.size();
    if (connection_ == nullptr) {
      break;
    }
  }
  return done;
}

Result<RedisReply> RedisLimiter::eval(const std::string& sha, std::string_view script,
                                      std::vector<std::string> args) {
  if (connection_ == nullptr) {
    return fail(ErrorCode::kUpstreamUnavailable, "no connection to Redis");
  }
  std::vector<std::string> command{"EVALSHA", sha, "0"};
  std::ranges::move(args, std::back_inserter(command));
  auto reply = connection_->command(command);
  if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    command[0] = "EVAL";
    command[1] = std::string(script);
    reply = connection_->command(command);
  }
  if (!reply) {
    lose_connection(reply.error().message());
  }
  return reply;
}

void RedisLimiter::finish(Job& job, Result<RedisReply> reply) {
  const bool admission = static_cast<bool>(job.decided);
  if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    // Redis restarted (or SCRIPT FLUSH) since the scripts were loaded: EVAL sends the text.
    reply = admission ? eval(admit_sha_, kAdmitScript, admit_args(job))
                      : eval(settle_sha_, kSettleScript, settle_args(job));
  }
  if (!reply || reply->is_error()) {
    if (reply) {
      spdlog::error("governance: Redis refused a {} script: {}",
                    admission ? "admission" : "settlement", reply->text);
    }
    if (admission) {
      decide_without_redis(job);
    } else if (!reply) {
      keep_for_retry(std::move(job));
    }
    return;
  }
  if (admission) {
    finish_admission(job, std::move(*reply));
    return;
  }
  const auto& alerts = reply->elements;
  for (size_t i = 0; i + 1 < alerts.size(); i += 2) {
    const auto scope = static_cast<size_t>(reply_integer(alerts[i]));
    if (scope >= 1 && scope <= job.scopes.size()) {
      alert_soft_budget(*job.scopes[scope - 1], reply_integer(alerts[i + 1]));
    }
  }
}

void RedisLimiter::finish_admission(Job& job, RedisReply reply) {
  // Each round may find one more scope whose period Redis does not have yet.
  for (size_t round = 0; round <= job.scopes.size(); ++round) {
    const auto& fields = reply.elements;
    const int64_t code = fields.empty() ? -1 : reply_integer(fields[0]);
    const size_t index = fields.size() > 1 ? static_cast<size_t>(reply_integer(fields[1])) : 0;
    if (code == 0) {
      job.decided(std::nullopt);
      return;
    }
    if (index < 1 || index > job.scopes.size()) {
      break;
    }
    const ScopeState& scope = *job.scopes[index - 1];
    if (code == 1 && fields.size() >= 6) {
      job.decided(refused_by(script_refusal(fields, scope, job.demand, job.now, *zone_), job.now));
      return;
    }
    if (code != 2) {
      break;
    }
    if (auto rebuilt = rebuild_budget(scope, job.now); !rebuilt) {
      spdlog::error("governance: cannot rebuild the budget counters of {}: {}", scope.describe(),
                    rebuilt.error().message());
      job.decided(unavailable("budget"));
      return;
    }
    auto again = eval(admit_sha_, kAdmitScript, admit_args(job));
    if (!again || again->is_error()) {
      decide_without_redis(job);
      return;
    }
    reply = std::move(*again);
  }
  spdlog::error("governance: an unexpected reply from the admission script");
  decide_without_redis(job);
}

Result<void> RedisLimiter::rebuild_budget(const ScopeState& scope, UnixMillis now) {
  const Controls controls = scope.controls();
  if (!controls.budget) {
    return {};
  }
  const PeriodBounds period = period_bounds(controls.budget->period, now, *zone_);
  auto spent = store_.spend(scope.kind(), scope.id(), period.start);
  if (!spent) {
    return std::unexpected(std::move(spent.error()));
  }
  const std::string key = budget_key(scope, period.start);
  const std::vector<std::string> set{"HSETNX", key, "s", std::to_string(*spent)};
  std::vector<std::vector<std::string>> commands{set};
  if (period.end != std::numeric_limits<UnixMillis>::max()) {
    // Kept a day past the period's end, so it cannot vanish while the period is current.
    commands.push_back({"PEXPIRE", key, std::to_string(period.end - now + kDayMs)});
  }
  for (const auto& command : commands) {
    if (connection_ == nullptr) {
      return fail(ErrorCode::kUpstreamUnavailable, "no connection to Redis");
    }
    auto reply = connection_->command(command);
    if (!reply) {
      lose_connection(reply.error().message());
      return std::unexpected(std::move(reply.error()));
    }
    if (reply->is_error()) {
      return fail(ErrorCode::kUpstreamUnavailable, reply->text);
    }
  }
  spdlog::debug("governance: {}'s spend this period rebuilt from the ledger: ${}", scope.describe(),
                llm::pricing::format_usd(*spent));
  return {};
}

void RedisLimiter::decide_without_redis(Job& job) {
  if (std::ranges::any_of(job.scopes,
                          [](const auto& scope) { return has_hard_budget(scope->controls()); })) {
    job.decided(unavailable("budget"));
  } else if (options_.rate_limits_open) {
    job.decided(std::nullopt);  // uncounted: its settlement finds nothing to release
  } else {
    job.decided(unavailable("rate limit"));
  }
}

void RedisLimiter::keep_for_retry(Job job) {
  if (retries_.size() >= options_.settle_queue) {
    retries_.pop_front();
    spdlog::warn(
        "governance: a settlement is lost to the Redis counters (retry queue full; the "
        "usage ledger has it)");
  }
  retries_.push_back(std::move(job));
}

void RedisLimiter::drop_expired_retries(bool all) {
  const auto oldest = SteadyClock::now() - options_.settle_retry;
  size_t lost = 0;
  while (!retries_.empty() && (all || retries_.front().queued < oldest)) {
    retries_.pop_front();
    ++lost;
  }
  if (lost != 0) {
    spdlog::warn(
        "governance: {} settlements could not reach Redis in time and are lost to its "
        "counters (the usage ledger has them)",
        lost);
  }
}

std::vector<std::string> RedisLimiter::admit_args(const Job& job) const {
  return admit_script_args(job.scopes, job.demand, job.now, member(job.demand), options_.lease,
                           *zone_);
}

std::vector<std::string> RedisLimiter::settle_args(const Job& job) const {
  return settle_script_args(job.scopes, job.demand, job.now, job.used_tokens, job.cost,
                            member(job.demand), *zone_);
}

std::unique_ptr<Limiter> make_limiter(const config::Governance& config,
                                      std::shared_ptr<const TimeZone> zone, Store& store) {
  if (!config.redis) {
    return std::make_unique<LocalLimiter>(std::move(zone));
  }
  const auto& redis = *config.redis;
  RedisLimiterOptions options{
      .endpoint = {.host = redis.host,
                   .port = redis.port,
                   .db = redis.db,
                   .username = redis.username,
                   .password = redis.password},
      .display = redis.display,
      .timeout = config.redis_timeout,
      .lease = config.redis_lease,
      .rate_limits_open = config.rate_limits_without_redis == config::Governance::Outage::kOpen};
  return std::make_unique<RedisLimiter>(std::move(options), std::move(zone), store);
}

}  // namespace nexus::governance

#include "filters/auth/jwks_source.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

namespace nexus::filters::auth {

JwksSource::JwksSource(JwksOptions options, KeyList configured)
    : options_(std::move(options)),
      configured_(std::move(configured)),
      keys_(std::make_shared<const KeyList>(configured_)) {}

JwksSource::~JwksSource() { stop(); }

Result<std::string> JwksSource::load_document() const {
  if (!options_.url.empty()) {
    return http_get(options_.url, options_.fetch);
  }
  std::ifstream in(options_.file, std::ios::binary);
  if (!in.is_open()) {
    return fail(ErrorCode::kInvalidConfig, "cannot open the file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

Result<void> JwksSource::refresh() {
  auto document = load_document();
  Result<KeySetParse> parsed =
      document ? parse_jwks(*document) : std::unexpected(std::move(document.error()));
  if (parsed) {
    auto keys = std::make_shared<KeyList>(configured_);
    keys->insert(keys->end(), parsed->keys.begin(), parsed->keys.end());
    keys_.store(std::move(keys));
  }
  {
    std::lock_guard lock(mutex_);
    attempts_.fetch_add(1);
  }
  attempted_.notify_all();
  if (!parsed) {
    const std::string& where = options_.url.empty() ? options_.file : options_.url;
    return fail(parsed.error().code(), "JWKS " + where + ": " + parsed.error().message());
  }
  return {};
}

Result<void> JwksSource::start() {
  if (!dynamic() || thread_.joinable()) {
    return {};
  }
  // A file was loaded (and checked) at config time; a URL is first fetched here.
  bool failed = false;
  if (!options_.url.empty()) {
    if (auto first = refresh(); !first) {
      spdlog::warn("auth: {} (no JWKS keys yet; retrying in {} ms)", first.error().message(),
                   options_.retry_interval.count());
      failed = true;
    }
  }
  thread_ = std::thread([this, failed] { run(failed); });
  return {};
}

void JwksSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool JwksSource::request_early_refresh(std::chrono::steady_clock::time_point now) {
  if (!dynamic()) {
    return false;
  }
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t gap_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.retry_interval).count();
  int64_t last = last_early_ns_.load();
  // One request wins the slot; the others (and later ones within the gap) do nothing.
  if ((last != INT64_MIN && now_ns - last < gap_ns) ||
      !last_early_ns_.compare_exchange_strong(last, now_ns)) {
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    early_ = true;
  }
  wake_.notify_all();
  return true;
}

bool JwksSource::wait_for_attempts(uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return attempted_.wait_for(lock, timeout, [&] { return attempts_.load() >= count; });
}

void JwksSource::run(bool failed) {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto wait = failed ? options_.retry_interval : options_.refresh_interval;
    wake_.wait_for(lock, wait, [&] { return stopping_ || early_; });
    if (stopping_) {
      break;
    }
    early_ = false;
    lock.unlock();
    auto result = refresh();
    if (!result) {
      spdlog::warn("auth: {} (keeping the previous keys)", result.error().message());
    }
    failed = !result;
    lock.lock();
  }
}

}  // namespace nexus::filters::auth

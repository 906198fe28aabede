#include "filters/access_log/access_log_filter.h"

#include <fmt/chrono.h>

#include <algorithm>
#include <array>

#include "filters/access_log/json_line.h"
#include "http/filter/request_slots.h"

namespace nexus::filters {
namespace {

// Never written, whatever the config says: they carry credentials.
constexpr std::array<std::string_view, 6> kAlwaysRedacted = {
    "authorization", "proxy-authorization", "api-key", "x-api-key", "cookie", "set-cookie"};

class AccessLogFilter final : public filter::Filter {
 public:
  explicit AccessLogFilter(const AccessLogFactory& factory) : factory_(factory) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    const filter::HeaderMap* headers = ctx.request_headers();
    if (headers == nullptr) {
      return filter::FilterStatus::kContinue;
    }
    values_.clear();
    for (const std::string& name : factory_.headers()) {
      values_.emplace_back(headers->get(name));
    }
    if (factory_.wants_user_agent()) {
      user_agent_ = ctx.keep(headers->get("user-agent"));
    }
    return filter::FilterStatus::kContinue;
  }

  void on_complete(filter::Context& ctx, const filter::Completion& completion) override {
    thread_local std::string buffer;
    values_.resize(factory_.headers().size());  // empty when the request never got this far
    factory_.write(factory_.format(ctx, completion, values_, user_agent_, buffer));
  }

 private:
  const AccessLogFactory& factory_;
  std::vector<std::string> values_;  // of factory_.headers(), in order
  std::string_view user_agent_;      // in the exchange's arena
};

// "2026-11-22T05:01:23.456Z", with the part up to the minute formatted once per minute and
// thread: calendar formatting per line cost more than the rest of the line.
std::string_view format_time(std::chrono::system_clock::time_point now, std::array<char, 24>& out) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  thread_local minutes cached_minute{-1};
  thread_local std::array<char, 17> cached_prefix{};  // "2026-11-22T05:01:"
  const auto since_epoch = duration_cast<milliseconds>(now.time_since_epoch());
  const auto minute = std::chrono::floor<minutes>(since_epoch);
  if (minute != cached_minute) {
    cached_minute = minute;
    fmt::format_to_n(cached_prefix.data(), cached_prefix.size(), "{:%Y-%m-%dT%H:%M:}",
                     std::chrono::sys_time<minutes>(minute));
  }
  const auto millis = static_cast<unsigned>((since_epoch - minute).count());  // 0..59999
  const auto digit = [](unsigned value) { return static_cast<char>('0' + value % 10); };
  std::ranges::copy(cached_prefix, out.begin());
  char* at = out.data() + cached_prefix.size();
  at[0] = digit(millis / 10000);
  at[1] = digit(millis / 1000);
  at[2] = '.';
  at[3] = digit(millis / 100);
  at[4] = digit(millis / 10);
  at[5] = digit(millis);
  at[6] = 'Z';
  return {out.data(), out.size()};
}

// An LLM exchange's fields: the model and provider when it reached a configured model, the
// token counts when the provider reported usage. Other lines leave them out.
void add_llm_field(AccessLogField field, const filter::LlmUse* llm, JsonLine& line) {
  if (llm == nullptr) {
    return;
  }
  if (field == AccessLogField::kModel) {
    line.add_string("model", llm->model);
    return;
  }
  if (field == AccessLogField::kProvider) {
    line.add_string("provider", llm->provider);
    return;
  }
  if (field == AccessLogField::kVariant) {
    if (!llm->variant.empty()) {
      line.add_string("variant", llm->variant);
    }
    return;
  }
  if (field == AccessLogField::kAttempts) {
    line.add_number("attempts", llm->attempts);
    return;
  }
  if (!llm->usage) {
    return;
  }
  const llm::Usage& usage = *llm->usage;
  switch (field) {
    case AccessLogField::kInputTokens:
      line.add_number("input_tokens", usage.input);
      break;
    case AccessLogField::kOutputTokens:
      line.add_number("output_tokens", usage.output);
      break;
    case AccessLogField::kCacheReadTokens:
      line.add_number("cache_read_tokens", usage.cache_read);
      break;
    case AccessLogField::kCacheWriteTokens:
      line.add_number("cache_write_tokens", usage.cache_write);
      break;
    case AccessLogField::kReasoningTokens:
      line.add_number("reasoning_tokens", usage.reasoning);
      break;
    default:
      break;
  }
}

}  // namespace

AccessLogFactory::AccessLogFactory(AccessLogConfig config) : config_(std::move(config)) {
  for (const std::string& name : config_.fields) {
    const auto index = std::ranges::find(kAccessLogFields, name) - kAccessLogFields.begin();
    fields_.push_back(static_cast<AccessLogField>(index));
    wants_user_agent_ = wants_user_agent_ || fields_.back() == AccessLogField::kUserAgent;
  }
}

filter::ArenaPtr<filter::Filter> AccessLogFactory::create(filter::Arena& arena) const {
  return arena.make<AccessLogFilter>(*this);
}

Result<void> AccessLogFactory::start() {
  auto created =
      obs::AccessLog::create({.path = config_.path, .flush_interval = config_.flush_interval});
  if (!created) {
    return std::unexpected(std::move(created.error()));
  }
  writer_ = std::move(*created);
  return {};
}

bool AccessLogFactory::redacted(std::string_view name) const {
  return std::ranges::find(kAlwaysRedacted, name) != kAlwaysRedacted.end() ||
         std::ranges::find(config_.redact, name) != config_.redact.end();
}

void AccessLogFactory::write(std::string_view line) const {
  if (writer_) {
    writer_->write_line(line);
  }
}

std::string_view AccessLogFactory::format(filter::Context& ctx,
                                          const filter::Completion& completion,
                                          const std::vector<std::string>& values,
                                          std::string_view user_agent, std::string& buffer) const {
  const filter::RequestInfo& request = ctx.request();
  JsonLine line(buffer);
  for (const AccessLogField field : fields_) {
    switch (field) {
      case AccessLogField::kTime: {
        std::array<char, 24> time{};
        line.add_string("time", format_time(ctx.clock().wall(), time));
        break;
      }
      case AccessLogField::kMethod:
        line.add_string("method", request.method);
        break;
      case AccessLogField::kPath:
        line.add_string("path", request.target);
        break;
      case AccessLogField::kStatus:
        line.add_number("status", static_cast<uint64_t>(std::max(completion.status, 0)));
        break;
      case AccessLogField::kBytesReceived:
        line.add_number("bytes_received", completion.request_body_bytes);
        break;
      case AccessLogField::kBytesSent:
        line.add_number("bytes_sent", completion.response_bytes);
        break;
      case AccessLogField::kDurationMs:
        line.add_millis("duration_ms", completion.duration_ms);
        break;
      case AccessLogField::kUpstream:
        line.add_string("upstream", completion.upstream);
        break;
      case AccessLogField::kUpstreamDurationMs:
        line.add_millis("upstream_duration_ms", completion.upstream_ms);
        break;
      case AccessLogField::kClient:
        line.add_string("client", ctx.client_ip());
        break;
      case AccessLogField::kError:
        line.add_string("error", completion.error != nullptr ? completion.error->code_name() : "");
        break;
      case AccessLogField::kRequestId: {
        const std::string_view* id = ctx.slots().get(filter::kRequestId);
        line.add_string("request_id", id != nullptr ? *id : "");
        break;
      }
      case AccessLogField::kRoute:
        line.add_string("route", request.route);
        break;
      case AccessLogField::kIdentity: {
        const filter::Identity* identity = ctx.slots().get(filter::kIdentity);
        line.add_string("identity", identity != nullptr ? identity->subject : "");
        break;
      }
      case AccessLogField::kHost:
        line.add_string("host", request.host);
        break;
      case AccessLogField::kUserAgent:
        line.add_string("user_agent", user_agent);
        break;
      default:
        add_llm_field(field, completion.llm, line);
        break;
    }
  }
  if (!config_.headers.empty()) {
    line.begin_object("headers");
    for (size_t i = 0; i < config_.headers.size(); ++i) {
      const bool hidden = redacted(config_.headers[i]) && !values[i].empty();
      line.add_string(config_.headers[i], hidden ? "[redacted]" : values[i]);
    }
    line.end_object();
  }
  return line.finish();
}

}  // namespace nexus::filters

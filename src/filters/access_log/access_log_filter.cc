#include "filters/access_log/access_log_filter.h"

#include <fmt/chrono.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "core/json_escape.h"
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
      user_agent_ = headers->get("user-agent");
    }
    return filter::FilterStatus::kContinue;
  }

  void on_complete(filter::Context& ctx, const filter::Completion& completion) override {
    thread_local std::string line;
    line.clear();
    values_.resize(factory_.headers().size());  // empty when the request never got this far
    factory_.format(ctx, completion, values_, user_agent_, line);
    factory_.write(line);
  }

 private:
  const AccessLogFactory& factory_;
  std::vector<std::string> values_;  // of factory_.headers(), in order
  std::string user_agent_;
};

void append_string(std::string& line, std::string_view name, std::string_view value) {
  line += '"';
  line += name;
  line += R"(":")";
  append_json_escaped(line, value);
  line += "\",";
}

// std::to_chars rather than fmt: formatting through a back_inserter cost more than all the
// other work of the line.
void append_number(std::string& line, std::string_view name, uint64_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.begin(), digits.end(), value);
  line += '"';
  line += name;
  line += R"(":)";
  line.append(digits.data(), result.ptr);
  line += ',';
}

// Two or three digits with leading zeros.
void append_padded(std::string& line, unsigned value, int width) {
  if (width == 3) {
    line += static_cast<char>('0' + value / 100);
  }
  line += static_cast<char>('0' + value / 10 % 10);
  line += static_cast<char>('0' + value % 10);
}

// Milliseconds with three decimals ("0.508"), from whole microseconds: integer formatting is
// several times cheaper than a floating-point one.
void append_millis(std::string& line, std::string_view name, double millis) {
  const auto micros = static_cast<uint64_t>(std::llround((millis > 0 ? millis : 0.0) * 1000));
  append_number(line, name, micros / 1000);
  line.back() = '.';
  append_padded(line, static_cast<unsigned>(micros % 1000), 3);
  line += ',';
}

// "time":"2026-11-22T05:01:23.456Z", with the part up to the minute formatted once per minute
// and thread: calendar formatting per line cost more than the rest of the line.
void append_time(std::string& line, std::chrono::system_clock::time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  thread_local minutes cached_minute{-1};
  thread_local std::string cached_prefix;
  const auto since_epoch = duration_cast<milliseconds>(now.time_since_epoch());
  const auto minute = std::chrono::floor<minutes>(since_epoch);
  if (minute != cached_minute) {
    cached_minute = minute;
    cached_prefix.clear();
    fmt::format_to(std::back_inserter(cached_prefix), R"("time":"{:%Y-%m-%dT%H:%M:})",
                   std::chrono::sys_time<minutes>(minute));
  }
  const auto millis = static_cast<unsigned>((since_epoch - minute).count());  // 0..59999
  line += cached_prefix;
  append_padded(line, millis / 1000, 2);
  line += '.';
  append_padded(line, millis % 1000, 3);
  line += R"(Z",)";
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

void AccessLogFactory::format(filter::Context& ctx, const filter::Completion& completion,
                              const std::vector<std::string>& values, std::string_view user_agent,
                              std::string& line) const {
  const filter::RequestInfo& request = ctx.request();
  line += '{';
  for (const AccessLogField field : fields_) {
    switch (field) {
      case AccessLogField::kTime:
        append_time(line, ctx.clock().wall());
        break;
      case AccessLogField::kMethod:
        append_string(line, "method", request.method);
        break;
      case AccessLogField::kPath:
        append_string(line, "path", request.target);
        break;
      case AccessLogField::kStatus:
        append_number(line, "status", static_cast<uint64_t>(std::max(completion.status, 0)));
        break;
      case AccessLogField::kBytesReceived:
        append_number(line, "bytes_received", completion.request_body_bytes);
        break;
      case AccessLogField::kBytesSent:
        append_number(line, "bytes_sent", completion.response_bytes);
        break;
      case AccessLogField::kDurationMs:
        append_millis(line, "duration_ms", completion.duration_ms);
        break;
      case AccessLogField::kUpstream:
        append_string(line, "upstream", completion.upstream);
        break;
      case AccessLogField::kUpstreamDurationMs:
        append_millis(line, "upstream_duration_ms", completion.upstream_ms);
        break;
      case AccessLogField::kClient:
        append_string(line, "client", ctx.client_ip());
        break;
      case AccessLogField::kError:
        append_string(line, "error",
                      completion.error != nullptr ? completion.error->code_name() : "");
        break;
      case AccessLogField::kRequestId: {
        const std::string_view* id = ctx.slots().get(filter::kRequestId);
        append_string(line, "request_id", id != nullptr ? *id : "");
        break;
      }
      case AccessLogField::kRoute:
        append_string(line, "route", request.route);
        break;
      case AccessLogField::kIdentity: {
        const filter::Identity* identity = ctx.slots().get(filter::kIdentity);
        append_string(line, "identity", identity != nullptr ? identity->subject : "");
        break;
      }
      case AccessLogField::kHost:
        append_string(line, "host", request.host);
        break;
      case AccessLogField::kUserAgent:
        append_string(line, "user_agent", user_agent);
        break;
    }
  }
  if (!config_.headers.empty()) {
    line += R"("headers":{)";
    for (size_t i = 0; i < config_.headers.size(); ++i) {
      const bool hidden = redacted(config_.headers[i]) && !values[i].empty();
      append_string(line, config_.headers[i], hidden ? "[redacted]" : values[i]);
    }
    line.back() = '}';
    line += ',';
  }
  if (line.back() == ',') {
    line.back() = '}';
  } else {
    line += '}';
  }
}

}  // namespace nexus::filters

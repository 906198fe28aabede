#include "filters/headers/headers_filter.h"

#include <string>
#include <vector>

namespace nexus::filters {
namespace {

// Applies `ops` in the order remove, set, add. Every value is expanded before anything changes,
// so a template reading a header sees it as it was. An empty value sets nothing: `set` then
// only removes (a client cannot smuggle in a value that the attribute lacks), `add` is skipped.
void apply(const HeaderOps& ops, filter::Context& ctx, filter::HeaderMap& headers,
           const ValueTemplate::HeaderSource& source) {
  thread_local std::vector<std::string> set_values;
  thread_local std::vector<std::string> add_values;
  set_values.clear();
  add_values.clear();
  for (const auto& [name, value] : ops.set) {
    set_values.push_back(value.expand(ctx, source));
  }
  for (const auto& [name, value] : ops.add) {
    add_values.push_back(value.expand(ctx, source));
  }
  for (const std::string& name : ops.remove) {
    headers.remove(name);
  }
  for (size_t i = 0; i < ops.set.size(); ++i) {
    headers.remove(ops.set[i].first);
    if (!set_values[i].empty()) {
      headers.add(ops.set[i].first, set_values[i]);
    }
  }
  for (size_t i = 0; i < ops.add.size(); ++i) {
    if (!add_values[i].empty()) {
      headers.add(ops.add[i].first, add_values[i]);
    }
  }
}

class HeadersFilter final : public filter::Filter {
 public:
  explicit HeadersFilter(const HeadersConfig& config) : config_(config) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    const filter::HeaderMap* headers = ctx.request_headers();
    captured_.clear();
    for (const std::string& name : config_.captured) {
      captured_.emplace_back(headers != nullptr ? headers->get(name) : std::string_view());
    }
    return filter::FilterStatus::kContinue;
  }

  filter::FilterStatus on_upstream_request(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.request_headers();
    if (headers != nullptr) {
      apply(config_.request, ctx, *headers, {.live = headers});
    }
    return filter::FilterStatus::kContinue;
  }

  filter::FilterStatus on_response_headers(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.response_headers();
    if (headers != nullptr) {
      apply(config_.response, ctx, *headers,
            {.captured_names = config_.captured, .captured = captured_});
    }
    return filter::FilterStatus::kContinue;
  }

 private:
  const HeadersConfig& config_;
  std::vector<std::string> captured_;  // values of config_.captured, in order
};

}  // namespace

uint32_t HeadersFactory::hooks() const {
  uint32_t hooks = 0;
  if (!config_.captured.empty()) {
    hooks |= filter::kRequestHeadersHook;
  }
  if (!config_.request.empty()) {
    hooks |= filter::kUpstreamRequestHook;
  }
  if (!config_.response.empty()) {
    hooks |= filter::kResponseHeadersHook;
  }
  return hooks;
}

filter::ArenaPtr<filter::Filter> HeadersFactory::create(filter::Arena& arena) const {
  return arena.make<HeadersFilter>(config_);
}

}  // namespace nexus::filters

// The access_log filter: copies what it needs of the request in on_request_headers and writes one
// JSON line in on_complete, through an asynchronous writer (a slow disk never stalls a worker
// until the writer's queue is full).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filters/access_log/config.h"
#include "http/filter/filter.h"
#include "obs/access_log.h"

namespace nexus::filters {

enum class AccessLogField {
  kTime,
  kMethod,
  kPath,
  kStatus,
  kBytesReceived,
  kBytesSent,
  kDurationMs,
  kUpstream,
  kUpstreamDurationMs,
  kClient,
  kError,
  kRequestId,
  kRoute,
  kIdentity,
  kHost,
  kUserAgent,
  // LLM exchanges only (absent from other lines; the token counts also when the provider
  // reported no usage).
  kModel,
  kProvider,
  kVariant,   // an A/B split's variant, when the model was one
  kAttempts,  // deployments tried (failovers + 1)
  kInputTokens,
  kOutputTokens,
  kCacheReadTokens,
  kCacheWriteTokens,
  kReasoningTokens,
};

class AccessLogFactory final : public filter::FilterFactory {
 public:
  explicit AccessLogFactory(AccessLogConfig config);

  [[nodiscard]] std::string_view type() const override { return "access_log"; }
  [[nodiscard]] uint32_t hooks() const override {
    return filter::kRequestHeadersHook | filter::kCompleteHook;
  }
  [[nodiscard]] filter::ArenaPtr<filter::Filter> create(filter::Arena& arena) const override;
  Result<void> start() override;

  // The JSON line for a completed exchange (without the newline), written into `buffer`.
  std::string_view format(filter::Context& ctx, const filter::Completion& completion,
                          const std::vector<std::string>& header_values,
                          std::string_view user_agent, std::string& buffer) const;
  void write(std::string_view line) const;
  [[nodiscard]] const std::vector<std::string>& headers() const { return config_.headers; }
  [[nodiscard]] bool wants_user_agent() const { return wants_user_agent_; }
  // Whether a header's value must never be written (credentials, cookies, configured ones).
  [[nodiscard]] bool redacted(std::string_view name) const;

 private:
  AccessLogConfig config_;
  std::vector<AccessLogField> fields_;
  bool wants_user_agent_ = false;
  std::unique_ptr<obs::AccessLog> writer_;
};

}  // namespace nexus::filters

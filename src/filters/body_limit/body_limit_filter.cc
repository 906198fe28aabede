#include "filters/body_limit/body_limit_filter.h"

#include <charconv>
#include <string>

namespace nexus::filters {
namespace {

class BodyLimitFilter final : public filter::Filter {
 public:
  explicit BodyLimitFilter(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    const std::string_view length = ctx.request_headers()->get("content-length");
    uint64_t declared = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), declared);
    if (!length.empty() && ec == std::errc() && declared > max_bytes_) {
      return refuse(ctx);
    }
    if (!length.empty() && ec == std::errc()) {
      ctx.skip_request_body();  // the codecs hold the body to its declared length: no counting
    }
    return filter::FilterStatus::kContinue;
  }

  filter::FilterStatus on_request_body(filter::Context& ctx, std::string& body,
                                       bool /*end*/) override {
    seen_ += body.size();
    if (seen_ > max_bytes_) {
      return refuse(ctx);
    }
    return filter::FilterStatus::kContinue;
  }

 private:
  filter::FilterStatus refuse(filter::Context& ctx) const {
    ctx.reply_error(Error(ErrorCode::kPayloadTooLarge, "the request body is larger than " +
                                                           std::to_string(max_bytes_) +
                                                           " bytes, the limit of this route"));
    return filter::FilterStatus::kStop;
  }

  uint64_t max_bytes_;
  uint64_t seen_ = 0;
};

}  // namespace

filter::ArenaPtr<filter::Filter> BodyLimitFactory::create(filter::Arena& arena) const {
  return arena.make<BodyLimitFilter>(config_.max_bytes);
}

}  // namespace nexus::filters

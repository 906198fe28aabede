#include "filters/request_id/request_id_filter.h"

#include "filters/request_id/uuid_v7.h"
#include "http/filter/request_slots.h"

namespace nexus::filters {
namespace {

UuidText new_request_id(const filter::Clock& clock) {
  // One generator per worker thread: no locking, and ids of one thread are monotonic.
  thread_local UuidV7Generator generator;
  return generator.next(clock.wall());
}

class RequestIdFilter final : public filter::Filter {
 public:
  explicit RequestIdFilter(const RequestIdConfig& config) : config_(config) {}

  filter::FilterStatus on_request_headers(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.request_headers();
    const std::string_view incoming = headers != nullptr ? headers->get(config_.header) : "";
    if (config_.trust_incoming && is_sane_request_id(incoming)) {
      id_ = ctx.keep(incoming);
    } else {
      const UuidText id = new_request_id(ctx.clock());
      id_ = ctx.keep({id.data(), id.size()});
    }
    ctx.slots().emplace(filter::kRequestId, id_);
    if (headers != nullptr) {
      headers->set(config_.header, id_);
    }
    return filter::FilterStatus::kContinue;
  }

  filter::FilterStatus on_response_headers(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.response_headers();
    if (headers != nullptr && !id_.empty()) {
      headers->set(config_.header, id_);  // ours, whatever the upstream answered with
    }
    return filter::FilterStatus::kContinue;
  }

 private:
  const RequestIdConfig& config_;
  std::string_view id_;  // in the exchange's arena
};

}  // namespace

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) {
    return false;
  }
  for (const char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return false;
    }
  }
  return true;
}

filter::ArenaPtr<filter::Filter> RequestIdFactory::create(filter::Arena& arena) const {
  return arena.make<RequestIdFilter>(config_);
}

}  // namespace nexus::filters

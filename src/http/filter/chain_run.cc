#include "http/filter/chain_run.h"

#include <utility>

namespace nexus::filter {
namespace {

class RealClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::now();
  }
  [[nodiscard]] std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace

const Clock& real_clock() {
  static const RealClock kClock;
  return kClock;
}

namespace slots_internal {
size_t next_slot_index() {
  static std::atomic<size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace slots_internal

LocalReply LocalReply::from_error(const Error& error) {
  return {.status = error.http_status(), .body = error_json(error), .error = error};
}

std::shared_ptr<Resumer> Context::pause() {
  paused_by_handle_ = true;
  return pause_support_ != nullptr ? pause_support_->make_resumer() : nullptr;
}

ChainRun::~ChainRun() {
  if (started_) {
    complete({});
  }
}

void ChainRun::start(const Chain& chain, const RequestInfo& request, PauseSupport* pause,
                     uint64_t buffer_limit, FilterMetrics* metrics) {
  if (started_) {
    complete({});
  }
  started_ = true;
  buffer_limit_ = buffer_limit;
  hooks_ = 0;
  entries_.reserve(chain.size());
  for (const auto& factory : chain) {
    entries_.push_back({.filter = factory->create(arena_), .hooks = factory->hooks()});
    hooks_ |= entries_.back().hooks;
  }
  reached_ = entries_.size();
  context_.request_ = {.method = arena_.keep(request.method),
                       .target = arena_.keep(request.target),
                       .host = arena_.keep(request.host),
                       .peer_ip = arena_.keep(request.peer_ip),
                       .route = arena_.keep(request.route),
                       .client_tls = request.client_tls};
  context_.pause_support_ = pause;
  context_.metrics_ = metrics;
}

Verdict ChainRun::request_headers(std::vector<http1::Header>& fields) {
  context_.request_headers_.emplace(fields, arena_);
  stage_ = Stage::kRequestHeaders;
  cursor_ = 0;
  return iterate_head();
}

Verdict ChainRun::upstream_request(std::vector<http1::Header>& fields) {
  context_.request_headers_.emplace(fields, arena_);
  stage_ = Stage::kUpstreamRequest;
  cursor_ = 0;
  return iterate_head();
}

// The request headers are only lent for the hook (they die with the client's buffer).
Verdict ChainRun::iterate_head() {
  const Verdict verdict = iterate();
  if (verdict != Verdict::kPause) {
    context_.request_headers_.reset();
  }
  return verdict;
}

Verdict ChainRun::request_body(std::string& body, bool end) {
  stage_ = Stage::kRequestBody;
  cursor_ = 0;
  body_ = &body;
  body_end_ = end;
  return iterate();
}

Verdict ChainRun::response_headers(int status, std::vector<http1::Header>& fields, bool local) {
  context_.request_headers_.reset();
  context_.response_headers_.emplace(fields, arena_);
  context_.response_status_ = status;
  context_.local_response_ = local;
  // After a filter replaced the response in this hook, its reply goes on from the next filter.
  if (stage_ != Stage::kResponseHeaders) {
    cursor_ = reached_;
  }
  stage_ = Stage::kResponseHeaders;
  return iterate();
}

Verdict ChainRun::response_body(std::string& body, bool end) {
  context_.response_headers_.reset();
  stage_ = Stage::kResponseBody;
  cursor_ = reached_;
  body_ = &body;
  body_end_ = end;
  return iterate();
}

bool ChainRun::wants_response_body() const { return wants_body(kResponseBodyHook); }
bool ChainRun::wants_request_body() const { return wants_body(kRequestBodyHook); }

bool ChainRun::wants_body(Hook hook) const {
  for (size_t i = 0; i < reached_; ++i) {
    const Entry& entry = entries_[i];
    const bool skipped =
        hook == kRequestBodyHook ? entry.skip_request_body : entry.skip_response_body;
    if ((entry.hooks & hook) != 0 && !skipped) {
      return true;
    }
  }
  return false;
}

Verdict ChainRun::resume() {
  context_.pause_delay_.reset();
  context_.paused_by_handle_ = false;
  if (context_.reply_.has_value()) {
    return Verdict::kReply;  // the filter replied and paused: the reply goes out now
  }
  return stage_ == Stage::kRequestHeaders || stage_ == Stage::kUpstreamRequest ? iterate_head()
                                                                               : iterate();
}

LocalReply ChainRun::take_reply() {
  LocalReply reply = std::move(context_.reply_).value_or(LocalReply{});
  context_.reply_.reset();
  return reply;
}

void ChainRun::complete(const Completion& completion) {
  if (!started_) {
    return;
  }
  started_ = false;  // first: a filter's on_complete must not complete the run again
  for (Entry& entry : entries_) {
    if ((entry.hooks & kCompleteHook) != 0) {
      entry.filter->on_complete(context_, completion);
    }
  }
  entries_.clear();  // the filters, the slots' values, then the memory they were in
  context_.reset();
  arena_.clear();
  hooks_ = 0;
  stage_ = Stage::kNone;
  body_ = nullptr;
}

FilterStatus ChainRun::invoke(Entry& entry) {
  Filter& filter = *entry.filter;
  switch (stage_) {
    case Stage::kRequestHeaders:
      return filter.on_request_headers(context_);
    case Stage::kUpstreamRequest:
      return filter.on_upstream_request(context_);
    case Stage::kRequestBody:
      return filter.on_request_body(context_, *body_, body_end_);
    case Stage::kResponseHeaders:
      return filter.on_response_headers(context_);
    case Stage::kResponseBody:
      return filter.on_response_body(context_, *body_, body_end_);
    case Stage::kNone:
      break;
  }
  return FilterStatus::kContinue;
}

Verdict ChainRun::iterate() {
  static constexpr Hook kHookOf[] = {kCompleteHook,    kRequestHeadersHook,  kUpstreamRequestHook,
                                     kRequestBodyHook, kResponseHeadersHook, kResponseBodyHook};
  const Hook hook = kHookOf[static_cast<size_t>(stage_)];
  const bool reverse = stage_ == Stage::kResponseHeaders || stage_ == Stage::kResponseBody;
  const bool body = stage_ == Stage::kRequestBody || stage_ == Stage::kResponseBody;
  for (;;) {
    size_t index = 0;
    if (reverse) {
      if (cursor_ == 0) {
        return Verdict::kContinue;
      }
      index = --cursor_;
    } else {
      if (cursor_ >= reached_) {
        return Verdict::kContinue;
      }
      index = cursor_++;
    }
    Entry& entry = entries_[index];
    if ((entry.hooks & hook) == 0 || (stage_ == Stage::kResponseBody && entry.skip_response_body) ||
        (stage_ == Stage::kRequestBody && entry.skip_request_body)) {
      continue;
    }
    if (body && !entry.held.empty()) {  // what it held back comes first
      entry.held.append(*body_);
      body_->swap(entry.held);
      entry.held.clear();
    }
    context_.pause_delay_.reset();
    context_.paused_by_handle_ = false;
    const FilterStatus status = invoke(entry);
    if (context_.skip_response_body_) {
      entry.skip_response_body = stage_ == Stage::kResponseHeaders;
      context_.skip_response_body_ = false;
    }
    if (context_.skip_request_body_) {
      entry.skip_request_body = stage_ == Stage::kRequestHeaders;
      context_.skip_request_body_ = false;
    }
    const bool pausing = status != FilterStatus::kContinue &&
                         (context_.pause_delay_.has_value() || context_.paused_by_handle_);
    if (context_.reply_.has_value() && stage_ != Stage::kResponseBody) {
      if (!reverse) {
        reached_ = index;  // the reply is filtered by the filters before this one
      }
      return pausing ? Verdict::kPause : Verdict::kReply;  // a reply may come after a pause
    }
    context_.reply_.reset();  // response body hooks cannot reply: the head is gone already
    if (status == FilterStatus::kStopAndBuffer && body && !body_end_) {
      entry.held.swap(*body_);
      body_->clear();
      return entry.held.size() > buffer_limit_ ? Verdict::kTooLarge : Verdict::kContinue;
    }
    if (pausing) {
      return Verdict::kPause;
    }
    // A stop with no way to be resumed would hang the exchange: it counts as continue.
    if (body && body_->empty() && !body_end_) {
      return Verdict::kContinue;  // nothing left to pass on
    }
  }
}

}  // namespace nexus::filter

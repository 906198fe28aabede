// The filter contract: what a filter is, when each hook runs, and what it may do there.
// docs/filters.md explains it with examples; chain_run.h runs a chain for one exchange.
//
// A FilterFactory is built once from the config (at load time, so a bad config is a config
// error) and is immutable afterwards: the same factory serves every worker thread at once. For
// every exchange that goes through its chain the factory creates one Filter, which may keep
// per-request state in members and is used by one thread only.
//
// Hooks run in this order; each one defaults to "continue":
//   on_request_headers   the request head arrived and a route matched; request headers mutable
//   on_upstream_request  an endpoint was chosen and the head is about to be serialised for it;
//                        the last moment request headers can be read or changed
//   on_request_body      each piece of the request body as it streams upstream (in order)
//   on_response_headers  the upstream's response head (or a local reply) before it is sent;
//                        response headers and framing mutable
//   on_response_body     each piece of the response body before it is sent (in order)
//   on_llm_event         each decoded LLM stream event (LLM routes, once they exist)
//   on_complete          exactly once, however the exchange ended
// Request hooks run in chain order, response hooks in reverse order (the first filter sees the
// request first and the response last), like an onion.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/filter/context.h"
#include "nexus/core/result.h"

namespace nexus::llm {
struct StreamEvent;  // issue 5: the IR's stream event
}

namespace nexus::filter {

enum class FilterStatus {
  kContinue,  // go on with the next filter
  // Pause the exchange: the filter called ctx.pause_for() or kept the handle of ctx.pause() and
  // resumes it later; iteration goes on with the next filter then. Also returned after
  // ctx.reply() (a local reply ends iteration whatever the status).
  kStop,
  // Body hooks only: hold this piece back and call the hook again with everything held so far
  // plus the next piece, until `end`. Bounded by the route's buffer_limit (413 for requests,
  // the response is cut short for responses). In header hooks it means kStop.
  kStopAndBuffer,
};

// Bits of the hooks a filter implements, so that the chain skips work nobody needs (bodies are
// only copied through the chain when some filter has a body hook).
enum Hook : uint32_t {
  kRequestHeadersHook = 1U << 0,
  kUpstreamRequestHook = 1U << 1,
  kRequestBodyHook = 1U << 2,
  kResponseHeadersHook = 1U << 3,
  kResponseBodyHook = 1U << 4,
  kLlmEventHook = 1U << 5,
  kCompleteHook = 1U << 6,
};

class Filter {
 public:
  virtual ~Filter() = default;

  virtual FilterStatus on_request_headers(Context& ctx) { return FilterStatus::kContinue; }
  virtual FilterStatus on_upstream_request(Context& ctx) { return FilterStatus::kContinue; }
  // `body` holds the piece (the filter may change or empty it); `end` is the last call.
  virtual FilterStatus on_request_body(Context& ctx, std::string& body, bool end) {
    return FilterStatus::kContinue;
  }
  virtual FilterStatus on_response_headers(Context& ctx) { return FilterStatus::kContinue; }
  virtual FilterStatus on_response_body(Context& ctx, std::string& body, bool end) {
    return FilterStatus::kContinue;
  }
  virtual FilterStatus on_llm_event(Context& ctx, llm::StreamEvent& event) {
    return FilterStatus::kContinue;
  }
  // Exactly once per created filter, after the last byte was sent or the exchange failed. The
  // request headers are gone by then; copy what you need in an earlier hook.
  virtual void on_complete(Context& ctx, const Completion& completion) {}
};

class FilterFactory {
 public:
  virtual ~FilterFactory() = default;

  // The filter's type name in the config ("cors").
  [[nodiscard]] virtual std::string_view type() const = 0;
  // Bitwise or of the Hook values its filters implement.
  [[nodiscard]] virtual uint32_t hooks() const = 0;
  // One filter for one exchange, made in the exchange's arena (`return arena.make<MyFilter>(...)`);
  // called on a worker thread, concurrently with other workers.
  [[nodiscard]] virtual ArenaPtr<Filter> create(Arena& arena) const = 0;
  // Called once before the config serves traffic (open files, start background refreshes), not
  // by `nexus validate`. A failure stops the start (or the reload) with its message.
  virtual Result<void> start() { return {}; }
};

}  // namespace nexus::filter

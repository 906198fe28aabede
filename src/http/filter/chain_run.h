// Runs one chain of filters over one exchange. The server drives it: it calls one method per
// hook as the exchange goes, and acts on the verdict. Everything here is synchronous; a paused
// hook (kPause) is resumed by the server with resume() once the filter's resumer fired or its
// delay passed, which keeps asio out of the filters and makes the chain unit-testable.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "http/filter/context.h"
#include "http/filter/filter.h"
#include "nexus/config/config.h"

namespace nexus::filter {

using Chain = config::FilterChain;

enum class Verdict {
  kContinue,  // every filter continued: go on
  kPause,     // a filter paused: wait (pause_delay() or the resumer), then call resume()
  kReply,     // a filter replied: send take_reply() (after response_headers() on it)
  kTooLarge,  // a body filter buffered more than the buffer limit
};

class ChainRun {
 public:
  explicit ChainRun(const Clock& clock = real_clock()) : context_(clock, arena_) {}
  ChainRun(const ChainRun&) = delete;
  ChainRun& operator=(const ChainRun&) = delete;
  ~ChainRun();  // completes a started run that was not completed (with status 0)

  // Creates the chain's filters for a new exchange (completing any earlier one first). `request`
  // is copied.
  // `metrics`: where filters count their decisions (null: metrics are off).
  void start(const Chain& chain, const RequestInfo& request, PauseSupport* pause,
             uint64_t buffer_limit, FilterMetrics* metrics = nullptr);
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] Context& context() { return context_; }

  // Union of the hooks of the chain's filters.
  [[nodiscard]] bool has_hook(Hook hook) const { return (hooks_ & hook) != 0; }

  // Request hooks, in chain order. `fields` must stay valid until the hook returns kContinue or
  // kReply (after kPause: until resume() says so).
  Verdict request_headers(std::vector<http1::Header>& fields);
  Verdict upstream_request(std::vector<http1::Header>& fields);
  Verdict request_body(std::string& body, bool end);
  // After request_headers(): whether a filter still wants the request body (one has the hook and
  // did not call ctx.skip_request_body()).
  [[nodiscard]] bool wants_request_body() const;

  // Response hooks, in reverse order, over the filters that saw the request (those before a
  // filter that replied). `local`: the response is a local reply.
  Verdict response_headers(int status, std::vector<http1::Header>& fields, bool local);
  Verdict response_body(std::string& body, bool end);
  // After response_headers(): whether a filter still wants the response body (one has the hook
  // and did not call ctx.skip_response_body()).
  [[nodiscard]] bool wants_response_body() const;

  // Continues the hook that returned kPause.
  Verdict resume();
  [[nodiscard]] std::optional<std::chrono::milliseconds> pause_delay() const {
    return context_.pause_delay_;
  }

  // The reply after kReply.
  [[nodiscard]] LocalReply take_reply();
  [[nodiscard]] bool request_body_resized() const { return context_.request_body_resized_; }
  [[nodiscard]] bool response_body_resized() const { return context_.response_body_resized_; }

  // Calls on_complete of every filter, once; then the run is over (started() is false).
  void complete(const Completion& completion);

 private:
  struct Entry {
    ArenaPtr<Filter> filter;
    uint32_t hooks = 0;
    std::string held;  // body held back by kStopAndBuffer
    bool skip_response_body = false;
    bool skip_request_body = false;
  };
  enum class Stage {
    kNone,
    kRequestHeaders,
    kUpstreamRequest,
    kRequestBody,
    kResponseHeaders,
    kResponseBody
  };

  Verdict iterate();
  Verdict iterate_head();
  [[nodiscard]] bool wants_body(Hook hook) const;
  FilterStatus invoke(Entry& entry);
  Verdict body_step(Entry& entry, FilterStatus status);

  Arena arena_;  // first: outlives the filters and the context that use it
  Context context_;
  std::vector<Entry> entries_;
  uint32_t hooks_ = 0;
  bool started_ = false;
  uint64_t buffer_limit_ = 0;
  size_t reached_ = 0;  // filters whose request hooks ran (response hooks run over these)

  Stage stage_ = Stage::kNone;
  size_t cursor_ = 0;  // next entry of the current hook (request order) or one past it (reverse)
  std::string* body_ = nullptr;
  bool body_end_ = false;
};

}  // namespace nexus::filter

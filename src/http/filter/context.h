// What a filter sees of its exchange and what it may do to it (see filter.h for when).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/filter/clock.h"
#include "http/filter/header_map.h"
#include "http/filter/slots.h"
#include "llm/ir/usage.h"
#include "nexus/core/result.h"

namespace nexus::filter {

// A response made by a filter (401, 429, a CORS preflight's 204, an injected fault). It still
// goes through the response-headers hooks of the filters before the one that made it.
struct LocalReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<Error> error;  // what the reply answers, when it is an error (for the logs)

  // The OpenAI-shaped JSON error body for `error`, with its status.
  static LocalReply from_error(const Error& error);
};

// What an exchange on an LLM route used: the model the client named (one the config knows), its
// provider, and the tokens the provider reported. The views point into the config snapshot.
struct LlmUse {
  std::string_view model;
  std::string_view provider;
  std::string_view variant;         // the A/B split's variant the request went to, if any
  uint32_t attempts = 0;            // deployments tried: 1 + failovers
  std::optional<llm::Usage> usage;  // absent: the provider reported none (an error, an endpoint
                                    // without usage, a stream cut before its usage)
};

// How the exchange ended, for on_complete.
struct Completion {
  int status = 0;                // what the client got (499: it left first); 0: nothing
  const Error* error = nullptr;  // why it failed, if it did
  uint64_t request_body_bytes = 0;
  uint64_t response_bytes = 0;  // head included
  double duration_ms = 0;       // first request byte to the end
  double upstream_ms = 0;       // request sent to response head received; 0 without upstream
  std::string_view upstream;    // the endpoint's "host:port", or empty
  const LlmUse* llm = nullptr;  // an exchange that reached a configured model
};

// Resumes an exchange a filter paused with ctx.pause(). Callable from any thread, any number of
// times; after the exchange is gone (client left, timeout) it does nothing.
class Resumer {
 public:
  virtual ~Resumer() = default;
  virtual void resume() = 0;
};

// Provided by the server: how a paused exchange is woken.
class PauseSupport {
 public:
  virtual ~PauseSupport() = default;
  [[nodiscard]] virtual std::shared_ptr<Resumer> make_resumer() = 0;
};

// Decisions filters report for the server's metrics (docs/observability.md). Provided by the
// server, one per worker (it records into the worker's own metrics shard: no lock); absent when
// metrics are off. Values are fixed enums, so the series stay bounded.
class FilterMetrics {
 public:
  virtual ~FilterMetrics() = default;
  // rate_limit: a request was checked against its route's limits and let through, or refused.
  virtual void rate_limit_decision(bool limited) = 0;
};

// The request as received. ChainRun::start copies it into the exchange's arena, so that it stays
// readable in every hook, including on_complete.
struct RequestInfo {
  std::string_view method;
  std::string_view target;   // path and query as received
  std::string_view host;     // without port handling: as received
  std::string_view peer_ip;  // the socket's peer address
  std::string_view route;    // the matched route's name ("" when none matched)
  bool client_tls = false;
  [[nodiscard]] std::string_view path() const { return target.substr(0, target.find('?')); }
};

class Context {
 public:
  Context(const Clock& clock, Arena& arena) : clock_(&clock), arena_(&arena), slots_(arena) {}

  [[nodiscard]] const RequestInfo& request() const { return request_; }
  // The client's address: the peer's, unless a filter (ip_filter with trusted proxies) found
  // the original client in X-Forwarded-For.
  [[nodiscard]] std::string_view client_ip() const {
    return client_ip_.empty() ? request_.peer_ip : client_ip_;
  }
  void set_client_ip(std::string_view ip) { client_ip_ = arena_->keep(ip); }

  // Request header fields: in on_request_headers and on_upstream_request only (null elsewhere).
  [[nodiscard]] HeaderMap* request_headers() {
    return request_headers_ ? &*request_headers_ : nullptr;
  }
  // The request body will not keep its length (a filter rewrites it): it is sent upstream
  // without Content-Length (chunked to HTTP/1.1 upstreams). In request hooks before the body.
  void request_body_length_changes() { request_body_resized_ = true; }

  // Response status and header fields: in on_response_headers only.
  [[nodiscard]] int response_status() const { return response_status_; }
  [[nodiscard]] HeaderMap* response_headers() {
    return response_headers_ ? &*response_headers_ : nullptr;
  }
  // As request_body_length_changes(), for the response (in on_response_headers).
  void response_body_length_changes() { response_body_resized_ = true; }
  // In on_request_headers: this filter has nothing to do with this request's body (compression
  // when the body is not encoded). When no filter wants it, the body streams upstream as it is,
  // without a copy, and stays replayable for a retry.
  void skip_request_body() { skip_request_body_ = true; }
  // In on_response_headers: this filter has nothing to do with this response's body (compression
  // that decided not to compress). When no filter wants it, the body is relayed without a copy.
  void skip_response_body() { skip_response_body_ = true; }
  // Whether the response being filtered is a local reply (no upstream body follows).
  [[nodiscard]] bool local_response() const { return local_response_; }

  // Ends iteration with a response of the filter's own; the hook then returns kStop. In request
  // hooks, and in on_response_headers to replace the upstream's response before it is sent.
  // Together with a pause, the reply is sent when the pause ends (an injected delay + abort).
  void reply(LocalReply reply) { reply_ = std::move(reply); }
  void reply_error(const Error& error) { reply_ = LocalReply::from_error(error); }

  // Pausing, for a hook that then returns kStop: for a fixed time, or until the returned
  // handle's resume() is called (bounded by the route's timeouts).
  void pause_for(std::chrono::milliseconds delay) { pause_delay_ = delay; }
  [[nodiscard]] std::shared_ptr<Resumer> pause();

  [[nodiscard]] Slots& slots() { return slots_; }
  [[nodiscard]] const Clock& clock() const { return *clock_; }
  // Where to count decisions for the metrics; null when metrics are off.
  [[nodiscard]] FilterMetrics* metrics() const { return metrics_; }
  // Keeps a copy of `text` until the exchange ends (for header values built by a filter).
  std::string_view keep(std::string_view text) { return arena_->keep(text); }

 private:
  friend class ChainRun;

  // Back to a new exchange's state (the slots' values are destroyed, their room is kept).
  void reset() {
    pause_support_ = nullptr;
    metrics_ = nullptr;
    request_ = {};
    client_ip_ = {};
    request_headers_.reset();
    response_headers_.reset();
    response_status_ = 0;
    request_body_resized_ = false;
    response_body_resized_ = false;
    skip_response_body_ = false;
    skip_request_body_ = false;
    local_response_ = false;
    reply_.reset();
    pause_delay_.reset();
    paused_by_handle_ = false;
    slots_.clear();
  }

  const Clock* clock_;
  Arena* arena_;
  PauseSupport* pause_support_ = nullptr;
  FilterMetrics* metrics_ = nullptr;
  RequestInfo request_;
  std::string_view client_ip_;
  std::optional<HeaderMap> request_headers_;
  std::optional<HeaderMap> response_headers_;
  int response_status_ = 0;
  bool request_body_resized_ = false;
  bool response_body_resized_ = false;
  bool skip_response_body_ = false;
  bool skip_request_body_ = false;
  bool local_response_ = false;
  std::optional<LocalReply> reply_;
  std::optional<std::chrono::milliseconds> pause_delay_;
  bool paused_by_handle_ = false;
  Slots slots_;
};

}  // namespace nexus::filter

// One exchange's trace: its W3C context (from the client's traceparent, or a new trace), the
// sampling decision, and, when sampled, its spans until the exchange completes: the server span
// (index 0), an LLM request's routing span, one client span per upstream attempt and an LLM
// stream's span. The server's hooks call it; it holds the logic.
//
// Cost: with tracing off (no tracer) every call returns at once. An unsampled request draws
// three random numbers and formats a 55-character traceparent into a member array (propagated
// upstream with the sampled flag clear, so the services behind agree): no allocation, except a
// copy of a tracestate the client sent, and no clock read: the hooks take no time, the trace reads
// the clock itself, only for the spans of a sampled request. Spans (strings, vectors) exist only
// when sampled.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obs/tracing/span.h"
#include "obs/tracing/trace_context.h"

namespace nexus::obs::tracing {

class Tracer;

// What an LLM attempt's client span says (GenAI semantic conventions).
struct GenAiCall {
  std::string_view operation;      // gen_ai.operation.name: chat, embeddings, text_completion
  std::string_view provider;       // gen_ai.provider.name
  std::string_view request_model;  // the model asked of the provider
  std::string_view server_address;
  std::optional<uint64_t> max_tokens;
};

class RequestTrace {
 public:
  using Time = std::chrono::system_clock::time_point;
  using ClockFn = Time (*)();
  static constexpr size_t kNoSpan = static_cast<size_t>(-1);

  // Tests: the clock spans are timed with (default: the system clock). Kept across begin().
  void use_clock(ClockFn clock) { clock_ = clock; }

  // The exchange reached routing: starts its server span (`tracer` null: tracing is off and
  // nothing happens). `traceparent`/`tracestate`: the client's header values (empty: none).
  void begin(Tracer* tracer, std::string_view traceparent, std::string_view tracestate,
             std::string_view method, std::string_view path, std::string_view host);
  [[nodiscard]] bool active() const { return tracer_ != nullptr; }
  [[nodiscard]] bool sampled() const { return !spans_.empty(); }
  [[nodiscard]] const TraceId& trace_id() const { return trace_id_; }
  // The route that matched (http.route; the span's name becomes "METHOD route").
  void set_route(std::string_view route);

  // Propagation: the traceparent (with the id of the attempt about to start, see begin_attempt)
  // and tracestate to send upstream; empty when not active.
  [[nodiscard]] std::string_view traceparent() const;
  [[nodiscard]] std::string_view tracestate() const { return tracestate_; }

  // An upstream attempt starts: a client span, child of the routing span when one is open, else
  // of the server span. Its id goes into traceparent(); when a previous attempt already sent
  // it, the old value in `wire` (a request head serialised once for every attempt) is
  // overwritten in place with the new one.
  void begin_attempt(std::string_view name, std::string_view server_address,
                     std::string* wire = nullptr);
  void begin_llm_attempt(const GenAiCall& call);
  void attempt_status(int status);
  void attempt_failed(std::string_view error_type, std::string_view message);
  // GenAI results on the current attempt's span.
  void attempt_usage(std::string_view response_model, std::optional<uint64_t> input_tokens,
                     std::optional<uint64_t> output_tokens);
  void end_attempt();

  // Adds "traceparent: ..." (and tracestate) to an HTTP/1.1 request head that ends in an empty
  // line (an LLM provider's request, built per attempt).
  void inject(std::string& head) const;

  // LLM routing: from the model name to the deployment that answered (or none).
  void begin_routing(std::string_view model);
  void end_routing();
  // An LLM stream's relay, with its first token as an event.
  void begin_stream();
  void first_token();
  void end_stream();

  // The exchange completed with `status` (0: nothing was answered): ends every open span and
  // hands them to the exporter. Later calls do nothing.
  void finish(int status, std::string_view error_type, std::string_view error_message);

 private:
  size_t open_span(std::string name, SpanKind kind, size_t parent, SpanId id, Time now);
  void close_span(size_t& index, Time now);
  void end_attempt_at(Time now);
  static Time system_now() { return std::chrono::system_clock::now(); }
  Span* span(size_t index) { return index < spans_.size() ? &spans_[index] : nullptr; }
  // A fresh id for the next attempt, written into traceparent_.
  void next_propagated_id();

  Tracer* tracer_ = nullptr;
  ClockFn clock_ = &system_now;  // read only for sampled requests' spans
  TraceId trace_id_;
  uint8_t flags_ = 0;
  SpanId server_span_id_ = 0;
  SpanId propagated_id_ = 0;  // the span id in traceparent_
  bool propagated_used_ = false;
  std::array<char, kTraceparentSize> traceparent_{};
  std::string tracestate_;   // the client's (validated), passed on
  std::vector<Span> spans_;  // sampled only; [0] is the server span
  size_t routing_ = kNoSpan;
  size_t attempt_ = kNoSpan;
  size_t stream_ = kNoSpan;
};

}  // namespace nexus::obs::tracing

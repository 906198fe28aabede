#include "obs/tracing/request_trace.h"

#include "obs/tracing/ids.h"
#include "obs/tracing/tracer.h"

namespace nexus::obs::tracing {
namespace {

int64_t unix_nanos(RequestTrace::Time time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

void RequestTrace::begin(Tracer* tracer, std::string_view traceparent, std::string_view tracestate,
                         std::string_view method, std::string_view path, std::string_view host) {
  if (tracer == nullptr) {
    return;
  }
  tracer_ = tracer;
  const std::optional<TraceParent> parent = parse_traceparent(traceparent);
  trace_id_ = parent ? parent->trace_id : new_trace_id();
  const bool sampled = tracer->sampler().sample(parent, trace_id_);
  flags_ = sampled ? kSampledFlag : 0;
  if (parent) {  // an invalid traceparent makes the tracestate meaningless (spec §3.3.1.1)
    if (const auto state = parse_tracestate(tracestate)) {
      tracestate_.assign(*state);
    }
  }
  server_span_id_ = new_span_id();
  next_propagated_id();
  if (!sampled) {
    return;
  }
  spans_.reserve(4);
  const size_t server =
      open_span(std::string(method), SpanKind::kServer, kNoSpan, server_span_id_, clock_());
  Span& span = spans_[server];
  span.parent_span_id = parent ? parent->parent_id : 0;
  span.set("http.request.method", method);
  span.set("url.path", path);
  if (!host.empty()) {
    span.set("server.address", host);
  }
}

void RequestTrace::set_route(std::string_view route) {
  if (Span* server = span(0)) {
    server->set("http.route", route);
    server->name += ' ';
    server->name += route;
  }
}

std::string_view RequestTrace::traceparent() const {
  return active() ? std::string_view(traceparent_.data(), traceparent_.size()) : std::string_view{};
}

void RequestTrace::next_propagated_id() {
  propagated_id_ = new_span_id();
  propagated_used_ = false;
  format_traceparent(trace_id_, propagated_id_, flags_, traceparent_);
}

size_t RequestTrace::open_span(std::string name, SpanKind kind, size_t parent, SpanId id,
                               Time now) {
  Span span{.trace_id = trace_id_,
            .span_id = id,
            .parent_span_id = parent < spans_.size() ? spans_[parent].span_id : 0,
            .flags = flags_,
            .trace_state = tracestate_,
            .name = std::move(name),
            .kind = kind,
            .start_unix_nano = unix_nanos(now)};
  spans_.push_back(std::move(span));
  return spans_.size() - 1;
}

void RequestTrace::close_span(size_t& index, Time now) {
  if (Span* open = span(index); open != nullptr && open->end_unix_nano == 0) {
    open->end_unix_nano = unix_nanos(now);
  }
  index = kNoSpan;
}

void RequestTrace::begin_attempt(std::string_view name, std::string_view server_address,
                                 std::string* wire) {
  if (!active()) {
    return;
  }
  if (propagated_used_) {
    const std::string old(traceparent_.data(), traceparent_.size());
    next_propagated_id();
    if (wire != nullptr) {
      if (const size_t at = wire->find(old); at != std::string::npos) {
        wire->replace(at, old.size(), traceparent_.data(), traceparent_.size());
      }
    }
  }
  propagated_used_ = true;
  if (!sampled()) {
    return;
  }
  const Time now = clock_();
  close_span(attempt_, now);  // one attempt at a time
  attempt_ = open_span(std::string(name), SpanKind::kClient, routing_ != kNoSpan ? routing_ : 0,
                       propagated_id_, now);
  if (!server_address.empty()) {
    spans_[attempt_].set("server.address", server_address);
  }
}

void RequestTrace::begin_llm_attempt(const GenAiCall& call) {
  std::string name;
  if (sampled()) {
    name.append(call.operation);
    name += ' ';
    name.append(call.request_model);
  }
  begin_attempt(name, call.server_address);
  if (Span* attempt = span(attempt_)) {
    attempt->set("gen_ai.operation.name", call.operation);
    attempt->set("gen_ai.provider.name", call.provider);
    attempt->set("gen_ai.request.model", call.request_model);
    if (call.max_tokens) {
      attempt->set("gen_ai.request.max_tokens", static_cast<int64_t>(*call.max_tokens));
    }
  }
}

void RequestTrace::attempt_status(int status) {
  if (Span* attempt = span(attempt_)) {
    attempt->set("http.response.status_code", static_cast<int64_t>(status));
    if (status >= 400) {  // a client span's 4xx is an error too (semantic conventions)
      attempt->set("error.type", std::to_string(status));
      attempt->status = StatusCode::kError;
    }
  }
}

void RequestTrace::attempt_failed(std::string_view error_type, std::string_view message) {
  if (Span* attempt = span(attempt_)) {
    attempt->set("error.type", error_type);
    attempt->fail(message);
  }
}

void RequestTrace::attempt_usage(std::string_view response_model,
                                 std::optional<uint64_t> input_tokens,
                                 std::optional<uint64_t> output_tokens) {
  if (Span* attempt = span(attempt_)) {
    if (!response_model.empty()) {
      attempt->set("gen_ai.response.model", response_model);
    }
    if (input_tokens) {
      attempt->set("gen_ai.usage.input_tokens", static_cast<int64_t>(*input_tokens));
    }
    if (output_tokens) {
      attempt->set("gen_ai.usage.output_tokens", static_cast<int64_t>(*output_tokens));
    }
  }
}

void RequestTrace::end_attempt() {
  if (sampled()) {
    end_attempt_at(clock_());
  }
}

void RequestTrace::end_attempt_at(Time now) {
  close_span(stream_, now);
  close_span(attempt_, now);
}

void RequestTrace::inject(std::string& head) const {
  if (!active() || head.size() < 4 || !head.ends_with("\r\n\r\n")) {
    return;
  }
  std::string fields = "traceparent: ";
  fields.append(traceparent_.data(), traceparent_.size());
  fields += "\r\n";
  if (!tracestate_.empty()) {
    fields += "tracestate: ";
    fields += tracestate_;
    fields += "\r\n";
  }
  head.insert(head.size() - 2, fields);
}

void RequestTrace::begin_routing(std::string_view model) {
  if (!sampled()) {
    return;
  }
  std::string name = "route ";
  name.append(model);
  routing_ = open_span(std::move(name), SpanKind::kInternal, 0, new_span_id(), clock_());
  spans_[routing_].set("gen_ai.request.model", model);
}

void RequestTrace::end_routing() {
  if (!sampled()) {
    return;
  }
  const Time now = clock_();
  end_attempt_at(now);
  close_span(routing_, now);
}

void RequestTrace::begin_stream() {
  if (!sampled() || attempt_ == kNoSpan) {
    return;
  }
  stream_ = open_span("stream", SpanKind::kInternal, attempt_, new_span_id(), clock_());
}

void RequestTrace::first_token() {
  Span* stream = span(stream_);
  if (stream == nullptr || !stream->events.empty()) {
    return;
  }
  const Time now = clock_();
  // Time to first token, from the request's start (gen_ai.server.time_to_first_token).
  const double seconds = static_cast<double>(unix_nanos(now) - spans_[0].start_unix_nano) / 1e9;
  stream->events.push_back({.name = "gen_ai.first_token",
                            .time_unix_nano = unix_nanos(now),
                            .attributes = {{"gen_ai.server.time_to_first_token", seconds}}});
}

void RequestTrace::end_stream() {
  if (span(stream_) != nullptr) {
    close_span(stream_, clock_());
  }
}

void RequestTrace::finish(int status, std::string_view error_type, std::string_view error_message) {
  if (!active()) {
    return;
  }
  if (Span* server = span(0)) {
    if (status > 0) {
      server->set("http.response.status_code", static_cast<int64_t>(status));
    }
    // A server span is an error only for 5xx (4xx are the client's; semantic conventions).
    if (status >= 500 || status == 0) {
      server->set("error.type", error_type.empty() ? std::string_view("_OTHER") : error_type);
      server->fail(error_message);
    }
    const Time now = clock_();
    for (Span& open : spans_) {
      if (open.end_unix_nano == 0) {
        open.end_unix_nano = unix_nanos(now);
      }
    }
    tracer_->submit(spans_);
  }
  tracer_ = nullptr;
  routing_ = attempt_ = stream_ = kNoSpan;
}

}  // namespace nexus::obs::tracing

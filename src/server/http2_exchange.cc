#include "server/http2_exchange.h"

#include "http/http2/fields.h"
#include "obs/log_format.h"
#include "server/http2_connection.h"
#include "server/io_constants.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

Http2Exchange::Http2Exchange(Http2Connection& connection,
                             std::shared_ptr<http2::ServerStream> stream)
    : connection_(connection),
      stream_(std::move(stream)),
      event_(connection.worker().io()),
      deadline_(connection.worker().io()),
      active_(connection.worker().metrics(), StreamKind::kHttp2) {
  record.reset(Clock::now());
  record.protocol = ClientProtocol::kHttp2;
}

Http2Exchange::~Http2Exchange() = default;

std::string_view Http2Exchange::client_ip() const { return connection_.client_ip(); }

bool Http2Exchange::client_tls() const { return connection_.tls(); }

asio::awaitable<void> Http2Exchange::run() {
  Worker& worker = connection_.worker();
  state_ = worker.take_exchange_state();
  state_->request = stream_->head;  // views into the stream, which this exchange keeps alive
  // `record` was reset when the exchange was made: the client may already have reset the
  // stream (client_gone) before the exchange started.
  record.request_body_done = stream_->request_complete;
  head_request_ = stream_->head.method == "HEAD";
  const std::optional<Error>& refused = stream_->head_error;
  if (record.client_gone) {
    state_->log_method.assign(stream_->head.method);
    obs::assign_redacted_target(state_->log_target, stream_->head.target);
    const Error error(ErrorCode::kBadRequest, "the client reset the stream before it was served");
    complete(499, &error);
  } else if (refused.has_value()) {
    state_->log_method.assign(stream_->head.method);
    obs::assign_redacted_target(state_->log_target, stream_->head.target);
    Error error = refused.value_or(Error(ErrorCode::kBadRequest, ""));
    co_await reply_error(std::move(error));
  } else {
    co_await serve_exchange(worker, *this);
  }
  deadline_.stop();
  state_->request.clear();
  worker.give_back(std::move(state_));
}

void Http2Exchange::on_stream_event() { event_.cancel(); }

void Http2Exchange::on_stream_closed(uint32_t /*error_code*/) {
  if (!stream_->response_done()) {
    abort();  // reset by the client (or by us) before the response was complete
  }
  event_.cancel();
}

void Http2Exchange::abort() {
  record.client_gone = true;
  if (record.upstream != nullptr) {
    record.upstream->abort();
  }
  cancel_pause();  // a filter's pause ends with the stream
  event_.cancel();
}

asio::awaitable<void> Http2Exchange::wait_event() {
  event_.expires_at(Clock::time_point::max());
  co_await event_.async_wait(kAwait);
}

Result<BodyTake> Http2Exchange::take_body(GatherWriter& gather, bool chunked) {
  if (const std::optional<Error>& error = stream_->body_error; error.has_value()) {
    return std::unexpected(error.value_or(Error(ErrorCode::kBadRequest, "")));
  }
  if (record.client_gone) {
    return fail(ErrorCode::kBadRequest, "the client reset the stream");
  }
  const std::string& body = stream_->body;
  gather.add_body(body, chunked);
  record.body_bytes_received += body.size();
  return BodyTake{.used = body.size(), .done = stream_->request_complete};
}

void Http2Exchange::consume_body(size_t used) {
  if (used > 0) {
    connection_.session().consume_body(*stream_, used);
    connection_.wake_writer();  // the WINDOW_UPDATEs
  }
}

asio::awaitable<Result<void>> Http2Exchange::wait_for_body() {
  set_deadline(connection_.worker().snapshot().config.server.timeouts.body, Phase::kBody);
  while (stream_->body.empty() && !stream_->request_complete && !stream_->body_error &&
         !record.client_gone) {
    co_await wait_event();
    if (timed_out(Phase::kBody)) {
      co_return fail(ErrorCode::kRequestTimeout, "the request body was not received in time");
    }
  }
  if (record.client_gone) {
    co_return fail(ErrorCode::kBadRequest, "the client reset the stream mid-body");
  }
  co_return Result<void>{};
}

ResponseStart Http2Exchange::begin_response() {
  const http1::ResponseHead& response = state_->response;
  const bool has_body =
      !head_request_ && response.framing != http1::BodyFraming::kNone &&
      !(response.framing == http1::BodyFraming::kContentLength && response.content_length == 0);
  // As for HTTP/1.1: a length the upstream sent without a body (HEAD, 304) is kept.
  const bool keep_length =
      response.framing == http1::BodyFraming::kContentLength ||
      (response.framing == http1::BodyFraming::kNone && response.status != 204);
  state_->fields_storage.clear();
  state_->fields.clear();
  http2::response_fields(response, keep_length, state_->fields_storage, state_->fields);
  if (auto responded =
          connection_.session().respond(*stream_, response.status, state_->fields, !has_body);
      !responded) {
    // The stream is gone (reset by the client): send_response() sees it and stops.
    record.client_gone = true;
  }
  connection_.wake_writer();
  return {};
}

asio::awaitable<bool> Http2Exchange::send_response(const GatherWriter& gather, bool last,
                                                   std::span<const http1::Header> trailers) {
  http2::ServerSession& session = connection_.session();
  if (stream_->responded() && !stream_->response_done() && !stream_->closed()) {
    for (const auto& buffer : gather.buffers()) {
      session.send_body(*stream_, {static_cast<const char*>(buffer.data()), buffer.size()}, false);
    }
    if (last) {
      state_->fields_storage.clear();
      state_->fields.clear();
      http2::trailer_fields(trailers, state_->fields_storage, state_->fields);
      session.send_body(*stream_, {}, true, state_->fields);
    }
    record.bytes_sent += gather.bytes();
    connection_.wake_writer();
  }
  const size_t limit = connection_.worker().snapshot().http2_limits.response_queue_bytes;
  set_deadline(connection_.worker().snapshot().config.server.timeouts.idle, Phase::kClientWrite);
  while (stream_->queued() >= limit && !record.client_gone) {
    co_await wait_event();
    if (timed_out(Phase::kClientWrite)) {
      session.reset(*stream_, http2::kCancel);
      connection_.wake_writer();
      record.client_gone = true;
    }
  }
  co_return !record.client_gone;
}

Outcome Http2Exchange::end_response(int status) {
  complete(status, nullptr);
  return Outcome::kKeepAlive;
}

Outcome Http2Exchange::cut_short(int status, const Error& error) {
  complete(status, &error);
  // RST_STREAM: the client sees the response fail, never a forged end.
  connection_.session().reset(*stream_, http2::kInternalError);
  connection_.wake_writer();
  return Outcome::kClose;
}

asio::awaitable<Outcome> Http2Exchange::send_reply(int status, std::string_view content_type,
                                                   std::string_view body,
                                                   std::span<const http1::Header> headers,
                                                   const Error* error) {
  if (record.client_gone) {  // the client reset the stream
    complete(499, error);
    co_return Outcome::kKeepAlive;
  }
  send_local(status, content_type, body, headers);
  complete(status, error);
  co_return Outcome::kKeepAlive;
}

// A complete response of ours: small, so it is queued whole without waiting for the window.
void Http2Exchange::send_local(int status, std::string_view content_type, std::string_view body,
                               std::span<const http1::Header> headers) {
  if (stream_->responded()) {
    // The upstream's head went out already (the relay failed on its first body bytes): the
    // only honest end is a reset.
    connection_.session().reset(*stream_, http2::kInternalError);
    connection_.wake_writer();
    return;
  }
  // 1xx, 204 and 304 have no body and no content-length (RFC 9110 §8.6).
  const bool bodiless = status < 200 || status == 204 || status == 304;
  const std::string length = bodiless ? std::string() : std::to_string(body.size());
  state_->fields_storage.clear();
  state_->fields.clear();
  http2::local_response_fields(content_type, length, headers, state_->fields_storage,
                               state_->fields);
  const bool with_body = !body.empty() && !head_request_ && !bodiless;
  http2::ServerSession& session = connection_.session();
  if (session.respond(*stream_, status, state_->fields, !with_body)) {
    if (with_body) {
      session.send_body(*stream_, body, true);
      record.bytes_sent += body.size();
    }
    connection_.wake_writer();
  }
}

void Http2Exchange::set_deadline(std::chrono::milliseconds timeout, Phase phase) {
  deadline_.set(PhaseTimer::deadline_of(timeout, phase, record.deadline), phase,
                shared_from_this());
}

void Http2Exchange::on_deadline(Phase phase) {
  if (phase != Phase::kBody && record.upstream != nullptr) {
    record.upstream->abort();
  }
  event_.cancel();  // wakes a wait for the client (body, window)
}

Worker& Http2Exchange::worker() { return connection_.worker(); }

}  // namespace nexus::server

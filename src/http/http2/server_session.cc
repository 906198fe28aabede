#include "http/http2/server_session.h"

#include <algorithm>

#include "http/http2/nghttp2_util.h"

namespace nexus::http2 {
namespace {

// RST_STREAMs received: nghttp2's token bucket (burst, then refill per second), a second
// bound next to the premature-reset rule of AbuseGuard.
constexpr uint64_t kResetBurst = 1000;
constexpr uint64_t kResetRatePerSecond = 33;

}  // namespace

// Trampolines from nghttp2's C callbacks to the session.
struct ServerSession::Callbacks {
  static ServerSession& self(void* user) { return *static_cast<ServerSession*>(user); }

  // Every frame but DATA is counted when it begins; DATA once received, when its padding is
  // known (a padded DATA frame with no data is as empty as an unpadded one).
  static int on_begin_frame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* user) {
    ServerSession& s = self(user);
    if (hd->type == NGHTTP2_HEADERS && hd->stream_id <= s.last_request_id_ &&
        nghttp2_session_find_stream(session, hd->stream_id) == nullptr) {
      // A stream id below one already opened that nghttp2 does not know (it keeps the
      // recently closed ones, so trailers racing our RST_STREAM are not caught here): ids must
      // increase (RFC 9113 §5.1.1), and nghttp2 would silently ignore the frame.
      s.terminate(kProtocolError);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    if (hd->type != NGHTTP2_DATA) {
      return s.count(hd->type, hd->length, hd->flags);
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    ServerSession& s = self(user);
    const int32_t id = frame->hd.stream_id;
    if (s.end_ != SessionEnd::kNone && id > s.goaway_last_id_) {
      // Opened after our GOAWAY was decided (it may not be on the wire yet): not processed,
      // so the client may retry it elsewhere (RFC 9113 §8.7).
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, kRefusedStream);
      return 0;
    }
    auto stream = std::make_shared<ServerStream>(id);
    nghttp2_session_set_stream_user_data(session, id, stream.get());
    s.last_request_id_ = id;
    s.streams_.emplace(id, std::move(stream));
    s.guard_.on_stream_opened();
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                       void* user) {
    ServerSession& s = self(user);
    ServerStream* stream = s.find(frame->hd.stream_id);
    if (stream == nullptr || frame->hd.type != NGHTTP2_HEADERS) {
      return 0;
    }
    // Decoded sizes are bounded here, field by field, so an HPACK bomb (a small block that
    // references a large table entry many times) is refused without being stored.
    stream->header_bytes += name_size + value_size + 32;
    ++stream->header_count;
    if (stream->header_bytes > s.limits_.max_header_list_bytes ||
        stream->header_count > s.limits_.max_header_count) {
      stream->refuse(Error(ErrorCode::kHeadersTooLarge, "the request header list is too large"));
      return 0;
    }
    if (stream->head_error) {
      return 0;
    }
    if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      stream->add_field(as_view(name, name_size), as_view(value, value_size));
    } else {
      stream->add_trailer(as_view(name, name_size), as_view(value, value_size));
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    ServerSession& s = self(user);
    ServerStream* stream = s.find(frame->hd.stream_id);
    if (stream == nullptr) {
      return 0;
    }
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          s.finish_head(*stream, end_stream);
        } else if (end_stream) {
          stream->request_complete = true;
          s.listener_.on_request_body(*stream);
        }
        break;
      case NGHTTP2_DATA:
        if (s.count(NGHTTP2_DATA, frame->hd.length - frame->data.padlen, frame->hd.flags) != 0) {
          return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        if (end_stream) {
          stream->request_complete = true;
          s.listener_.on_request_body(*stream);
        }
        break;
      case NGHTTP2_RST_STREAM:
        stream->reset_by_peer_ = true;
        if (!stream->response_done_ &&
            s.guard_.on_premature_reset() == AbuseGuard::Verdict::kAbuse) {
          s.terminate(kEnhanceYourCalm);
          return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                           size_t size, void* user) {
    ServerSession& s = self(user);
    ServerStream* stream = s.find(id);
    const bool wanted =
        stream != nullptr && !stream->head_error && !stream->body_error && !stream->response_done_;
    if (!wanted) {
      nghttp2_session_consume(session, id, size);  // nobody reads it: give the window back
      return 0;
    }
    stream->body_received += size;
    if (s.limits_.max_body_bytes != 0 && stream->body_received > s.limits_.max_body_bytes) {
      stream->body_error.emplace(ErrorCode::kPayloadTooLarge, "the request body is too large");
      nghttp2_session_consume(session, id, size);
    } else {
      stream->body.append(as_view(data, size));
      stream->unconsumed_ += size;
    }
    s.listener_.on_request_body(*stream);
    return 0;
  }

  static int on_stream_close(nghttp2_session* session, int32_t id, uint32_t error_code,
                             void* user) {
    ServerSession& s = self(user);
    auto it = s.streams_.find(id);
    if (it == s.streams_.end()) {
      return 0;
    }
    // Bytes the proxy never forwarded still count against the connection window.
    if (it->second->unconsumed_ > 0) {
      nghttp2_session_consume_connection(session, it->second->unconsumed_);
    }
    auto stream = std::move(it->second);
    s.streams_.erase(it);
    stream->closed_ = true;
    s.listener_.on_stream_closed(*stream, error_code);
    return 0;
  }

  static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    ServerSession& s = self(user);
    if (frame->hd.type == NGHTTP2_DATA) {
      s.guard_.on_data_frame_sent();
    }
    const bool ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (ends && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
      ServerStream* stream = s.find(frame->hd.stream_id);
      if (stream != nullptr && !stream->request_complete) {
        // Answered before the request ended (an error, a direct response): ask the client to
        // stop sending the rest, without error (RFC 9113 §8.1).
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, kNoError);
      }
    }
    return 0;
  }

  static ssize_t read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source*, void* user) {
    ServerSession& s = self(user);
    ServerStream* stream = s.find(id);
    if (stream == nullptr) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    const size_t n = stream->out_.read(buf, length);
    if (stream->queued() == 0) {
      if (stream->out_.last()) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        stream->response_done_ = true;
        if (!stream->out_trailers_.empty()) {
          *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          submit_trailers(session, id, stream->out_trailers_);
        }
      } else if (n == 0) {
        stream->out_.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    if (stream->out_.waiting_writable && stream->queued() < s.limits_.response_queue_bytes) {
      stream->out_.waiting_writable = false;
      s.listener_.on_response_writable(*stream);
    }
    return static_cast<ssize_t>(n);
  }
};

ServerSession::ServerSession(Listener& listener, const SessionLimits& limits)
    : listener_(listener), limits_(limits) {}

ServerSession::~ServerSession() {
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
  }
}

Result<void> ServerSession::start() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0) {
    nghttp2_session_callbacks_del(callbacks);
    return fail(ErrorCode::kInternal, "out of memory creating an HTTP/2 session");
  }
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, Callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Callbacks::on_frame_send);

  // Flow control follows the proxy: windows are reopened as request bytes are forwarded
  // upstream (consume_body), not as they arrive, so a slow upstream slows its client down.
  set_common_options(option);
  nghttp2_option_set_stream_reset_rate_limit(option, kResetBurst, kResetRatePerSecond);
  // Closed streams are kept (nghttp2 bounds them by the stream limit) so that frames on them are
  // answered with STREAM_CLOSED as RFC 9113 §5.1 requires, instead of being ignored.

  const int created = nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  if (created != 0) {
    return fail(ErrorCode::kInternal, "cannot create an HTTP/2 session");
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_bytes},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                            static_cast<int32_t>(limits_.connection_window)) != 0) {
    return fail(ErrorCode::kInternal, "cannot queue the HTTP/2 server preface");
  }
  return {};
}

Result<void> ServerSession::receive(std::string_view data) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const ssize_t read = nghttp2_session_mem_recv(session_, bytes, data.size());
  if (read >= 0) {
    return {};
  }
  if (read == NGHTTP2_ERR_CALLBACK_FAILURE) {  // we stopped reading on purpose: GOAWAY queued
    return fail(ErrorCode::kBadRequest, std::string(guard_.reason()));
  }
  end_ = SessionEnd::kFatal;
  return fail(ErrorCode::kBadRequest,
              std::string("HTTP/2 connection error: ") + nghttp2_strerror(static_cast<int>(read)));
}

size_t ServerSession::produce(std::string& out, size_t max) {
  const size_t before = out.size();
  if (!drain_output(session_, out, max)) {
    end_ = SessionEnd::kFatal;
  }
  return out.size() - before;
}

bool ServerSession::alive() const {
  return end_ != SessionEnd::kFatal &&
         (nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0);
}

bool ServerSession::wants_write() const {
  return end_ != SessionEnd::kFatal && nghttp2_session_want_write(session_) != 0;
}

ServerStream* ServerSession::find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

std::shared_ptr<ServerStream> ServerSession::find_shared(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

void ServerSession::finish_head(ServerStream& stream, bool end_stream) {
  // The body is appended while the proxy writes earlier bytes of it upstream from views into
  // it: with room for a whole window (the most a client may send before consume_body() reopens
  // it), appends never move the bytes. Until the client has acknowledged our SETTINGS its
  // window is the protocol's default, whichever is smaller.
  if (!end_stream) {
    stream.body.reserve(std::max<size_t>(limits_.initial_stream_window, kDefaultWindow));
  }
  stream.build_head(end_stream);
  stream.request_complete = end_stream;
  if (limits_.max_body_bytes != 0 && stream.head.framing == http1::BodyFraming::kContentLength &&
      stream.head.content_length > limits_.max_body_bytes) {
    stream.refuse(Error(ErrorCode::kPayloadTooLarge, "the request body is too large"));
  }
  if (limits_.max_requests != 0 && ++requests_ == limits_.max_requests) {
    shutdown();  // this one is served; the client opens a new connection for the next
  }
  listener_.on_request(find_shared(stream.id()));
}

void ServerSession::consume_body(ServerStream& stream, size_t bytes) {
  if (stream.closed_) {
    return;
  }
  bytes = std::min(bytes, stream.body.size());
  stream.body.erase(0, bytes);
  stream.unconsumed_ -= std::min(bytes, stream.unconsumed_);
  nghttp2_session_consume(session_, stream.id(), bytes);
}

Result<void> ServerSession::respond(ServerStream& stream, int status, std::span<const Field> fields,
                                    bool end_stream) {
  if (stream.closed_) {
    return fail(ErrorCode::kBadRequest, "the client reset the stream");
  }
  if (stream.responded_) {
    return fail(ErrorCode::kInternal, "the stream already has a response");
  }
  char status_text[4];
  const int value = std::clamp(status, 100, 999);
  status_text[0] = static_cast<char>('0' + value / 100);
  status_text[1] = static_cast<char>('0' + value / 10 % 10);
  status_text[2] = static_cast<char>('0' + value % 10);
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size() + 1);
  nva.push_back(make_nv(":status", std::string_view(status_text, 3)));
  for (const Field& field : fields) {
    nva.push_back(make_nv(field.name, field.value));
  }
  nghttp2_data_provider provider{};
  provider.read_callback = Callbacks::read_body;
  const int submitted = nghttp2_submit_response(session_, stream.id(), nva.data(), nva.size(),
                                                end_stream ? nullptr : &provider);
  if (submitted != 0) {
    return fail(ErrorCode::kInternal,
                std::string("cannot submit an HTTP/2 response: ") + nghttp2_strerror(submitted));
  }
  stream.responded_ = true;
  stream.response_done_ = end_stream;
  return {};
}

void ServerSession::send_body(ServerStream& stream, std::string_view data, bool last,
                              std::span<const Field> trailers) {
  if (stream.closed_) {
    return;
  }
  stream.out_.append(data, last);
  for (const Field& field : trailers) {
    stream.out_trailers_.emplace_back(field.name);
    stream.out_trailers_.emplace_back(field.value);
  }
  if (stream.queued() >= limits_.response_queue_bytes) {
    stream.out_.waiting_writable = true;
  }
  if (stream.out_.deferred) {
    stream.out_.deferred = false;
    nghttp2_session_resume_data(session_, stream.id());
  }
}

void ServerSession::reset(ServerStream& stream, uint32_t error_code) {
  if (stream.closed_) {
    return;
  }
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id(), error_code);
}

void ServerSession::shutdown() {
  if (end_ != SessionEnd::kNone) {
    return;
  }
  end_ = SessionEnd::kGoaway;
  goaway_last_id_ = last_request_id_;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, goaway_last_id_, kNoError, nullptr, 0);
}

int ServerSession::count(uint8_t type, size_t length, uint8_t flags) {
  if (guard_.on_frame(type, length, flags) == AbuseGuard::Verdict::kAbuse) {
    terminate(kEnhanceYourCalm);
    return NGHTTP2_ERR_CALLBACK_FAILURE;  // stop reading: the connection is done
  }
  return 0;
}

void ServerSession::terminate(uint32_t error_code) {
  if (end_ == SessionEnd::kFatal) {
    return;
  }
  end_ = SessionEnd::kGoaway;
  goaway_last_id_ = last_request_id_;
  nghttp2_session_terminate_session(session_, error_code);
}

}  // namespace nexus::http2

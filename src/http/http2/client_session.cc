#include "http/http2/client_session.h"

#include <algorithm>
#include <charconv>

#include "http/http2/nghttp2_util.h"

namespace nexus::http2 {
namespace {

constexpr uint32_t kMaxStreamId = (uint32_t{1} << 31) - 1;

}  // namespace

void ClientStream::add_field(std::string_view name, std::string_view value, bool trailer) {
  if (!trailer && name == ":status") {
    status_.assign(value);
    return;
  }
  std::string& storage = trailer ? trailer_storage_ : storage_;
  const auto offset = static_cast<uint32_t>(storage.size());
  storage.append(name);
  storage.append(value);
  (trailer ? trailer_spans_ : spans_)
      .push_back({offset, static_cast<uint32_t>(name.size()),
                  offset + static_cast<uint32_t>(name.size()),
                  static_cast<uint32_t>(value.size())});
}

// Views are built once the block is complete (storage_ no longer grows: trailers have their own).
void ClientStream::finish_head() {
  head.clear();
  std::from_chars(status_.data(), status_.data() + status_.size(), head.status);
  head.minor_version = 1;
  head.keep_alive = true;
  const std::string_view all = storage_;
  for (const Span& span : spans_) {
    head.headers.push_back({all.substr(span.name_offset, span.name_size),
                            all.substr(span.value_offset, span.value_size)});
  }
  head.framing = http1::BodyFraming::kChunked;  // length unknown: streamed
  if (response_complete) {
    head.framing = http1::BodyFraming::kNone;
  } else if (const auto* length = http1::find_header(head.headers, "content-length")) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(length->value.begin(), length->value.end(), value);
    if (error == std::errc{} && end == length->value.end()) {
      head.framing = http1::BodyFraming::kContentLength;
      head.content_length = value;
    }
  }
  head_received = true;
}

struct ClientSession::Callbacks {
  static ClientSession& self(void* user) { return *static_cast<ClientSession*>(user); }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                       void* user) {
    ClientSession& s = self(user);
    ClientStream* stream = s.find(frame->hd.stream_id);
    if (stream == nullptr || frame->hd.type != NGHTTP2_HEADERS) {
      return 0;
    }
    stream->header_bytes_ += name_size + value_size + 32;
    if (stream->header_bytes_ > s.limits_.max_header_list_bytes) {
      stream->head_too_large = true;
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    }
    stream->add_field(as_view(name, name_size), as_view(value, value_size), stream->head_received);
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    ClientSession& s = self(user);
    if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      s.settings_received_ = true;
      return 0;
    }
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      s.goaway_ = true;
      return 0;
    }
    ClientStream* stream = s.find(frame->hd.stream_id);
    if (stream == nullptr) {
      return 0;
    }
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !stream->head_received) {
      if (!stream->status_.empty() && stream->status_[0] == '1') {
        stream->spans_.clear();  // 1xx: informational, not forwarded
        stream->status_.clear();
        stream->header_bytes_ = 0;
        return 0;
      }
      stream->response_complete = end_stream;
      stream->finish_head();
    } else if (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) {
      stream->response_complete = stream->response_complete || end_stream;
      if (frame->hd.type == NGHTTP2_HEADERS) {
        const std::string_view all = stream->trailer_storage_;
        stream->trailers.clear();
        for (const auto& span : stream->trailer_spans_) {
          stream->trailers.push_back({all.substr(span.name_offset, span.name_size),
                                      all.substr(span.value_offset, span.value_size)});
        }
      }
    } else {
      return 0;
    }
    s.notify(*stream);
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                           size_t size, void* user) {
    ClientSession& s = self(user);
    ClientStream* stream = s.find(id);
    if (stream == nullptr) {
      nghttp2_session_consume(session, id, size);
      return 0;
    }
    const size_t window = std::max<size_t>(s.limits_.initial_stream_window, kDefaultWindow);
    if (stream->body.capacity() < window) {
      // The relay sends earlier bytes of the body from views into it while more arrive: with
      // room for a whole window (the most the upstream may send before consume_body(); the
      // protocol's default until our SETTINGS are acknowledged), appends never move the bytes.
      stream->body.reserve(window);
    }
    stream->body.append(as_view(data, size));
    stream->unconsumed_ += size;
    s.notify(*stream);
    return 0;
  }

  static int on_stream_close(nghttp2_session* session, int32_t id, uint32_t error_code,
                             void* user) {
    ClientSession& s = self(user);
    auto it = s.streams_.find(id);
    if (it == s.streams_.end()) {
      return 0;
    }
    auto stream = std::move(it->second);
    s.streams_.erase(it);
    if (stream->unconsumed_ > 0) {
      nghttp2_session_consume_connection(session, stream->unconsumed_);
      stream->unconsumed_ = 0;
    }
    stream->closed = true;
    stream->error_code = error_code;
    s.notify(*stream);
    return 0;
  }

  static ssize_t read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source*, void* user) {
    ClientSession& s = self(user);
    ClientStream* stream = s.find(id);
    if (stream == nullptr) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    const size_t n = stream->out_.read(buf, length);
    if (stream->out_.size() == 0) {
      if (stream->out_.last()) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        if (!stream->out_trailers_.empty()) {
          *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          submit_trailers(session, id, stream->out_trailers_);
        }
      } else if (n == 0) {
        stream->out_.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    if (stream->out_.waiting_writable && stream->out_.size() < s.limits_.request_queue_bytes) {
      stream->out_.waiting_writable = false;
      s.notify(*stream);
    }
    return static_cast<ssize_t>(n);
  }
};

ClientSession::ClientSession(const ClientLimits& limits) : limits_(limits) {}

ClientSession::~ClientSession() {
  if (session_ != nullptr) {
    nghttp2_session_del(session_);
  }
}

Result<void> ClientSession::start() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_option* option = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0 || nghttp2_option_new(&option) != 0) {
    nghttp2_session_callbacks_del(callbacks);
    return fail(ErrorCode::kInternal, "out of memory creating an HTTP/2 session");
  }
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::on_stream_close);
  // Windows reopen as the client takes the response (consume_body): a slow client slows its
  // upstream stream down instead of growing our buffers.
  set_common_options(option);
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_option_set_peer_max_concurrent_streams(option, limits_.max_concurrent_streams);
  const int created = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_option_del(option);
  if (created != 0) {
    return fail(ErrorCode::kInternal, "cannot create an HTTP/2 client session");
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_bytes},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                            static_cast<int32_t>(limits_.connection_window)) != 0) {
    return fail(ErrorCode::kInternal, "cannot queue the HTTP/2 client preface");
  }
  return {};
}

Result<void> ClientSession::receive(std::string_view data) {
  const ssize_t read = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  if (read >= 0) {
    return {};
  }
  fatal_ = true;
  return fail(ErrorCode::kUpstreamProtocolError, std::string("HTTP/2 upstream connection error: ") +
                                                     nghttp2_strerror(static_cast<int>(read)));
}

size_t ClientSession::produce(std::string& out, size_t max) {
  const size_t before = out.size();
  if (!drain_output(session_, out, max)) {
    fatal_ = true;
  }
  return out.size() - before;
}

bool ClientSession::alive() const {
  return !fatal_ &&
         (nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0);
}

bool ClientSession::wants_write() const {
  return !fatal_ && nghttp2_session_want_write(session_) != 0;
}

bool ClientSession::can_open_stream(size_t reserved) const {
  if (goaway_ || fatal_ || nghttp2_session_check_request_allowed(session_) == 0) {
    return false;
  }
  const uint32_t peer_limit =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  const size_t limit = std::min<size_t>(peer_limit, limits_.max_concurrent_streams);
  return streams_.size() + reserved < limit &&
         nghttp2_session_get_next_stream_id(session_) <= kMaxStreamId;
}

Result<std::shared_ptr<ClientStream>> ClientSession::submit_request(std::span<const Field> fields,
                                                                    bool has_body) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const Field& field : fields) {
    nva.push_back(make_nv(field.name, field.value));
  }
  auto stream = std::make_shared<ClientStream>(0);
  nghttp2_data_provider provider{};
  provider.read_callback = Callbacks::read_body;
  const int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                            has_body ? &provider : nullptr, stream.get());
  if (id < 0) {
    return fail(ErrorCode::kUpstreamUnavailable,
                std::string("cannot open an HTTP/2 stream: ") + nghttp2_strerror(id));
  }
  stream->id_ = id;
  streams_.emplace(id, stream);
  return stream;
}

void ClientSession::send_body(ClientStream& stream, std::string_view data, bool last,
                              std::span<const Field> trailers) {
  if (stream.closed) {
    return;
  }
  stream.out_.append(data, last);
  for (const Field& field : trailers) {
    stream.out_trailers_.emplace_back(field.name);
    stream.out_trailers_.emplace_back(field.value);
  }
  if (stream.out_.size() >= limits_.request_queue_bytes) {
    stream.out_.waiting_writable = true;
  }
  if (stream.out_.deferred) {
    stream.out_.deferred = false;
    nghttp2_session_resume_data(session_, stream.id());
  }
}

void ClientSession::consume_body(ClientStream& stream, size_t bytes) {
  bytes = std::min(bytes, stream.body.size());
  stream.body.erase(0, bytes);
  if (stream.closed || bytes == 0) {
    return;
  }
  stream.unconsumed_ -= std::min(bytes, stream.unconsumed_);
  nghttp2_session_consume(session_, stream.id(), bytes);
}

void ClientSession::reset(ClientStream& stream, uint32_t error_code) {
  if (!stream.closed) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id(), error_code);
  }
}

void ClientSession::shutdown() {
  if (!goaway_) {
    goaway_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, 0, nullptr, 0);
  }
}

void ClientSession::fail_all() {
  fatal_ = true;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    stream->closed = true;
    stream->error_code = NGHTTP2_INTERNAL_ERROR;
    notify(*stream);
  }
}

ClientStream* ClientSession::find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void ClientSession::notify(ClientStream& stream) {
  if (stream.notify) {
    stream.notify();
  }
}

}  // namespace nexus::http2

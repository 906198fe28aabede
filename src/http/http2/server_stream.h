// The codec's state of one HTTP/2 request stream: the request head (as an http1::RequestHead, so
// the proxy above the codec is the same for both protocols), the request body received and not
// yet forwarded, and the response body queued and not yet framed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1/message.h"
#include "http/http2/body_queue.h"
#include "nexus/core/result.h"

namespace nexus::http2 {

// A header field to send (names lower case).
struct Field {
  std::string_view name;
  std::string_view value;
};

class ServerStream {
 public:
  explicit ServerStream(int32_t id) : id_(id) {}

  [[nodiscard]] int32_t id() const { return id_; }

  // --- request (filled by the codec) ---
  // Valid once the listener's on_request() ran. Framing: kContentLength when the client sent
  // content-length, kNone when HEADERS ended the stream, otherwise kChunked.
  http1::RequestHead head;
  std::optional<Error> head_error;      // the head was refused: answer with this error
  std::string body;                     // received bytes not yet consumed (at most one window)
  bool request_complete = false;        // END_STREAM received
  std::vector<http1::Header> trailers;  // request trailers (views into trailer_storage_)
  std::optional<Error> body_error;      // e.g. 413: the body went over the limit
  uint64_t body_received = 0;

  // --- response (driven by the proxy) ---
  [[nodiscard]] bool responded() const { return responded_; }
  [[nodiscard]] bool response_done() const { return response_done_; }
  [[nodiscard]] size_t queued() const { return out_.size(); }
  [[nodiscard]] size_t queue_held() const { return out_.held(); }  // memory, sent bytes included
  // Closed (completed or reset): the codec has forgotten it and ignores calls for it.
  [[nodiscard]] bool closed() const { return closed_; }

  // Called by the codec while the head arrives.
  void add_field(std::string_view name, std::string_view value);
  void add_trailer(std::string_view name, std::string_view value);
  // Builds `head` from the collected fields; sets head_error when the request is refused.
  void build_head(bool end_stream);
  // Header list size so far (RFC 9113 §6.5.2: name + value + 32 per field) and field count.
  size_t header_bytes = 0;
  size_t header_count = 0;
  void refuse(Error error);

 private:
  friend class ServerSession;
  struct Span {
    uint32_t name_offset, name_size, value_offset, value_size;
  };

  int32_t id_;
  std::string storage_;  // names and values of the request head, back to back
  std::vector<Span> fields_;
  std::string method_, scheme_, authority_, path_;
  std::string cookie_;  // cookie crumbs joined with "; " (RFC 9113 §8.2.3)
  size_t cookie_position_ = 0;
  std::string trailer_storage_;
  std::vector<Span> trailer_spans_;

  BodyQueue out_;                          // response body queued for DATA frames
  std::vector<std::string> out_trailers_;  // name, value, name, value...
  bool responded_ = false;
  bool response_done_ = false;  // the last DATA (or trailers) was framed
  bool reset_by_peer_ = false;
  bool closed_ = false;
  size_t unconsumed_ = 0;  // received DATA bytes not yet given back to the flow control windows
};

}  // namespace nexus::http2

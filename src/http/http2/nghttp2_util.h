// What the server and client sessions do alike with nghttp2.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::http2 {

// A name/value pair for nghttp2_submit_*; nghttp2 copies both (no NO_COPY flags), so views into
// temporaries are fine.
nghttp2_nv make_nv(std::string_view name, std::string_view value);

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Queues trailer fields (`fields` holds name, value, name, value...) on stream `id`; called from
// a data source callback that returned NGHTTP2_DATA_FLAG_NO_END_STREAM with its last bytes.
void submit_trailers(nghttp2_session* session, int32_t id, const std::vector<std::string>& fields);

// The options both sides set: window updates follow the application's progress
// (nghttp2_session_consume), and nghttp2's own flood limits are set explicitly so that they are
// documented (docs/http2.md) and survive a change of the library's defaults.
void set_common_options(nghttp2_option* option);

// Appends the frames nghttp2 has ready to `out` until it holds at least `max` bytes. False when
// nghttp2 failed (the session is unusable).
bool drain_output(nghttp2_session* session, std::string& out, size_t max);

// A session's initial stream window before the peer applies our SETTINGS (RFC 9113 §6.9.2).
inline constexpr size_t kDefaultWindow = 65535;

}  // namespace nexus::http2

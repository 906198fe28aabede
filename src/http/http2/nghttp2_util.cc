#include "http/http2/nghttp2_util.h"

namespace nexus::http2 {
namespace {

constexpr size_t kMaxSettingsEntries = 32;  // per SETTINGS frame
constexpr size_t kMaxOutboundAcks = 1000;   // queued SETTINGS/PING ACKs and RST_STREAMs
constexpr size_t kMaxContinuations = 8;     // CONTINUATION frames per header block

}  // namespace

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

void submit_trailers(nghttp2_session* session, int32_t id, const std::vector<std::string>& fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size() / 2);
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    nva.push_back(make_nv(fields[i], fields[i + 1]));
  }
  nghttp2_submit_trailer(session, id, nva.data(), nva.size());
}

void set_common_options(nghttp2_option* option) {
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_settings(option, kMaxSettingsEntries);
  nghttp2_option_set_max_outbound_ack(option, kMaxOutboundAcks);
  nghttp2_option_set_max_continuations(option, kMaxContinuations);
}

bool drain_output(nghttp2_session* session, std::string& out, size_t max) {
  while (out.size() < max) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n <= 0) {
      return n == 0;
    }
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return true;
}

}  // namespace nexus::http2

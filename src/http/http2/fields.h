// Conversions between the HTTP/1.1 heads the proxy works with and HTTP/2 header fields: an
// upstream's response for an HTTP/2 client, a client's request for an HTTP/2 upstream.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "http/http1/head_writer.h"
#include "http/http1/message.h"
#include "http/http2/server_stream.h"

namespace nexus::http2 {

// Appends the fields of `response` to `out`: names lower-cased (RFC 9113 §8.2.1), the fields
// that only concern one HTTP/1.1 connection dropped (§8.2.2: Connection and the fields it
// names, Keep-Alive, Transfer-Encoding, Upgrade, ...), Content-Length kept only when
// `keep_length`, and our "1.1 nexus" appended to Via. The views in `out` point into `storage`,
// which must not change until they are used.
void response_fields(const http1::ResponseHead& response, bool keep_length, std::string& storage,
                     std::vector<Field>& out);

// Appends the fields of a response of Nexus's own: content-type and content-length (each when not
// empty) and `extra` (names lower-cased; framing and hop-by-hop fields left out). The views in
// `out` point into `storage`.
void local_response_fields(std::string_view content_type, std::string_view content_length,
                           std::span<const http1::Header> extra, std::string& storage,
                           std::vector<Field>& out);

// Appends the fields of the request for an HTTP/2 upstream: the pseudo-headers first (:scheme
// https when `tls`), then the client's fields as write_upstream_request_head() would send them
// to an HTTP/1.1 upstream (same drops, X-Forwarded-For/-Proto and Via), names lower-cased.
// The views in `out` point into `storage`.
void request_fields(const http1::RequestHead& request, const http1::UpstreamRequestInfo& info,
                    bool tls, std::string& storage, std::vector<Field>& out);

// Appends the forwardable fields of `trailers` (http1::is_forwardable_trailer), names
// lower-cased. The views in `out` point into `storage`.
void trailer_fields(std::span<const http1::Header> trailers, std::string& storage,
                    std::vector<Field>& out);

}  // namespace nexus::http2

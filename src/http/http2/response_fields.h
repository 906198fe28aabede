// An HTTP/1.1 response head from an upstream, as the header fields of an HTTP/2 response.
#pragma once

#include <string>
#include <vector>

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

}  // namespace nexus::http2

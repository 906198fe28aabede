#include "http/http2/fields.h"

#include "http/http1/connection_tokens.h"
#include "http/http1/head_writer.h"

namespace nexus::http2 {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Fields collected as offsets while `storage` grows, turned into views at the end.
class FieldBuilder {
 public:
  FieldBuilder(std::string& storage, std::vector<Field>& out) : storage_(storage), out_(out) {}

  void add(std::string_view name, std::string_view value) {
    const size_t offset = storage_.size();
    for (const char c : name) {
      storage_.push_back(lower(c));
    }
    storage_.append(value);
    spans_.push_back({offset, name.size(), value.size()});
  }

  ~FieldBuilder() {
    const std::string_view all = storage_;
    for (const Span& span : spans_) {
      out_.push_back({all.substr(span.offset, span.name_size),
                      all.substr(span.offset + span.name_size, span.value_size)});
    }
  }
  FieldBuilder(const FieldBuilder&) = delete;
  FieldBuilder& operator=(const FieldBuilder&) = delete;

 private:
  struct Span {
    size_t offset, name_size, value_size;
  };
  std::string& storage_;
  std::vector<Field>& out_;
  std::vector<Span> spans_;
};

// "<received values>, <ours>" for a field that may occur several times (Via, X-Forwarded-For).
std::string joined(const std::vector<http1::Header>& headers, std::string_view name,
                   std::string_view ours) {
  std::string value;
  for (const auto& header : headers) {
    if (http1::iequals(header.name, name) && !header.value.empty()) {
      value.append(header.value).append(", ");
    }
  }
  value.append(ours);
  return value;
}

}  // namespace

void local_response_fields(std::string_view content_type, std::string_view content_length,
                           std::span<const http1::Header> extra, std::string& storage,
                           std::vector<Field>& out) {
  FieldBuilder fields(storage, out);
  if (!content_type.empty()) {
    fields.add("content-type", content_type);
  }
  if (!content_length.empty()) {
    fields.add("content-length", content_length);
  }
  for (const http1::Header& field : extra) {
    if (!http1::is_hop_by_hop(field.name) && !http1::iequals(field.name, "content-type")) {
      fields.add(field.name, field.value);
    }
  }
}

void response_fields(const http1::ResponseHead& response, bool keep_length, std::string& storage,
                     std::vector<Field>& out) {
  FieldBuilder fields(storage, out);
  const http1::ConnectionTokens connection(response.headers);
  for (const auto& header : response.headers) {
    const std::string_view name = header.name;
    const bool length = http1::iequals(name, "content-length");
    if ((length && !keep_length) || (!length && http1::is_hop_by_hop(name)) ||
        http1::iequals(name, "via") || connection.names(name)) {
      continue;
    }
    fields.add(name, header.value);
  }
  fields.add("via", joined(response.headers, "via", "1.1 nexus"));
}

void request_fields(const http1::RequestHead& request, const http1::UpstreamRequestInfo& info,
                    bool tls, std::string& storage, std::vector<Field>& out) {
  FieldBuilder fields(storage, out);
  fields.add(":method", request.method);
  fields.add(":scheme", tls ? "https" : "http");
  fields.add(":authority", info.host);
  fields.add(":path", info.target);
  const http1::ConnectionTokens connection(request.headers);
  for (const auto& header : request.headers) {
    const std::string_view name = header.name;
    if (http1::is_hop_by_hop(name) || connection.names(name) || http1::iequals(name, "host") ||
        http1::iequals(name, "expect") || http1::iequals(name, "x-forwarded-for") ||
        http1::iequals(name, "x-forwarded-proto") || http1::iequals(name, "via") ||
        (!info.traceparent.empty() && http1::is_trace_context(name))) {
      continue;
    }
    fields.add(name, header.value);
  }
  if (!info.traceparent.empty()) {
    fields.add("traceparent", info.traceparent);
    if (!info.tracestate.empty()) {
      fields.add("tracestate", info.tracestate);
    }
  }
  fields.add("x-forwarded-for", joined(request.headers, "x-forwarded-for", info.client_ip));
  fields.add("x-forwarded-proto", info.client_tls ? "https" : "http");
  fields.add("via", joined(request.headers, "via", "1.1 nexus"));
  if (info.framing == http1::BodyFraming::kContentLength) {
    fields.add("content-length", std::to_string(info.content_length));
  }
}

void trailer_fields(std::span<const http1::Header> trailers, std::string& storage,
                    std::vector<Field>& out) {
  FieldBuilder fields(storage, out);
  for (const auto& trailer : trailers) {
    if (http1::is_forwardable_trailer(trailer.name)) {
      fields.add(trailer.name, trailer.value);
    }
  }
}

}  // namespace nexus::http2

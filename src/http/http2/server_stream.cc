#include "http/http2/server_stream.h"

#include <charconv>

namespace nexus::http2 {
namespace {

std::string_view view(const std::string& storage, uint32_t offset, uint32_t size) {
  return std::string_view(storage).substr(offset, size);
}

}  // namespace

void ServerStream::add_field(std::string_view name, std::string_view value) {
  if (!name.empty() && name.front() == ':') {
    // nghttp2 has checked that each pseudo-header is known, unique, and before regular fields.
    if (name == ":method") {
      method_.assign(value);
    } else if (name == ":scheme") {
      scheme_.assign(value);
    } else if (name == ":authority") {
      authority_.assign(value);
    } else if (name == ":path") {
      path_.assign(value);
    }
    return;
  }
  if (name == "cookie") {
    // Clients split cookies into crumbs for better compression; an HTTP/1.1 upstream expects
    // one Cookie field (RFC 9113 §8.2.3), placed where the first crumb was.
    if (cookie_.empty()) {
      cookie_position_ = fields_.size();
    } else {
      cookie_.append("; ");
    }
    cookie_.append(value);
    return;
  }
  const auto offset = static_cast<uint32_t>(storage_.size());
  storage_.append(name);
  storage_.append(value);
  fields_.push_back({offset, static_cast<uint32_t>(name.size()),
                     offset + static_cast<uint32_t>(name.size()),
                     static_cast<uint32_t>(value.size())});
}

void ServerStream::add_trailer(std::string_view name, std::string_view value) {
  const auto offset = static_cast<uint32_t>(trailer_storage_.size());
  trailer_storage_.append(name);
  trailer_storage_.append(value);
  trailer_spans_.push_back({offset, static_cast<uint32_t>(name.size()),
                            offset + static_cast<uint32_t>(name.size()),
                            static_cast<uint32_t>(value.size())});
  trailers.clear();
  for (const Span& span : trailer_spans_) {
    trailers.push_back({view(trailer_storage_, span.name_offset, span.name_size),
                        view(trailer_storage_, span.value_offset, span.value_size)});
  }
}

void ServerStream::refuse(Error error) {
  if (!head_error) {
    head_error.emplace(std::move(error));
  }
}

void ServerStream::build_head(bool end_stream) {
  head.clear();
  head.minor_version = 1;
  head.keep_alive = true;
  head.method = method_;
  head.target = path_;
  head.path = head.target.substr(0, head.target.find('?'));
  // The fields' storage is complete: views into it stay valid for the stream's life.
  for (size_t i = 0; i <= fields_.size(); ++i) {
    if (!cookie_.empty() && i == cookie_position_) {
      head.headers.push_back({"cookie", cookie_});
    }
    if (i == fields_.size()) {
      break;
    }
    const Span& span = fields_[i];
    head.headers.push_back({view(storage_, span.name_offset, span.name_size),
                            view(storage_, span.value_offset, span.value_size)});
  }
  const http1::Header* host = http1::find_header(head.headers, "host");
  if (!authority_.empty()) {
    head.host = authority_;
    if (host != nullptr && !http1::iequals(host->value, authority_)) {
      refuse(Error(ErrorCode::kBadRequest, ":authority and host disagree"));
    }
  } else if (host != nullptr) {
    head.host = host->value;
  } else {
    refuse(Error(ErrorCode::kBadRequest, "the request has neither :authority nor host"));
  }
  if (method_ == "CONNECT") {
    refuse(Error(ErrorCode::kMethodNotAllowed, "CONNECT is not supported"));
  }
  if (const http1::Header* length = http1::find_header(head.headers, "content-length")) {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(length->value.begin(), length->value.end(), value);
    if (ec != std::errc{} || end != length->value.end()) {
      refuse(Error(ErrorCode::kBadRequest, "bad content-length"));
    }
    head.framing = http1::BodyFraming::kContentLength;
    head.content_length = value;
  } else if (end_stream) {
    // An empty body: said explicitly to the upstream for methods that usually carry one, as an
    // HTTP/1.1 client would (some servers answer 411 to a POST without a length).
    const bool bodiless = method_ == "GET" || method_ == "HEAD" || method_ == "DELETE" ||
                          method_ == "OPTIONS" || method_ == "TRACE";
    head.framing = bodiless ? http1::BodyFraming::kNone : http1::BodyFraming::kContentLength;
    head.content_length = 0;
  } else {
    head.framing = http1::BodyFraming::kChunked;
  }
}

}  // namespace nexus::http2

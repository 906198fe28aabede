#include "http/http2/response_fields.h"

#include "http/http1/head_writer.h"

namespace nexus::http2 {
namespace {

bool named_by_connection(const std::vector<http1::Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (!http1::iequals(header.name, "connection")) {
      continue;
    }
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (http1::iequals(token, name)) {
        return true;
      }
    }
  }
  return false;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

void response_fields(const http1::ResponseHead& response, bool keep_length, std::string& storage,
                     std::vector<Field>& out) {
  struct Span {
    size_t name, name_size, value, value_size;
  };
  std::vector<Span> spans;
  spans.reserve(response.headers.size() + 1);
  std::string via;
  for (const auto& header : response.headers) {
    const std::string_view name = header.name;
    if (http1::iequals(name, "via")) {
      via.append(header.value).append(", ");
      continue;
    }
    const bool length = http1::iequals(name, "content-length");
    if ((length && !keep_length) || (!length && http1::is_hop_by_hop(name)) ||
        named_by_connection(response.headers, name)) {
      continue;
    }
    const size_t offset = storage.size();
    for (const char c : name) {
      storage.push_back(lower(c));
    }
    storage.append(header.value);
    spans.push_back({offset, name.size(), offset + name.size(), header.value.size()});
  }
  via.append("1.1 nexus");
  const size_t via_offset = storage.size();
  storage.append("via").append(via);
  spans.push_back({via_offset, 3, via_offset + 3, via.size()});
  // Views are taken once storage has stopped growing.
  const std::string_view all = storage;
  for (const Span& span : spans) {
    out.push_back({all.substr(span.name, span.name_size), all.substr(span.value, span.value_size)});
  }
}

}  // namespace nexus::http2

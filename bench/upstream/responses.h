// Canned responses of the benchmark upstream. Everything is appended to a connection's reserved
// output string, so the steady state allocates nothing.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "http_request.h"

namespace nexus_bench {

inline constexpr uint64_t kMaxLargeBytes = 1ULL << 34;

inline constexpr std::string_view kChatBody =
    R"({"id":"chatcmpl-nexusbench0001","object":"chat.completion","created":1700000000,)"
    R"("model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_nexus_bench","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"Hello! This is the fixed answer of the Nexus )"
    R"(benchmark upstream. It is about as long as a short real completion.","refusal":null},)"
    R"("logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":)"
    R"(27,"total_tokens":69}})";

// The same answer as Anthropic's Messages API writes it (for the OpenAI -> Anthropic benchmark).
inline constexpr std::string_view kAnthropicBody =
    R"({"id":"msg_01NexusBench0001","type":"message","role":"assistant",)"
    R"("model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello! This is the )"
    R"(fixed answer of the Nexus benchmark upstream. It is about as long as a short real )"
    R"(completion."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":42,)"
    R"("cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":27}})";

inline constexpr std::string_view kSseHead =
    "HTTP/1.1 200 OK\r\nServer: nexus-bench\r\nContent-Type: text/event-stream\r\nCache-Control: "
    "no-cache\r\n"
    "Transfer-Encoding: chunked\r\n";

inline std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

inline void append_number(std::string& out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

inline void append_hex(std::string& out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value, 16);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

// Status line and headers up to (excluding) the blank line.
inline void append_head(std::string& out, int status, std::string_view content_type,
                        uint64_t content_length, bool keep_alive) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\nServer: nexus-bench\r\n");
  bool bodiless = status == 204 || status == 304;
  if (!bodiless) {
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\nContent-Length: ");
    append_number(out, content_length);
    out.append("\r\n");
  }
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  }
}

// A complete response with a small body (nothing of it sent for HEAD or 204/304).
inline void append_response(std::string& out, int status, std::string_view content_type,
                            std::string_view body, bool keep_alive, bool head_only) {
  append_head(out, status, content_type, body.size(), keep_alive);
  out.append("\r\n");
  if (!head_only && status != 204 && status != 304) {
    out.append(body);
  }
}

inline void append_status_response(std::string& out, int status, bool keep_alive, bool head_only) {
  char body[160];
  int n = std::snprintf(body, sizeof(body),
                        R"({"error":{"message":"nexus-bench upstream status %d","type":"%s",)"
                        R"("code":%d}})",
                        status, status >= 400 ? "upstream_test_error" : "none", status);
  append_response(out, status, "application/json", std::string_view(body, static_cast<size_t>(n)),
                  keep_alive, head_only);
}

// One SSE event as one chunk of a chunked body.
inline void append_sse_event(std::string& out, uint32_t index) {
  char event[256];
  int n = std::snprintf(
      event, sizeof(event),
      R"(data: {"id":"chatcmpl-nexusbench0001","object":"chat.completion.chunk",)"
      R"("created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,)"
      R"("delta":{"content":"token%u "},"finish_reason":null}]})"
      "\n\n",
      index);
  append_hex(out, static_cast<uint64_t>(n));
  out.append("\r\n");
  out.append(event, static_cast<size_t>(n));
  out.append("\r\n");
}

// The end of a stream as OpenAI writes it: the finish chunk, the usage chunk, [DONE].
inline void append_sse_done(std::string& out, uint32_t events) {
  char end[512];
  int n = std::snprintf(
      end, sizeof(end),
      R"(data: {"id":"chatcmpl-nexusbench0001","object":"chat.completion.chunk",)"
      R"("created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,)"
      R"("delta":{},"finish_reason":"stop"}]})"
      "\n\n"
      R"(data: {"id":"chatcmpl-nexusbench0001","object":"chat.completion.chunk",)"
      R"("created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[],)"
      R"("usage":{"prompt_tokens":42,"completion_tokens":%u,"total_tokens":%u}})"
      "\n\ndata: [DONE]\n\n",
      events, events + 42);
  append_hex(out, static_cast<uint64_t>(n));
  out.append("\r\n");
  out.append(end, static_cast<size_t>(n));
  out.append("\r\n0\r\n\r\n");
}

// Reads NAME=digits from a query string; `fallback` when absent or malformed.
inline uint64_t query_number(std::string_view query, std::string_view name, uint64_t fallback) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      std::string_view digits = pair.substr(name.size() + 1);
      uint64_t value = 0;
      auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      return res.ec == std::errc{} && res.ptr == digits.data() + digits.size() ? value : fallback;
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return fallback;
}

enum class Kind : uint8_t { kChat, kAnthropic, kSse, kLarge, kStatus, kBadRequest };

struct Pending {  // what to answer once the request body is consumed
  Kind kind = Kind::kChat;
  int status = 200;
  uint64_t number = 0;  // bytes for /large, events for /sse
  uint32_t interval_ms = 0;
  bool first_event_now = false;  // /sse's first event waits an interval, a paced stream's does not
  bool keep_alive = true;
  bool head_only = false;
};

inline void route_request(const RequestHead& head, Pending& p) {
  p = Pending{};
  p.keep_alive = head.keep_alive;
  p.head_only = head.method == "HEAD";
  if (head.path == "/sse") {
    p.kind = Kind::kSse;
    p.number = query_number(head.query, "events", 10);
    p.interval_ms = static_cast<uint32_t>(query_number(head.query, "interval_ms", 20));
    if (p.number > 1'000'000 || p.interval_ms > 3'600'000) {
      p.kind = Kind::kBadRequest;
      p.status = 400;
    }
  } else if (head.path == "/stream/chat/completions") {  // an LLM provider that streams
    p.kind = Kind::kSse;
    p.number = 20;
  } else if (head.path == "/paced/chat/completions") {  // one generating a token per millisecond
    p.kind = Kind::kSse;
    p.number = 20;
    p.interval_ms = 1;
    p.first_event_now = true;
  } else if (head.path.ends_with("/messages")) {
    p.kind = Kind::kAnthropic;
  } else if (head.path == "/large") {
    p.kind = Kind::kLarge;
    p.number = std::min<uint64_t>(query_number(head.query, "bytes", 1 << 20), kMaxLargeBytes);
  } else if (head.path.starts_with("/status/")) {
    std::string_view digits = head.path.substr(8);
    unsigned status = 0;
    auto res = std::from_chars(digits.data(), digits.data() + digits.size(), status);
    if (res.ec != std::errc{} || res.ptr != digits.data() + digits.size()) {
      status = 0;
    }
    p.kind = status >= 200 && status <= 599 ? Kind::kStatus : Kind::kBadRequest;
    p.status = p.kind == Kind::kStatus ? static_cast<int>(status) : 400;
  }
}

}  // namespace nexus_bench

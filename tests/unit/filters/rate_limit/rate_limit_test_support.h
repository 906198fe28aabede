// Drives the rate_limit filter through a ChainRun with a fake clock, as the server would.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/config/loader.h"
#include "http/filter/chain_run.h"
#include "http/filter/request_slots.h"

namespace nexus::filters::rate_limit_test {

class FakeClock final : public filter::Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point wall() const override { return {}; }
  [[nodiscard]] std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::time_point(now);
  }
  void advance(std::chrono::milliseconds by) { now += by; }
  std::chrono::nanoseconds now{std::chrono::seconds(1000)};  // on a whole second: windows align
};

// Parses a config whose `filters:` list is `filters` and returns its rate_limit factory, or the
// config error.
inline Result<std::shared_ptr<filter::FilterFactory>> load(std::string_view filters) {
  std::string text =
      "server: {listen: [\"127.0.0.1:1\"]}\n"
      "routes:\n"
      "  - {match: {}, direct_response: {}}\n"
      "filters:\n";
  text += filters;
  auto config = control::load_config_text(text, "test.yaml");
  if (!config) {
    return std::unexpected(std::move(config.error()));
  }
  for (const auto& entry : config->filters) {
    if (entry.type == "rate_limit") {
      return entry.factory;
    }
  }
  return fail(ErrorCode::kInternal, "no rate_limit filter");
}

struct Request {
  std::string ip = "10.0.0.1";
  std::string route = "chat";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> identity;  // the subject auth would have stored
};

struct Outcome {
  int status = 200;
  std::string body;
  std::map<std::string, std::string> headers;  // the response's, or the local reply's
  std::optional<std::chrono::milliseconds> delay;
};

// One exchange: the request head, a pause if any, then a 200 from upstream (or the reply).
inline Outcome send(const std::shared_ptr<filter::FilterFactory>& factory, const FakeClock& clock,
                    const Request& request = {}) {
  Outcome out;
  filter::ChainRun run(clock);
  run.start({factory},
            filter::RequestInfo{
                .method = "GET", .target = "/", .peer_ip = request.ip, .route = request.route},
            nullptr, 1024);
  if (request.identity.has_value()) {
    run.context().slots().emplace(
        filter::kIdentity, filter::Identity{.method = "api_key", .subject = *request.identity});
  }
  std::vector<http1::Header> fields;
  for (const auto& [name, value] : request.headers) {
    fields.push_back({name, value});
  }
  filter::Verdict verdict = run.request_headers(fields);
  if (verdict == filter::Verdict::kPause) {
    out.delay = run.pause_delay();
    verdict = run.resume();
  }
  std::vector<http1::Header> response;
  if (verdict == filter::Verdict::kReply) {
    filter::LocalReply reply = run.take_reply();
    out.status = reply.status;
    out.body = reply.body;
    for (auto& [name, value] : reply.headers) {
      out.headers[name] = value;
    }
    EXPECT_EQ(reply.content_type, "application/json");
  } else {
    EXPECT_EQ(verdict, filter::Verdict::kContinue);
    EXPECT_EQ(run.response_headers(200, response, false), filter::Verdict::kContinue);
    for (const http1::Header& field : response) {
      out.headers[std::string(field.name)] = std::string(field.value);
    }
  }
  run.complete({.status = out.status});
  return out;
}

// "+" for each exchange that went on, the status otherwise.
inline std::string statuses(const std::shared_ptr<filter::FilterFactory>& factory,
                            const FakeClock& clock, int count, const Request& request = {}) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    const int status = send(factory, clock, request).status;
    out += status == 200 ? std::string("+") : std::to_string(status);
  }
  return out;
}

}  // namespace nexus::filters::rate_limit_test

// Shared by the filter tests: a settable clock, a one-filter config loader and a driver that
// runs a chain over one exchange with plain header vectors.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/config/loader.h"
#include "http/filter/chain_run.h"

namespace nexus::filter::testing {

class FakeClock final : public Clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point wall() const override { return wall_; }
  [[nodiscard]] std::chrono::steady_clock::time_point steady() const override { return steady_; }
  void set_wall(std::chrono::system_clock::time_point wall) { wall_ = wall; }
  void advance(std::chrono::milliseconds by) {
    wall_ += by;
    steady_ += by;
  }

 private:
  std::chrono::system_clock::time_point wall_{std::chrono::milliseconds(1'700'000'000'000)};
  std::chrono::steady_clock::time_point steady_{std::chrono::seconds(1000)};
};

// The config around a global `filters:` list; `filters` is the list's text, its first entry on
// line kFirstFilterLine of "test.yaml".
inline constexpr int kFirstFilterLine = 5;
inline Result<config::Config> load_with_filters(std::string_view filters) {
  std::string yaml =
      "server: { listen: [\"127.0.0.1:8080\"] }\n"
      "routes: [{ match: {}, direct_response: {} }]\n"
      "logging: { access_log: { enabled: false } }\n"
      "filters:\n";
  yaml += filters;
  return control::load_config_text(yaml, "test.yaml");
}

// The factory of the only filter in `filters`.
inline Result<std::shared_ptr<FilterFactory>> load_filter(std::string_view filters) {
  auto config = load_with_filters(filters);
  if (!config) {
    return std::unexpected(std::move(config.error()));
  }
  if (config->global_filters.size() != 1) {
    return fail(ErrorCode::kInternal, "expected one filter");
  }
  return config->global_filters.front();
}

// The error message of a config that must not load ("" when it loads).
inline std::string load_error(std::string_view filters) {
  auto config = load_with_filters(filters);
  return config ? std::string() : config.error().message();
}

// A `filters:` text that must not load, and the start of its error ("test.yaml:5: key: ...").
struct ConfigErrorCase {
  const char* yaml;
  const char* message;
};
inline void expect_config_errors(std::initializer_list<ConfigErrorCase> cases) {
  for (const auto& c : cases) {
    const std::string error = load_error(c.yaml);
    EXPECT_EQ(error.rfind(c.message, 0), 0U) << c.yaml << "\n  got: " << error;
  }
}

// One exchange through a chain; headers are plain name/value pairs owned by the harness.
class Exchange {
 public:
  Exchange(const config::FilterChain& chain, RequestInfo request, const Clock& clock)
      : run_(clock) {
    run_.start(chain, std::move(request), nullptr, 1 << 20);
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void add_request_header(std::string name, std::string value) {
    storage_.emplace_back(std::move(name));
    const std::string& n = storage_.back();
    storage_.emplace_back(std::move(value));
    request_fields_.push_back({n, storage_.back()});
  }
  void add_response_header(std::string name, std::string value) {
    storage_.emplace_back(std::move(name));
    const std::string& n = storage_.back();
    storage_.emplace_back(std::move(value));
    response_fields_.push_back({n, storage_.back()});
  }

  Verdict request_headers() { return run_.request_headers(request_fields_); }
  Verdict upstream_request() { return run_.upstream_request(request_fields_); }
  Verdict response_headers(int status, bool local = false) {
    return run_.response_headers(status, response_fields_, local);
  }
  // Runs the response hooks over a local reply taken from the chain (its headers first).
  LocalReply reply_and_filter() {
    LocalReply reply = run_.take_reply();
    response_fields_.clear();
    for (const auto& [name, value] : reply.headers) {
      add_response_header(name, value);
    }
    run_.response_headers(reply.status, response_fields_, true);
    return reply;
  }

  [[nodiscard]] Context& context() { return run_.context(); }
  [[nodiscard]] ChainRun& run() { return run_; }
  [[nodiscard]] const std::vector<http1::Header>& request_fields() const { return request_fields_; }
  [[nodiscard]] const std::vector<http1::Header>& response_fields() const {
    return response_fields_;
  }

  // Values of every field named `name` (case-insensitive), in order.
  static std::vector<std::string> values(const std::vector<http1::Header>& fields,
                                         std::string_view name) {
    std::vector<std::string> out;
    for (const auto& field : fields) {
      if (http1::iequals(field.name, name)) {
        out.emplace_back(field.value);
      }
    }
    return out;
  }
  [[nodiscard]] std::string request_header(std::string_view name) const {
    auto found = values(request_fields_, name);
    return found.empty() ? "<absent>" : found.front();
  }
  [[nodiscard]] std::string response_header(std::string_view name) const {
    auto found = values(response_fields_, name);
    return found.empty() ? "<absent>" : found.front();
  }

 private:
  std::deque<std::string> storage_;  // never moves: the fields view into it
  std::vector<http1::Header> request_fields_;
  std::vector<http1::Header> response_fields_;
  ChainRun run_;
};

// A fixture for tests of one filter: load(yaml) parses its `filters:` text into the chain, and
// exchange(request) starts an exchange through it on the fake clock.
class ChainTest : public ::testing::Test {
 protected:
  void load(std::string_view filters) {
    auto factory = load_filter(filters);
    ASSERT_TRUE(factory) << factory.error().message();
    chain_ = {*factory};
  }
  std::unique_ptr<Exchange> exchange(const RequestInfo& request) {
    return std::make_unique<Exchange>(chain_, request, clock_);
  }

  FakeClock clock_;
  config::FilterChain chain_;
};

// A filter that answers every request with `reply` in on_request_headers: the local reply of a
// later filter (a 401 from auth), for testing what earlier filters add to it.
class ReplyingFactory final : public FilterFactory {
 public:
  explicit ReplyingFactory(LocalReply reply) : reply_(std::move(reply)) {}
  [[nodiscard]] std::string_view type() const override { return "replying"; }
  [[nodiscard]] uint32_t hooks() const override { return kRequestHeadersHook; }
  [[nodiscard]] ArenaPtr<Filter> create(Arena& arena) const override {
    return arena.make<Replying>(reply_);
  }

 private:
  class Replying final : public Filter {
   public:
    explicit Replying(const LocalReply& reply) : reply_(reply) {}
    FilterStatus on_request_headers(Context& ctx) override {
      ctx.reply(reply_);
      return FilterStatus::kStop;
    }

   private:
    const LocalReply& reply_;
  };
  LocalReply reply_;
};

}  // namespace nexus::filter::testing

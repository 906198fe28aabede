// The chain runner: order of hooks, local replies, pauses, buffering, on_complete exactly once.
#include "http/filter/chain_run.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "http/filter/request_slots.h"

namespace nexus::filter {
namespace {

using Log = std::vector<std::string>;

// A filter whose behaviour each test scripts; it records every hook it sees.
struct Script {
  std::string name;
  uint32_t hooks = 0xffffffff;
  std::function<FilterStatus(Context&)> request_headers;
  std::function<FilterStatus(Context&)> response_headers;
  std::function<FilterStatus(Context&, std::string&, bool)> request_body;
  std::function<FilterStatus(Context&, std::string&, bool)> response_body;
};

class ScriptedFilter final : public Filter {
 public:
  ScriptedFilter(const Script& script, Log& log) : script_(script), log_(log) {}
  FilterStatus on_request_headers(Context& ctx) override {
    log_.push_back(script_.name + ".request_headers");
    return script_.request_headers ? script_.request_headers(ctx) : FilterStatus::kContinue;
  }
  FilterStatus on_upstream_request(Context& /*ctx*/) override {
    log_.push_back(script_.name + ".upstream_request");
    return FilterStatus::kContinue;
  }
  FilterStatus on_request_body(Context& ctx, std::string& body, bool end) override {
    log_.push_back(script_.name + ".request_body(" + body + (end ? ",end)" : ")"));
    return script_.request_body ? script_.request_body(ctx, body, end) : FilterStatus::kContinue;
  }
  FilterStatus on_response_headers(Context& ctx) override {
    log_.push_back(script_.name + ".response_headers(" + std::to_string(ctx.response_status()) +
                   ")");
    return script_.response_headers ? script_.response_headers(ctx) : FilterStatus::kContinue;
  }
  FilterStatus on_response_body(Context& ctx, std::string& body, bool end) override {
    log_.push_back(script_.name + ".response_body(" + body + (end ? ",end)" : ")"));
    return script_.response_body ? script_.response_body(ctx, body, end) : FilterStatus::kContinue;
  }
  void on_complete(Context& /*ctx*/, const Completion& completion) override {
    log_.push_back(script_.name + ".complete(" + std::to_string(completion.status) + ")");
  }

 private:
  const Script& script_;
  Log& log_;
};

class ScriptedFactory final : public FilterFactory {
 public:
  ScriptedFactory(Script script, Log& log) : script_(std::move(script)), log_(log) {}
  [[nodiscard]] std::string_view type() const override { return "scripted"; }
  [[nodiscard]] uint32_t hooks() const override { return script_.hooks; }
  [[nodiscard]] ArenaPtr<Filter> create(Arena& arena) const override {
    return arena.make<ScriptedFilter>(script_, log_);
  }

 private:
  Script script_;
  Log& log_;
};

class CountingResumer final : public Resumer {
 public:
  void resume() override { ++resumed; }
  int resumed = 0;
};

class TestPause final : public PauseSupport {
 public:
  std::shared_ptr<Resumer> make_resumer() override {
    last = std::make_shared<CountingResumer>();
    return last;
  }
  std::shared_ptr<CountingResumer> last;
};

class ChainRunTest : public ::testing::Test {
 protected:
  void add(Script script) {
    chain_.push_back(std::make_shared<ScriptedFactory>(std::move(script), log_));
  }
  void start(uint64_t buffer_limit = 1024) {
    run_.start(chain_, RequestInfo{.method = "GET", .target = "/a?b", .peer_ip = "10.0.0.1"},
               &pause_, buffer_limit);
  }

  Log log_;
  config::FilterChain chain_;
  TestPause pause_;
  ChainRun run_;
  std::vector<http1::Header> request_fields_ = {{"host", "example.com"}};
  std::vector<http1::Header> response_fields_;
};

TEST_F(ChainRunTest, RequestHooksRunInOrderAndResponseHooksInReverse) {
  add({.name = "a"});
  add({.name = "b"});
  start();
  EXPECT_EQ(run_.request_headers(request_fields_), Verdict::kContinue);
  EXPECT_EQ(run_.upstream_request(request_fields_), Verdict::kContinue);
  EXPECT_EQ(run_.response_headers(200, response_fields_, false), Verdict::kContinue);
  run_.complete({.status = 200});
  EXPECT_EQ(log_, (Log{"a.request_headers", "b.request_headers", "a.upstream_request",
                       "b.upstream_request", "b.response_headers(200)", "a.response_headers(200)",
                       "a.complete(200)", "b.complete(200)"}));
}

TEST_F(ChainRunTest, HooksAFilterDoesNotDeclareAreSkipped) {
  add({.name = "a", .hooks = kResponseHeadersHook});
  start();
  EXPECT_EQ(run_.request_headers(request_fields_), Verdict::kContinue);
  EXPECT_EQ(run_.response_headers(204, response_fields_, false), Verdict::kContinue);
  run_.complete({.status = 204});
  EXPECT_EQ(log_, (Log{"a.response_headers(204)"}));
  EXPECT_FALSE(run_.has_hook(kRequestBodyHook));
}

TEST_F(ChainRunTest, LocalReplyStopsTheRequestAndOnlyEarlierFiltersSeeTheResponse) {
  add({.name = "a"});
  add({.name = "b", .request_headers = [](Context& ctx) {
         ctx.reply({.status = 401, .body = "no", .headers = {{"www-authenticate", "Bearer"}}});
         return FilterStatus::kStop;
       }});
  add({.name = "c"});
  start();
  ASSERT_EQ(run_.request_headers(request_fields_), Verdict::kReply);
  LocalReply reply = run_.take_reply();
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(run_.response_headers(reply.status, response_fields_, true), Verdict::kContinue);
  run_.complete({.status = 401});
  EXPECT_EQ(log_, (Log{"a.request_headers", "b.request_headers", "a.response_headers(401)",
                       "a.complete(401)", "b.complete(401)", "c.complete(401)"}));
}

TEST_F(ChainRunTest, HeaderChangesGoThroughTheArena) {
  add({.name = "a", .request_headers = [](Context& ctx) {
         std::string value = "generated-" + std::to_string(42);
         ctx.request_headers()->set("X-Id", value);
         ctx.request_headers()->remove("HOST");
         return FilterStatus::kContinue;
       }});
  start();
  ASSERT_EQ(run_.request_headers(request_fields_), Verdict::kContinue);
  ASSERT_EQ(request_fields_.size(), 1U);
  EXPECT_EQ(request_fields_[0].name, "X-Id");
  EXPECT_EQ(request_fields_[0].value, "generated-42");
}

TEST_F(ChainRunTest, PausedHookResumesWithTheNextFilter) {
  std::shared_ptr<Resumer> handle;
  add({.name = "a", .request_headers = [&](Context& ctx) {
         handle = ctx.pause();
         return FilterStatus::kStop;
       }});
  add({.name = "b", .request_headers = [](Context& ctx) {
         ctx.pause_for(std::chrono::milliseconds(5));
         return FilterStatus::kStop;
       }});
  start();
  ASSERT_EQ(run_.request_headers(request_fields_), Verdict::kPause);
  ASSERT_NE(handle, nullptr);
  EXPECT_FALSE(run_.pause_delay().has_value());
  ASSERT_EQ(run_.resume(), Verdict::kPause);
  EXPECT_EQ(run_.pause_delay(), std::chrono::milliseconds(5));
  EXPECT_EQ(run_.resume(), Verdict::kContinue);
  EXPECT_EQ(log_, (Log{"a.request_headers", "b.request_headers"}));
}

TEST_F(ChainRunTest, AReplyWithAPauseIsSentWhenThePauseEnds) {
  add({.name = "a"});
  add({.name = "b", .request_headers = [](Context& ctx) {
         ctx.pause_for(std::chrono::milliseconds(20));
         ctx.reply({.status = 503});
         return FilterStatus::kStop;
       }});
  add({.name = "c"});
  start();
  ASSERT_EQ(run_.request_headers(request_fields_), Verdict::kPause);
  ASSERT_EQ(run_.resume(), Verdict::kReply);
  EXPECT_EQ(run_.take_reply().status, 503);
  EXPECT_EQ(run_.response_headers(503, response_fields_, true), Verdict::kContinue);
  EXPECT_EQ(log_, (Log{"a.request_headers", "b.request_headers", "a.response_headers(503)"}));
}

TEST_F(ChainRunTest, StopWithoutAWayToResumeCountsAsContinue) {
  add({.name = "a", .request_headers = [](Context&) { return FilterStatus::kStop; }});
  add({.name = "b"});
  start();
  EXPECT_EQ(run_.request_headers(request_fields_), Verdict::kContinue);
  EXPECT_EQ(log_.size(), 2U);
}

TEST_F(ChainRunTest, StopAndBufferHandsTheWholeBodyOverAtTheEnd) {
  add({.name = "a", .request_body = [](Context&, std::string&, bool end) {
         return end ? FilterStatus::kContinue : FilterStatus::kStopAndBuffer;
       }});
  add({.name = "b"});
  start();
  std::string piece = "ab";
  EXPECT_EQ(run_.request_body(piece, false), Verdict::kContinue);
  EXPECT_TRUE(piece.empty());
  piece = "cd";
  EXPECT_EQ(run_.request_body(piece, false), Verdict::kContinue);
  piece = "ef";
  EXPECT_EQ(run_.request_body(piece, true), Verdict::kContinue);
  EXPECT_EQ(piece, "abcdef");
  EXPECT_EQ(log_, (Log{"a.request_body(ab)", "a.request_body(abcd)", "a.request_body(abcdef,end)",
                       "b.request_body(abcdef,end)"}));
}

TEST_F(ChainRunTest, BufferingOverTheLimitIsTooLarge) {
  add({.name = "a",
       .response_body = [](Context&, std::string&, bool) { return FilterStatus::kStopAndBuffer; }});
  start(/*buffer_limit=*/4);
  std::string piece = "abc";
  EXPECT_EQ(run_.response_body(piece, false), Verdict::kContinue);
  piece = "de";
  EXPECT_EQ(run_.response_body(piece, false), Verdict::kTooLarge);
}

TEST_F(ChainRunTest, ResponseBodyRunsInReverseAndAnEmptiedPieceStops) {
  add({.name = "a"});
  add({.name = "b", .response_body = [](Context&, std::string& body, bool end) {
         if (!end) {
           body.clear();
         }
         return FilterStatus::kContinue;
       }});
  start();
  std::string piece = "x";
  EXPECT_EQ(run_.response_body(piece, false), Verdict::kContinue);
  piece = "y";
  EXPECT_EQ(run_.response_body(piece, true), Verdict::kContinue);
  EXPECT_EQ(log_, (Log{"b.response_body(x)", "b.response_body(y,end)", "a.response_body(y,end)"}));
}

TEST_F(ChainRunTest, AFilterCanSkipTheBodyOfAResponse) {
  add({.name = "a", .response_headers = [](Context& ctx) {
         if (ctx.response_status() == 204) {
           ctx.skip_response_body();
         }
         return FilterStatus::kContinue;
       }});
  start();
  EXPECT_EQ(run_.response_headers(200, response_fields_, false), Verdict::kContinue);
  EXPECT_TRUE(run_.wants_response_body());
  run_.complete({});
  start();
  EXPECT_EQ(run_.response_headers(204, response_fields_, false), Verdict::kContinue);
  EXPECT_FALSE(run_.wants_response_body());
  std::string piece = "x";
  EXPECT_EQ(run_.response_body(piece, true), Verdict::kContinue);
  EXPECT_EQ(log_.back(), "a.response_headers(204)");  // its body hook was not called
}

TEST_F(ChainRunTest, AFilterCanSkipTheBodyOfARequest) {
  add({.name = "a", .request_headers = [](Context& ctx) {
         ctx.skip_request_body();
         return FilterStatus::kContinue;
       }});
  add({.name = "b", .hooks = kRequestHeadersHook});
  start();
  ASSERT_EQ(run_.request_headers(request_fields_), Verdict::kContinue);
  EXPECT_FALSE(run_.wants_request_body());
  std::string piece = "x";
  EXPECT_EQ(run_.request_body(piece, true), Verdict::kContinue);
  EXPECT_EQ(log_, (Log{"a.request_headers", "b.request_headers"}));
}

TEST_F(ChainRunTest, CompleteRunsExactlyOnceEvenWhenNeverCalled) {
  add({.name = "a"});
  {
    ChainRun run;
    run.start(chain_, RequestInfo{}, nullptr, 1024);
    run.complete({.status = 200});
    run.complete({.status = 500});
  }
  {
    ChainRun run;
    run.start(chain_, RequestInfo{}, nullptr, 1024);
  }  // the destructor completes it
  EXPECT_EQ(log_, (Log{"a.complete(200)", "a.complete(0)"}));
}

TEST_F(ChainRunTest, SlotsAreSharedBetweenFiltersAndClearedPerExchange) {
  add({.name = "a", .request_headers = [](Context& ctx) {
         ctx.slots().emplace(kIdentity, Identity{.method = "api_key", .subject = "team-a"});
         return FilterStatus::kContinue;
       }});
  std::string seen;
  add({.name = "b", .request_headers = [&](Context& ctx) {
         const Identity* identity = ctx.slots().get(kIdentity);
         seen = identity != nullptr ? identity->subject : "none";
         return FilterStatus::kContinue;
       }});
  start();
  ASSERT_EQ(run_.request_headers(request_fields_), Verdict::kContinue);
  EXPECT_EQ(seen, "team-a");
  run_.complete({});
  start();
  EXPECT_EQ(run_.context().slots().get(kIdentity), nullptr);
}

}  // namespace
}  // namespace nexus::filter

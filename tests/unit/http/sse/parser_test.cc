// The server-sent events parser: the format's rules (WHATWG HTML, "Parsing an event stream"),
// the limits, and the invariant that the events do not depend on how the bytes were split, on
// every recorded provider stream at every byte offset.
#include "http/sse/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef NEXUS_SHARED_DIR
#error "NEXUS_SHARED_DIR must point at the shared/ directory"
#endif

namespace nexus::sse {
namespace {

using namespace std::string_view_literals;

struct Owned {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Owned&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Owned& e) {
  return out << "{" << e.type << "|" << e.data << "|" << e.id << "}";
}

// Feeds `pieces` in order; the events, and whether finish() accepted the end.
struct Parsed {
  std::vector<Owned> events;
  bool clean_end = false;
  bool failed = false;
};

Parsed parse_pieces(const std::vector<std::string_view>& pieces, size_t limit = 1 << 20) {
  Parser parser(limit);
  Parsed out;
  for (std::string_view input : pieces) {
    for (;;) {
      Event event;
      auto step = parser.next(input, event);
      if (!step) {
        out.failed = true;
        return out;
      }
      if (*step == Parser::Step::kNeedMore) {
        EXPECT_TRUE(input.empty());
        break;
      }
      out.events.push_back(
          {std::string(event.type), std::string(event.data), std::string(event.id)});
    }
  }
  out.clean_end = parser.finish().has_value();
  return out;
}

Parsed parse(std::string_view text) { return parse_pieces({text}); }

std::vector<Owned> events(std::string_view text) {
  Parsed parsed = parse(text);
  EXPECT_FALSE(parsed.failed);
  return parsed.events;
}

TEST(SseParser, DataLinesAreJoinedAndAnEmptyLineDispatches) {
  EXPECT_EQ(events("data: YHOO\ndata: +2\ndata: 10\n\n"),
            (std::vector<Owned>{{"message", "YHOO\n+2\n10", ""}}));
  EXPECT_EQ(events("data: a\n\ndata: b\n\n"),
            (std::vector<Owned>{{"message", "a", ""}, {"message", "b", ""}}));
}

TEST(SseParser, OnlyOneSpaceAfterTheColonIsStripped) {
  EXPECT_EQ(events("data:x\n\ndata:  y\n\ndata\n\n"),
            (std::vector<Owned>{{"message", "x", ""}, {"message", " y", ""}, {"message", "", ""}}));
}

TEST(SseParser, EventTypesAndCommentsAndUnknownFields) {
  EXPECT_EQ(events(": keep-alive\nevent: content_block_delta\nfoo: bar\ndata: {}\n\n"
                   "data: plain\n\n"),
            (std::vector<Owned>{{"content_block_delta", "{}", ""}, {"message", "plain", ""}}));
}

TEST(SseParser, AnEventWithoutDataIsNotDispatchedAndItsTypeDoesNotLeak) {
  EXPECT_EQ(events("event: ping\n\ndata: x\n\n"), (std::vector<Owned>{{"message", "x", ""}}));
}

TEST(SseParser, IdPersistsAcrossEventsAndIdsWithNulAreIgnored) {
  EXPECT_EQ(events("id: 7\ndata: a\n\ndata: b\n\nid: 8\0x\ndata: c\n\nid\ndata: d\n\n"sv),
            (std::vector<Owned>{{"message", "a", "7"},
                                {"message", "b", "7"},
                                {"message", "c", "7"},
                                {"message", "d", ""}}));
}

TEST(SseParser, LineEndingsCrLfCrAndLfMix) {
  EXPECT_EQ(events("data: a\r\n\r\ndata: b\r\rdata: c\n\r\n"),
            (std::vector<Owned>{{"message", "a", ""}, {"message", "b", ""}, {"message", "c", ""}}));
}

TEST(SseParser, ALeadingByteOrderMarkIsSkippedOnlyAtTheStart) {
  EXPECT_EQ(events("\xEF\xBB\xBF"
                   "data: a\n\n"),
            (std::vector<Owned>{{"message", "a", ""}}));
  // A partial mark is the start of the first line (here an unknown field).
  EXPECT_EQ(events("\xEF\xBB"
                   "data: a\n\ndata: b\n\n"),
            (std::vector<Owned>{{"message", "b", ""}}));
  // Later, the same bytes are data.
  EXPECT_EQ(events("data: a\n\ndata: \xEF\xBB\xBF\n\n"),
            (std::vector<Owned>{{"message", "a", ""}, {"message", "\xEF\xBB\xBF", ""}}));
}

TEST(SseParser, RetryTakesDigitsOnly) {
  Parser parser;
  std::string_view input = "retry: 1500\nretry: 2x\nretry: -1\n";
  Event event;
  ASSERT_EQ(parser.next(input, event), Parser::Step::kNeedMore);
  EXPECT_EQ(parser.retry_ms(), 1500u);
}

// between_events() tells a relay that holds partial events back which bytes it may send on.
TEST(SseParser, BetweenEventsOnlyWhenNoEventIsUnderWay) {
  Parser parser;
  Event event;
  EXPECT_TRUE(parser.between_events());
  std::string_view input = ": keep-alive\n\nid: 7\n";
  EXPECT_EQ(parser.next(input, event).value(), Parser::Step::kNeedMore);
  EXPECT_TRUE(parser.between_events());  // complete comment, blank and id lines
  input = "data: {\"a\"";
  EXPECT_EQ(parser.next(input, event).value(), Parser::Step::kNeedMore);
  EXPECT_FALSE(parser.between_events());  // a partial line
  input = ":1}\n";
  EXPECT_EQ(parser.next(input, event).value(), Parser::Step::kNeedMore);
  EXPECT_FALSE(parser.between_events());  // data, not yet dispatched
  input = "\nevent: x\n";
  EXPECT_EQ(parser.next(input, event).value(), Parser::Step::kEvent);
  EXPECT_EQ(event.data, R"({"a":1})");
  EXPECT_TRUE(parser.between_events());
  EXPECT_EQ(parser.next(input, event).value(), Parser::Step::kNeedMore);
  EXPECT_FALSE(parser.between_events());  // an event type waiting for its data
}

TEST(SseParser, FinishReportsAStreamCutInsideAnEvent) {
  EXPECT_TRUE(parse("data: a\n\n").clean_end);
  EXPECT_TRUE(parse("data: a\n\n: trailing comment").clean_end);
  EXPECT_TRUE(parse("").clean_end);
  EXPECT_FALSE(parse("data: a\n\ndata: b\n").clean_end);  // no empty line after it
  EXPECT_FALSE(parse("data: a\n\ndata: b").clean_end);    // cut mid-line
  EXPECT_FALSE(parse("event: x").clean_end);
}

TEST(SseParser, AnEventOverTheLimitIsAnErrorAndTheParserStaysFailed) {
  EXPECT_FALSE(parse_pieces({"data: 0123456789\n\n"}, 64).failed);
  std::string six_lines;  // 66 bytes of data
  for (int i = 0; i < 6; ++i) {
    six_lines += "data: 0123456789\n";
  }
  EXPECT_TRUE(parse_pieces({six_lines + "\n"}, 64).failed);
  // One unterminated line, fed in pieces, hits the limit too.
  const std::string piece(40, 'x');
  EXPECT_TRUE(parse_pieces({piece, piece, piece}, 64).failed);
  Parser parser(8);
  std::string_view input = "data: 0123456789\n\n";
  Event event;
  EXPECT_FALSE(parser.next(input, event).has_value());
  std::string_view more = "data: a\n\n";
  EXPECT_FALSE(parser.next(more, event).has_value());
  EXPECT_FALSE(parser.finish().has_value());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::filesystem::path> recorded_streams() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(NEXUS_SHARED_DIR) / "fixtures" / "providers")) {
    if (entry.path().extension() == ".sse") {
      files.push_back(entry.path());
    }
  }
  return files;
}

// Every recorded provider stream parses cleanly, and gives the same events whether it arrives
// whole, in two pieces split at any byte, or one byte at a time.
TEST(SseParser, RecordedStreamsGiveTheSameEventsWhateverTheSplit) {
  const auto files = recorded_streams();
  ASSERT_GE(files.size(), 10u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const std::string text = read_file(file);
    const Parsed whole = parse(text);
    ASSERT_FALSE(whole.failed);
    EXPECT_TRUE(whole.clean_end);
    EXPECT_FALSE(whole.events.empty());
    for (size_t at = 0; at <= text.size(); ++at) {
      const std::string_view all = text;
      const Parsed split = parse_pieces({all.substr(0, at), all.substr(at)});
      ASSERT_EQ(split.events, whole.events) << "split at " << at;
      ASSERT_EQ(split.clean_end, whole.clean_end);
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < text.size(); ++i) {
      bytes.emplace_back(text.data() + i, 1);
    }
    EXPECT_EQ(parse_pieces(bytes).events, whole.events);
  }
}

// Splits inside CRLF, inside the byte order mark and inside "data:" on a hand-made stream that
// has all of them.
TEST(SseParser, HandMadeStreamGivesTheSameEventsWhateverTheSplit) {
  const std::string text =
      "\xEF\xBB\xBF: hi\r\nid: 1\r\nevent: a\r\ndata: x\r\ndata:\r\n\r\ndata: y\rid: 2\r\r"
      "event: b\ndata: z\n\n";
  const Parsed whole = parse(text);
  ASSERT_EQ(whole.events,
            (std::vector<Owned>{{"a", "x\n", "1"}, {"message", "y", "2"}, {"b", "z", "2"}}));
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); ++b) {
      const std::string_view all = text;
      ASSERT_EQ(parse_pieces({all.substr(0, a), all.substr(a, b - a), all.substr(b)}).events,
                whole.events)
          << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace nexus::sse

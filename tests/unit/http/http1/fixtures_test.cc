// Runs every file of shared/fixtures/http1-edge through the parsers the way a connection would
// (head, body, next pipelined head) and checks the manifest's verdict, one-shot and byte by byte.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1/parser.h"

#ifndef NEXUS_SHARED_DIR
#error "NEXUS_SHARED_DIR must point at the shared/ directory"
#endif

namespace nexus::http1 {
namespace {

const std::string kDir = std::string(NEXUS_SHARED_DIR) + "/fixtures/http1-edge/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Row {
  std::string id;
  std::string file;
  std::string verdict;
  std::string upstream;
};

std::vector<Row> read_manifest() {
  std::vector<Row> rows;
  std::istringstream in(read_file(kDir + "manifest.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    std::vector<std::string> cols;
    std::istringstream ls(line);
    std::string col;
    while (std::getline(ls, col, '\t')) {
      cols.push_back(col);
    }
    if (cols.size() >= 5) {
      rows.push_back(Row{cols[0], cols[1], cols[3], cols[4]});
    }
  }
  return rows;
}

struct Connection {
  std::vector<std::string> bodies;  // one per request that was fully received
  int error_status = 0;
  bool closed = false;  // stopped after a request without keep-alive
};

// Makes `step` more bytes visible per round (0: everything at once).
Connection simulate(std::string_view bytes, size_t step) {
  const ParserLimits limits;
  Connection c;
  size_t pos = 0;
  size_t visible = step == 0 ? bytes.size() : std::min(step, bytes.size());
  auto grow = [&] {
    if (visible == bytes.size()) {
      return false;
    }
    visible = step == 0 ? bytes.size() : std::min(visible + step, bytes.size());
    return true;
  };
  while (pos < bytes.size()) {
    RequestHeadParser parser(limits);
    RequestHead head;
    size_t head_size = 0;
    while (head_size == 0) {
      auto r = parser.parse(bytes.substr(pos, visible - pos), head);
      if (!r) {
        c.error_status = r.error().http_status();
        return c;
      }
      head_size = *r;
      if (head_size == 0 && !grow()) {
        return c;  // incomplete head at the end of the stream
      }
    }
    pos += head_size;
    std::string body;
    if (head.framing == BodyFraming::kContentLength || head.framing == BodyFraming::kChunked) {
      BodyDecoder dec(limits, true);
      if (head.framing == BodyFraming::kChunked) {
        dec.start_chunked();
      } else {
        dec.start_content_length(head.content_length);
      }
      while (!dec.done()) {
        auto r = dec.decode(bytes.substr(pos, visible - pos));
        if (!r) {
          c.error_status = r.error().http_status();
          return c;
        }
        body.append(r->data);
        pos += r->consumed;
        if (r->consumed == 0 && !r->done && !grow()) {
          return c;  // incomplete body
        }
      }
    }
    c.bodies.push_back(body);
    if (!head.keep_alive) {
      c.closed = true;
      return c;
    }
  }
  return c;
}

std::vector<int> parse_int_list(std::string_view s) {
  std::vector<int> out;
  int v = 0;
  bool any = false;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9') {
      v = v * 10 + (ch - '0');
      any = true;
    } else if (any) {
      out.push_back(v);
      v = 0;
      any = false;
    }
  }
  if (any) {
    out.push_back(v);
  }
  return out;
}

void check(const Row& row, const Connection& c) {
  if (row.verdict.starts_with("REJECT")) {
    const std::vector<int> allowed = parse_int_list(row.verdict);
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), c.error_status), allowed.end())
        << "status " << c.error_status;
    EXPECT_TRUE(c.bodies.empty()) << "a request completed before the rejection";
    return;
  }
  ASSERT_TRUE(row.verdict.starts_with("ACCEPT"));
  EXPECT_EQ(c.error_status, 0);
  const size_t n = static_cast<size_t>(parse_int_list(row.verdict).at(0));
  EXPECT_EQ(c.bodies.size(), n);
  EXPECT_EQ(c.closed, row.verdict.find("CLOSE") != std::string::npos);
  const size_t bl = row.upstream.find("body_len=");
  if (bl != std::string::npos) {
    const int len = parse_int_list(std::string_view(row.upstream).substr(bl)).at(0);
    for (const auto& b : c.bodies) {
      EXPECT_EQ(b.size(), static_cast<size_t>(len));
    }
  }
}

TEST(Http1Fixtures, ManifestHas29Files) { EXPECT_EQ(read_manifest().size(), 29u); }

TEST(Http1Fixtures, OneShot) {
  for (const Row& row : read_manifest()) {
    SCOPED_TRACE(row.file + " " + row.verdict);
    const std::string bytes = read_file(kDir + row.file);
    ASSERT_FALSE(bytes.empty());
    check(row, simulate(bytes, 0));
  }
}

TEST(Http1Fixtures, ByteByByteAndSmallReads) {
  for (const Row& row : read_manifest()) {
    const std::string bytes = read_file(kDir + row.file);
    for (size_t step : {1, 3, 64}) {
      SCOPED_TRACE(row.file + " step " + std::to_string(step));
      const Connection c = simulate(bytes, step);
      check(row, c);
      const Connection once = simulate(bytes, 0);
      EXPECT_EQ(c.error_status, once.error_status);
      EXPECT_EQ(c.bodies, once.bodies);
    }
  }
}

}  // namespace
}  // namespace nexus::http1

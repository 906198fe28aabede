// BodyQueue: the bytes of one stream's body waiting for DATA frames.
#include "http/http2/body_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace nexus::http2 {
namespace {

std::string read(BodyQueue& queue, size_t length) {
  std::string out(length, '\0');
  out.resize(queue.read(reinterpret_cast<uint8_t*>(out.data()), length));
  return out;
}

TEST(Http2BodyQueueTest, ReadsInOrderAcrossAppends) {
  BodyQueue queue;
  EXPECT_EQ(queue.size(), 0u);
  queue.append("hello ", false);
  queue.append("world", false);
  EXPECT_EQ(queue.size(), 11u);
  EXPECT_EQ(read(queue, 3), "hel");
  EXPECT_EQ(queue.size(), 8u);
  queue.append("!", false);
  EXPECT_EQ(read(queue, 100), "lo world!");
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(read(queue, 100), "");
}

TEST(Http2BodyQueueTest, LastStaysSet) {
  BodyQueue queue;
  EXPECT_FALSE(queue.last());
  queue.append("a", false);
  EXPECT_FALSE(queue.last());
  queue.append("", true);
  EXPECT_TRUE(queue.last());
  queue.append("b", false);  // a later append does not undo the end
  EXPECT_TRUE(queue.last());
  EXPECT_EQ(read(queue, 10), "ab");
}

TEST(Http2BodyQueueTest, FlagsStartCleared) {
  BodyQueue queue;
  EXPECT_FALSE(queue.deferred);
  EXPECT_FALSE(queue.waiting_writable);
}

// Regression (fixed in 3ae1ccd): read() gave memory back only when the queue ran empty, so a
// producer that tops the queue up before it empties (what on_response_writable() invites, and
// what happens whenever the reader -- the peer's flow-control window -- is the slower side)
// made the buffer hold every byte ever appended. Here 16 MiB go through a queue that never
// holds more than 32 KiB of unsent bytes.
TEST(Http2BodyQueueTest, MemoryStaysBoundedWhileNeverEmpty) {
  BodyQueue queue;
  const std::string chunk(16 * 1024, 'c');
  uint8_t frame[16 * 1024];
  size_t largest = 0;
  queue.append(chunk, false);
  queue.append(chunk, false);
  for (int i = 0; i < 1024; ++i) {
    ASSERT_EQ(queue.read(frame, sizeof(frame)), sizeof(frame));  // a DATA frame goes out
    ASSERT_EQ(queue.size(), chunk.size());                       // never empty: refill
    queue.append(chunk, false);
    largest = std::max(largest, queue.held());
  }
  EXPECT_LE(largest, 256u * 1024) << "buffer grew to " << largest << " bytes";
}

}  // namespace
}  // namespace nexus::http2

#include "net/byte_buffer.h"

#include <gtest/gtest.h>

#include <cstring>

namespace nexus::net {
namespace {

void put(ByteBuffer& buffer, std::string_view data, size_t max_capacity = 1 << 20) {
  auto space = buffer.prepare(data.size(), max_capacity);
  ASSERT_GE(space.size(), data.size());
  std::memcpy(space.data(), data.data(), data.size());
  buffer.commit(data.size());
}

TEST(ByteBuffer, StartsWithoutStorageAndReleasesItWhenEmpty) {
  ByteBuffer buffer;
  EXPECT_EQ(buffer.capacity(), 0U);
  put(buffer, "hello");
  EXPECT_EQ(buffer.readable(), "hello");
  buffer.release_if_empty();
  EXPECT_GT(buffer.capacity(), 0U) << "not empty: keeps its storage";
  buffer.consume(5);
  buffer.release_if_empty();
  EXPECT_EQ(buffer.capacity(), 0U);
}

TEST(ByteBuffer, CompactsBeforeGrowingAndKeepsUnconsumedBytes) {
  ByteBuffer buffer;
  put(buffer, std::string(100, 'a'));
  const size_t capacity = buffer.capacity();
  buffer.consume(90);
  put(buffer, std::string(capacity - 20, 'b'));
  EXPECT_EQ(buffer.capacity(), capacity) << "the consumed front was reused";
  EXPECT_EQ(buffer.readable().substr(0, 10), std::string(10, 'a'));
  EXPECT_EQ(buffer.size(), capacity - 10);
}

TEST(ByteBuffer, GrowsUpToTheCapOnly) {
  ByteBuffer buffer;
  put(buffer, std::string(1000, 'x'), 4096);
  auto space = buffer.prepare(8192, 4096);
  EXPECT_EQ(buffer.capacity(), 4096U);
  EXPECT_EQ(space.size(), 4096U - 1000U);
  EXPECT_EQ(buffer.readable(), std::string(1000, 'x'));
}

}  // namespace
}  // namespace nexus::net

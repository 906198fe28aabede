// The access log writer: whole lines in order, a full batch written without waiting for the flush
// interval, what is buffered written at shutdown, and lines dropped (counted) past the buffer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "obs/access_log.h"

namespace nexus::obs {
namespace {

using std::chrono::hours;

class AccessLogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("nexus-access-log-test-" + std::to_string(::getpid()) + ".log");
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  [[nodiscard]] std::string contents() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Polls (bounded) until the file holds at least `bytes`.
  [[nodiscard]] bool wait_for_size(size_t bytes) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::error_code error;
      if (std::filesystem::file_size(path_, error) >= bytes && !error) {
        return true;
      }
      std::this_thread::yield();
    }
    return false;
  }

  std::filesystem::path path_;
};

TEST_F(AccessLogWriterTest, BufferedLinesAreWrittenInOrderAtShutdown) {
  {
    auto log = AccessLog::create({.path = path_.string(), .flush_interval = hours(1)});
    ASSERT_TRUE(log) << log.error().message();
    (*log)->write_line(R"({"n":1})");
    (*log)->write_line(R"({"n":2})");
    EXPECT_EQ(contents(), "") << "nothing before a batch is full or the interval passed";
  }
  EXPECT_EQ(contents(), "{\"n\":1}\n{\"n\":2}\n");
}

TEST_F(AccessLogWriterTest, AFullBatchIsWrittenWithoutWaitingForTheInterval) {
  auto log =
      AccessLog::create({.path = path_.string(), .flush_interval = hours(1), .batch_bytes = 100});
  ASSERT_TRUE(log) << log.error().message();
  const std::string line(59, 'x');  // 60 bytes with the newline: the second line fills a batch
  for (int i = 0; i < 5; ++i) {
    (*log)->write_line(line);
  }
  // The batch is written once the second line completes it; the others may follow with it.
  ASSERT_TRUE(wait_for_size(120));
  EXPECT_EQ(contents().substr(0, 120), line + "\n" + line + "\n");
  EXPECT_EQ((*log)->dropped_lines(), 0U);
}

TEST_F(AccessLogWriterTest, LinesPastTheBufferAreDroppedAndCounted) {
  {
    // The writer never wakes early (the batch is larger than the buffer): what does not fit is
    // dropped, whole lines only.
    auto log = AccessLog::create({.path = path_.string(),
                                  .flush_interval = hours(1),
                                  .batch_bytes = 1000,
                                  .max_buffer_bytes = 25});
    ASSERT_TRUE(log) << log.error().message();
    (*log)->write_line("0123456789");  // 11 bytes
    (*log)->write_line("abcdefghij");  // 22
    (*log)->write_line("too much");    // would be 31: dropped
    EXPECT_EQ((*log)->dropped_lines(), 1U);
  }
  EXPECT_EQ(contents(), "0123456789\nabcdefghij\n");
}

TEST_F(AccessLogWriterTest, AnUnopenablePathIsAConfigError) {
  auto log = AccessLog::create({.path = "/nonexistent-dir/access.log"});
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(log.error().message().find("/nonexistent-dir/access.log"), std::string::npos);
}

}  // namespace
}  // namespace nexus::obs

// The access log's writer: lines are appended to a shared buffer and written by a background
// thread once per flush interval, or as soon as the buffer holds a batch's worth. Workers never
// wait on the disk and never wake a thread per line (a wake-up per request costs a context switch
// per request: more than the whole filter chain). Lines are never split or interleaved.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "nexus/core/result.h"

namespace nexus::obs {

struct AccessLogOptions {
  std::string path = "stdout";  // "stdout", "stderr" or a file (appended to)
  std::chrono::milliseconds flush_interval{1000};
  size_t batch_bytes = size_t{64} * 1024;  // a full batch wakes the writer early
  size_t max_buffer_bytes = size_t{16}
                            << 20;  // past it (the disk cannot keep up) lines are dropped
};

class AccessLog {
 public:
  static Result<std::unique_ptr<AccessLog>> create(AccessLogOptions options);
  ~AccessLog();  // writes what is buffered, then stops the thread
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Appends `line` and a newline. Thread-safe.
  void write_line(std::string_view line);
  [[nodiscard]] uint64_t dropped_lines() const;

 private:
  AccessLog(AccessLogOptions options, int fd, bool owns_fd);
  void run();
  void write_out(const std::string& data);

  AccessLogOptions options_;
  int fd_;
  bool owns_fd_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string buffer_;  // guarded by mutex_
  bool stopping_ = false;
  uint64_t dropped_ = 0;
  bool warned_ = false;
  std::thread thread_;  // last: started once everything else is set up
};

}  // namespace nexus::obs

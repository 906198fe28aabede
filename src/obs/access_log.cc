#include "obs/access_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nexus::obs {

Result<std::unique_ptr<AccessLog>> AccessLog::create(AccessLogOptions options) {
  if (options.path == "stdout" || options.path == "stderr") {
    const int fd = options.path == "stdout" ? STDOUT_FILENO : STDERR_FILENO;
    return std::unique_ptr<AccessLog>(new AccessLog(std::move(options), fd, false));
  }
  const int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kInvalidConfig,
                "cannot open access log " + options.path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(options), fd, true));
}

AccessLog::AccessLog(AccessLogOptions options, int fd, bool owns_fd)
    : options_(std::move(options)), fd_(fd), owns_fd_(owns_fd), thread_([this] { run(); }) {}

AccessLog::~AccessLog() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (owns_fd_) {
    ::close(fd_);
  }
}

void AccessLog::write_line(std::string_view line) {
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (buffer_.size() + line.size() + 1 > options_.max_buffer_bytes) {
      ++dropped_;
      return;
    }
    // Only the line that completes a batch wakes the writer: on a busy worker the writer may not
    // run for a while, and waking it again for every later line would be a syscall per request.
    const bool had_batch = buffer_.size() >= options_.batch_bytes;
    buffer_.append(line);
    buffer_.push_back('\n');
    wake = !had_batch && buffer_.size() >= options_.batch_bytes;
  }
  if (wake) {
    wake_.notify_one();
  }
}

uint64_t AccessLog::dropped_lines() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

void AccessLog::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval,
                   [this] { return stopping_ || buffer_.size() >= options_.batch_bytes; });
    batch.swap(buffer_);
    const bool stop = stopping_;
    const uint64_t dropped = dropped_;
    lock.unlock();
    write_out(batch);
    batch.clear();
    if (dropped > 0 && !warned_) {
      warned_ = true;  // once: the count is available for metrics
      spdlog::warn("access log {}: lines dropped, the writer cannot keep up", options_.path);
    }
    if (stop) {
      return;
    }
    lock.lock();
  }
}

void AccessLog::write_out(const std::string& data) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // a full disk or a closed pipe: the lines are lost, the workers go on
    }
    written += static_cast<size_t>(n);
  }
}

}  // namespace nexus::obs

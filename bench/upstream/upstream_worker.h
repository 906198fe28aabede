// The epoll event loop of nexus_test_upstream: one Worker per thread, each with its own listener.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "connection.h"
#include "http_request.h"
#include "responses.h"

namespace nexus_bench {

class Worker {
 public:
  explicit Worker(int listen_fd) : listen_fd_(listen_fd) {}

  void run() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd_ < 0 || timer_fd_ < 0) {
      std::perror("epoll/timerfd");
      std::exit(1);
    }
    add(listen_fd_, EPOLLIN, kListenerTag);
    add(timer_fd_, EPOLLIN, kTimerTag);
    epoll_event events[256];
    for (;;) {
      int n = epoll_wait(epfd_, events, 256, -1);
      if (n < 0 && errno != EINTR) {
        std::perror("epoll_wait");
        std::exit(1);
      }
      for (int i = 0; i < n; ++i) {
        uint64_t tag = events[i].data.u64;
        if (tag == kListenerTag) {
          accept_all();
        } else if (tag == kTimerTag) {
          fire_timers();
        } else {
          on_event(static_cast<int>(tag), events[i].events);
        }
      }
      arm_timer();
    }
  }

 private:
  void add(int fd, uint32_t events, uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void set_want_out(Conn* c, bool want) {
    if (c->want_out == want) {
      return;
    }
    c->want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (want ? static_cast<uint32_t>(EPOLLOUT) : 0U);
    ev.data.u64 = static_cast<uint64_t>(c->fd);
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  void accept_all() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) {
          continue;
        }
        return;  // EAGAIN, or EMFILE: the kernel keeps the connection queued
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      open_conn(fd);
      add(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, static_cast<uint64_t>(fd));
    }
  }

  void open_conn(int fd) {
    std::unique_ptr<Conn> c;
    if (free_.empty()) {
      c = std::make_unique<Conn>();
      c->in_cap = kInitialInput;
      c->in = std::make_unique_for_overwrite<char[]>(c->in_cap);
      c->out.reserve(size_t{16} * 1024);
    } else {
      c = std::move(free_.back());
      free_.pop_back();
    }
    c->fd = fd;
    c->gen = ++gen_counter_;
    if (static_cast<size_t>(fd) >= conns_.size()) {
      conns_.resize(static_cast<size_t>(fd) + 1024);
    }
    conns_[static_cast<size_t>(fd)] = std::move(c);
  }

  void close_conn(Conn* c) {
    int fd = c->fd;
    close(fd);
    std::unique_ptr<Conn> owned = std::move(conns_[static_cast<size_t>(fd)]);
    owned->fd = -1;
    owned->in_start = owned->in_end = owned->out_sent = 0;
    owned->out.clear();
    owned->large_left = owned->body_left = 0;
    owned->sse_left = 0;
    owned->body = BodyState::kNone;
    owned->readable = true;
    owned->peer_eof = owned->close_after_flush = owned->want_out = false;
    free_.push_back(std::move(owned));
  }

  void on_event(int fd, uint32_t events) {
    Conn* c =
        static_cast<size_t>(fd) < conns_.size() ? conns_[static_cast<size_t>(fd)].get() : nullptr;
    if (c == nullptr) {
      return;
    }
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
      close_conn(c);
      return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP)) != 0) {
      c->readable = true;
    }
    drive(c);
  }

  // Runs a connection until it waits for input, output space or a timer.
  void drive(Conn* c) {
    for (;;) {
      if (!flush(c)) {
        return;
      }
      if (c->close_after_flush) {
        close_conn(c);
        return;
      }
      if (c->sse_left > 0) {
        return;
      }
      if (process_input(c)) {
        continue;
      }
      if (c->peer_eof) {
        close_conn(c);
        return;
      }
      if (!c->readable || !read_some(c)) {
        return;
      }
    }
  }

  bool read_some(Conn* c) {
    if (c->in_start == c->in_end) {
      c->in_start = c->in_end = 0;
    } else if (c->in_end == c->in_cap) {
      if (c->in_start > 0) {
        std::memmove(c->in.get(), c->in.get() + c->in_start, c->in_end - c->in_start);
        c->in_end -= c->in_start;
        c->in_start = 0;
      } else {  // an unfinished head fills the buffer (process_input caps its size)
        auto bigger = std::make_unique_for_overwrite<char[]>(c->in_cap * 2);
        std::memcpy(bigger.get(), c->in.get(), c->in_end);
        c->in = std::move(bigger);
        c->in_cap *= 2;
      }
    }
    size_t space = c->in_cap - c->in_end;
    ssize_t n = read(c->fd, c->in.get() + c->in_end, space);
    if (n > 0) {
      c->in_end += static_cast<size_t>(n);
      c->readable = static_cast<size_t>(n) == space;  // a short read drained the socket
    } else if (n == 0) {
      c->peer_eof = true;
      c->readable = false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c->readable = false;
    } else if (errno != EINTR) {
      close_conn(c);
      return false;
    }
    return true;
  }

  // Writes pending output and any /large body; false when closed or waiting for EPOLLOUT.
  bool flush(Conn* c) {
    while (c->out_sent < c->out.size() || c->large_left > 0) {
      iovec iov[2];
      int count = 0;
      if (c->out_sent < c->out.size()) {
        iov[count++] = {.iov_base = c->out.data() + c->out_sent,
                        .iov_len = c->out.size() - c->out_sent};
      }
      if (c->large_left > 0) {
        size_t chunk =
            c->large_left < kFillerSize ? static_cast<size_t>(c->large_left) : kFillerSize;
        iov[count++] = {.iov_base = const_cast<char*>(filler()), .iov_len = chunk};
      }
      ssize_t n = writev(c->fd, iov, count);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          set_want_out(c, true);
          return false;
        }
        close_conn(c);
        return false;
      }
      auto written = static_cast<size_t>(n);
      size_t from_out = std::min(written, c->out.size() - c->out_sent);
      c->out_sent += from_out;
      c->large_left -= written - from_out;
    }
    c->out.clear();
    c->out_sent = 0;
    set_want_out(c, false);
    return true;
  }

  // Parses buffered requests and queues their responses; true when anything changed.
  bool process_input(Conn* c) {
    bool progressed = false;
    while (c->in_start < c->in_end && c->sse_left == 0 && c->large_left == 0 &&
           !c->close_after_flush && c->out.size() < kOutputHighWater) {
      const char* data = c->in.get() + c->in_start;
      size_t avail = c->in_end - c->in_start;
      if (c->body == BodyState::kLength) {
        progressed = true;
        size_t take = avail < c->body_left ? avail : static_cast<size_t>(c->body_left);
        c->in_start += take;
        c->body_left -= take;
        if (c->body_left == 0) {
          c->body = BodyState::kNone;
          respond(c);
        }
        continue;
      }
      if (c->body == BodyState::kChunked) {
        progressed = true;
        c->in_start += c->chunked.feed(data, avail);
        if (c->chunked.bad()) {
          c->pending = Pending{.kind = Kind::kBadRequest, .status = 400, .keep_alive = false};
          c->body = BodyState::kNone;
          respond(c);
        } else if (c->chunked.done()) {
          c->body = BodyState::kNone;
          respond(c);
        }
        continue;
      }
      RequestHead head;
      ParseResult result = parse_request_head(data, avail, head);
      if (result == ParseResult::kIncomplete) {
        if (avail >= kMaxInput) {
          c->pending = Pending{.kind = Kind::kStatus, .status = 431, .keep_alive = false};
          respond(c);
          return true;
        }
        return progressed;
      }
      progressed = true;
      if (result == ParseResult::kBad) {
        c->pending = Pending{.kind = Kind::kBadRequest, .status = 400, .keep_alive = false};
        respond(c);
        return true;
      }
      c->in_start += head.head_bytes;
      route_request(head, c->pending);
      if (head.chunked) {
        c->body = BodyState::kChunked;
        c->chunked.reset();
      } else if (head.content_length > 0) {
        c->body = BodyState::kLength;
        c->body_left = head.content_length;
      }
      if (c->body != BodyState::kNone && head.expect_continue) {
        c->out.append("HTTP/1.1 100 Continue\r\n\r\n");
      }
      if (c->body == BodyState::kNone) {
        respond(c);
      }
    }
    return progressed;
  }

  void respond(Conn* c) {
    const Pending& p = c->pending;
    std::string& out = c->out;
    c->close_after_flush = !p.keep_alive;
    switch (p.kind) {
      case Kind::kChat:
        append_response(out, 200, "application/json", kChatBody, p.keep_alive, p.head_only);
        break;
      case Kind::kAnthropic:
        append_response(out, 200, "application/json", kAnthropicBody, p.keep_alive, p.head_only);
        break;
      case Kind::kStatus:
      case Kind::kBadRequest:
        append_status_response(out, p.status, p.keep_alive, p.head_only);
        break;
      case Kind::kLarge:
        append_head(out, 200, "application/octet-stream", p.number, p.keep_alive);
        out.append("\r\n");
        c->large_left = p.head_only ? 0 : p.number;
        break;
      case Kind::kSse:
        out.append(kSseHead);
        out.append(p.keep_alive ? "\r\n" : "Connection: close\r\n\r\n");
        if (p.head_only) {
          break;
        }
        c->sse_index = 0;
        c->sse_left = static_cast<uint32_t>(p.number);
        c->sse_interval_ms = p.interval_ms;
        c->sse_next_ns = now_ns();
        if (p.first_event_now) {
          append_sse_event(c->out, c->sse_index++);
          --c->sse_left;
        }
        schedule_sse(c);
        break;
    }
  }

  // Emits the events that are due now (all of them without an interval), then the end of the
  // stream or a timer for the next one.
  void schedule_sse(Conn* c) {
    while (c->sse_left > 0 && c->sse_interval_ms == 0) {
      append_sse_event(c->out, c->sse_index++);
      --c->sse_left;
    }
    if (c->sse_left == 0) {
      append_sse_done(c->out, c->sse_index);
      return;
    }
    c->sse_next_ns += static_cast<int64_t>(c->sse_interval_ms) * 1'000'000;
    timers_.push({c->sse_next_ns, c->fd, c->gen});
  }

  void fire_timers() {
    uint64_t expirations = 0;
    ssize_t ignored = read(timer_fd_, &expirations, sizeof(expirations));
    (void)ignored;
    armed_ns_ = 0;
    int64_t now = now_ns();
    while (!timers_.empty() && timers_.top().deadline_ns <= now) {
      TimerEntry t = timers_.top();
      timers_.pop();
      Conn* c = static_cast<size_t>(t.fd) < conns_.size() ? conns_[static_cast<size_t>(t.fd)].get()
                                                          : nullptr;
      if (c == nullptr || c->gen != t.gen || c->sse_left == 0) {
        continue;
      }
      append_sse_event(c->out, c->sse_index++);
      --c->sse_left;
      schedule_sse(c);
      drive(c);
    }
  }

  void arm_timer() {
    if (timers_.empty() || timers_.top().deadline_ns == armed_ns_) {
      return;
    }
    armed_ns_ = timers_.top().deadline_ns;
    itimerspec spec{};
    spec.it_value.tv_sec = armed_ns_ / 1'000'000'000;
    spec.it_value.tv_nsec = armed_ns_ % 1'000'000'000;
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  int listen_fd_;
  int epfd_ = -1;
  int timer_fd_ = -1;
  uint64_t gen_counter_ = 0;
  int64_t armed_ns_ = 0;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<Conn>> free_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
};

}  // namespace nexus_bench

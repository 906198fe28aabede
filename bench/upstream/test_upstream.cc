// nexus_test_upstream: a fast HTTP/1.1 origin for benchmarks and integration tests.
//
//   nexus_test_upstream [--host 127.0.0.1] [--port 0] [--threads 1]
//
// One edge-triggered epoll loop per thread, each with its own SO_REUSEPORT listener. Keep-alive,
// pipelining, Content-Length and chunked request bodies (read and dropped). Endpoints:
//   /sse?events=N&interval_ms=M   text/event-stream, N chunk events M ms apart (the first one M ms
//                                 after the head), then the finish and usage chunks and
//                                 "data: [DONE]"; defaults N=10, M=20
//   /stream/chat/completions      an LLM provider's stream: 20 token events at once, the end
//   /paced/chat/completions       the same stream paced: the first event with the head, then one
//                                 per millisecond
//   .../messages                  a fixed Anthropic Messages answer
//   /large?bytes=N                N bytes of 'x' with Content-Length (default 1 MiB)
//   /status/NNN                   status NNN with a small JSON body
//   anything else                 a fixed ~450-byte OpenAI chat.completion JSON
// Prints "listening on HOST:PORT" on stdout once it accepts connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "upstream_worker.h"

namespace nexus_bench {
namespace {

int make_listener(const std::string& host, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "bad --host %s (IPv4 address expected)\n", host.c_str());
    std::exit(2);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4096) != 0) {
    std::perror("bind/listen");
    std::exit(1);
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

}  // namespace
}  // namespace nexus_bench

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  long port = 0;
  long threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      host = argv[++i];
    } else if (arg == "--port" && has_value) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--threads" && has_value) {
      threads = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--host 127.0.0.1] [--port P] [--threads N]\n", argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (port < 0 || port > 65535 || threads < 1 || threads > 256) {
    std::fprintf(stderr, "invalid --port or --threads\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  nexus_bench::filler();
  std::vector<int> listeners;
  listeners.push_back(nexus_bench::make_listener(host, static_cast<uint16_t>(port)));
  uint16_t actual = nexus_bench::bound_port(listeners[0]);
  for (long i = 1; i < threads; ++i) {
    listeners.push_back(nexus_bench::make_listener(host, actual));
  }
  std::printf("listening on %s:%u\n", host.c_str(), static_cast<unsigned>(actual));
  std::fflush(stdout);
  std::vector<std::thread> pool;
  for (long i = 1; i < threads; ++i) {
    pool.emplace_back([fd = listeners[static_cast<size_t>(i)]] { nexus_bench::Worker(fd).run(); });
  }
  nexus_bench::Worker(listeners[0]).run();
  return 0;
}

// nexus_idle_clients: holds many idle HTTP/1.1 keep-alive connections open against a server.
//
//   nexus_idle_clients --host 127.0.0.1 --port P --connections 10000 --hold-seconds S [--path /]
//
// Opens N connections one after another, sends one small GET on each and reads its whole response
// (so each is a real keep-alive connection the server has served), prints "ready N" on stdout,
// keeps them idle for S seconds (or until SIGTERM/SIGINT), then closes them and exits 0.
// Raises RLIMIT_NOFILE itself. Exits 1 if a connection fails or the server closes one early.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

bool raise_fd_limit(size_t needed) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur >= needed) {
    return true;
  }
  if (lim.rlim_max < needed) {
    lim.rlim_max = needed;  // works only with CAP_SYS_RESOURCE
  }
  lim.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
    return true;
  }
  getrlimit(RLIMIT_NOFILE, &lim);
  std::fprintf(stderr, "cannot raise RLIMIT_NOFILE to %zu (hard limit %llu)\n", needed,
               static_cast<unsigned long long>(lim.rlim_max));
  return false;
}

// Lower-case header lookup in a response head; returns the value or an empty view.
std::string_view header_value(std::string_view head, std::string_view lower_name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line =
        head.substr(start, end == std::string_view::npos ? head.npos : end - start);
    size_t colon = line.find(':');
    if (colon == lower_name.size()) {
      bool same = true;
      for (size_t i = 0; i < colon && same; ++i) {
        same =
            static_cast<char>(std::tolower(static_cast<unsigned char>(line[i]))) == lower_name[i];
      }
      if (same) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') {
          value.remove_prefix(1);
        }
        return value;
      }
    }
    pos = end;
  }
  return {};
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
  return poll(&pfd, 1, timeout_ms) == 1;
}

// Reads one whole response (Content-Length or chunked); false on error, close or timeout.
bool read_response(int fd, std::string& buf) {
  buf.clear();
  char chunk[16384];
  size_t head_end = std::string::npos;
  size_t body_needed = 0;
  bool chunked = false;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = buf.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string_view head(buf.data(), head_end);
        chunked = header_value(head, "transfer-encoding").find("chunked") != std::string_view::npos;
        std::string length(header_value(head, "content-length"));
        body_needed = length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10);
        head_end += 4;
      }
    }
    if (head_end != std::string::npos) {
      if (chunked ? buf.size() >= head_end + 5 && buf.ends_with("0\r\n\r\n")
                  : buf.size() >= head_end + body_needed) {
        return true;
      }
    }
    if (!wait_readable(fd, 10'000)) {
      return false;
    }
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      return false;
    }
    buf.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string path = "/";
  long port = 0;
  long connections = 10000;
  double hold_seconds = 30;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      host = argv[++i];
    } else if (arg == "--port" && has_value) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--connections" && has_value) {
      connections = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--hold-seconds" && has_value) {
      hold_seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--path" && has_value) {
      path = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s --host 127.0.0.1 --port P --connections N --hold-seconds S "
                   "[--path /]\n",
                   argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (port <= 0 || port > 65535 || connections < 1 || connections > 1'000'000) {
    std::fprintf(stderr, "invalid --port or --connections\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  if (!raise_fd_limit(static_cast<size_t>(connections) + 64)) {
    return 1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    std::fprintf(stderr, "bad --host %s (IPv4 address expected)\n", host.c_str());
    return 2;
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                        "\r\nUser-Agent: nexus-idle-clients\r\n\r\n";
  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(connections));
  std::string buf;
  for (long i = 0; i < connections && g_stop == 0; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::fprintf(stderr, "connection %ld: connect: %s\n", i, std::strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size()) ||
        !read_response(fd, buf)) {
      std::fprintf(stderr, "connection %ld: no complete response\n", i);
      return 1;
    }
    if (!buf.starts_with("HTTP/1.1 2")) {
      std::fprintf(stderr, "connection %ld: unexpected status: %.40s\n", i, buf.c_str());
      return 1;
    }
    fds.push_back(fd);
  }
  std::printf("ready %zu\n", fds.size());
  std::fflush(stdout);
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  size_t closed_by_server = 0;
  while (g_stop == 0) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = static_cast<double>(now.tv_sec - start.tv_sec) +
                     static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e9;
    if (elapsed >= hold_seconds) {
      break;
    }
    usleep(100'000);
  }
  // Report connections the server dropped while they were idle (readable = EOF or error).
  for (int fd : fds) {
    pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
    if (poll(&pfd, 1, 0) == 1) {
      ++closed_by_server;
    }
    close(fd);
  }
  if (closed_by_server > 0) {
    std::fprintf(stderr, "%zu connections were closed by the server while idle\n",
                 closed_by_server);
    return 1;
  }
  return 0;
}

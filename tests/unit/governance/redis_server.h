// A real redis-server for tests: started on a free loopback port without persistence, stopped
// (and restartable on the same port) by the test. A missing redis-server fails the test that
// needs it, naming the package.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "governance/redis_connection.h"

extern char** environ;

namespace nexus::governance::testing {

class RedisServer {
 public:
  RedisServer() = default;
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer() { stop(); }

  // Starts it (on the port it had, after a stop()); an empty string on success, else why not.
  std::string start() {
    const std::string binary = find_binary();
    if (binary.empty()) {
      return "redis-server is not installed (Debian: apt-get install redis-server); the Redis "
             "governance tests need a real one";
    }
    if (port_ == 0) {
      port_ = free_port();
      if (port_ == 0) {
        return "no free loopback port";
      }
    }
    const std::string port = std::to_string(port_);
    std::vector<std::string> args{
        binary,         "--port", port,         "--bind",  "127.0.0.1",   "--save", "",
        "--appendonly", "no",     "--loglevel", "warning", "--daemonize", "no"};
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      pid_ = 0;
      return "cannot start " + binary;
    }
    // Bounded: it answers PING within a few seconds or the test fails.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto connection = connect(); connection) {
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "redis-server did not answer on port " + port;
  }

  void stop() {
    if (pid_ == 0) {
      return;
    }
    ::kill(pid_, SIGKILL);  // as a crash: nothing is saved (nothing would be anyway)
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] RedisEndpoint endpoint() const { return {.host = "127.0.0.1", .port = port_}; }

  // A connection of the test's own, to look at (or flush) what the limiters wrote.
  [[nodiscard]] std::unique_ptr<RedisConnection> connect() const {
    auto opened = RedisConnection::open(endpoint(), std::chrono::milliseconds(500));
    if (!opened) {
      return nullptr;
    }
    std::vector<std::string> ping{"PING"};
    auto reply = (*opened)->command(ping);
    if (!reply || reply->is_error()) {
      return nullptr;
    }
    return std::move(*opened);
  }

 private:
  static std::string find_binary() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    dirs += ":/usr/bin:/usr/sbin";
    size_t start = 0;
    while (start <= dirs.size()) {
      const size_t end = std::min(dirs.find(':', start), dirs.size());
      const std::filesystem::path candidate =
          std::filesystem::path(dirs.substr(start, end - start)) / "redis-server";
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate.string();
      }
      start = end + 1;
    }
    return {};
  }

  static uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
  }

  pid_t pid_ = 0;
  uint16_t port_ = 0;
};

}  // namespace nexus::governance::testing

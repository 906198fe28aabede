// A one-thread HTTP/1.1 server on 127.0.0.1 for the blocking HTTP client's tests (and the JWKS
// URL tests): it answers every request with the current canned response and closes the
// connection (or, "silent", never answers), and keeps the last request's text. Every wait is
// bounded; the destructor stops it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nexus::net::testing {

class TinyHttpServer {
 public:
  TinyHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 8);
    socklen_t size = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;
  ~TinyHttpServer() {
    stop_ = true;
    thread_.join();
    for (int fd : held_) {
      ::close(fd);
    }
    ::close(fd_);
  }

  [[nodiscard]] std::string url(const std::string& path = "/jwks.json") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void respond(int status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
    silent_ = false;
  }
  void go_silent() {
    std::lock_guard lock(mutex_);
    silent_ = true;
  }
  [[nodiscard]] int requests() const { return requests_.load(); }
  [[nodiscard]] int port() const { return port_; }
  // The last request as received: request line, header lines, blank line, body.
  [[nodiscard]] std::string last_request() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  // Polls in short slices so that the destructor's stop flag is seen promptly.
  void serve() {
    while (!stop_) {
      pollfd listener{fd_, POLLIN, 0};
      if (::poll(&listener, 1, 20) <= 0) {
        continue;
      }
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) {
        continue;
      }
      const std::string request = receive(client);
      ++requests_;
      std::string response;
      {
        std::lock_guard lock(mutex_);
        last_request_ = request;
        if (silent_) {
          held_.push_back(client);  // never answered; closed by the destructor
          continue;
        }
        response = "HTTP/1.1 " + std::to_string(status_) +
                   " X\r\nContent-Type: application/json\r\n"
                   "Content-Length: " +
                   std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
      }
      ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  // The head, then as much body as its Content-Length says (each read bounded).
  static std::string receive(int client) {
    std::string request;
    size_t expected = std::string::npos;
    char buffer[4096];
    while (request.size() < expected) {
      pollfd in{client, POLLIN, 0};
      if (::poll(&in, 1, 200) <= 0) {
        break;
      }
      const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        break;
      }
      request.append(buffer, static_cast<size_t>(n));
      const size_t head_end = request.find("\r\n\r\n");
      if (expected == std::string::npos && head_end != std::string::npos) {
        expected = head_end + 4 + content_length(request.substr(0, head_end));
      }
    }
    return request;
  }

  static size_t content_length(const std::string& head) {
    const size_t at = head.find("Content-Length: ");
    size_t length = 0;
    if (at != std::string::npos) {
      const char* digits = head.data() + at + 16;
      std::from_chars(digits, head.data() + head.size(), length);
    }
    return length;
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mutex_;  // the canned response is changed by the test thread
  int status_ = 404;
  std::string body_;
  std::string last_request_;
  bool silent_ = false;
  std::vector<int> held_;
  std::thread thread_;
};

}  // namespace nexus::net::testing

// A blocking connection to one Redis server (hiredis), owned and used by one thread: the
// RedisLimiter's. Every read and write is bounded by the timeout; a command that fails to
// complete (refused, reset, timed out) breaks the connection, which is then only destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nexus/core/result.h"

struct redisContext;  // NOLINT(readability-identifier-naming): hiredis's name

namespace nexus::governance {

// A reply, copied out of hiredis's tree so that no hiredis pointer outlives its call.
struct RedisReply {
  enum class Type : uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;  // string, status and error replies
  std::vector<RedisReply> elements;

  [[nodiscard]] bool is_error() const { return type == Type::kError; }
};

struct RedisEndpoint {
  std::string host;
  uint16_t port = 6379;
  uint32_t db = 0;
  std::string username;  // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
};

class RedisConnection {
 public:
  // Connects, authenticates and selects the database, each step within `timeout`. Errors
  // (kUpstreamUnavailable) say which step failed and why.
  static Result<std::unique_ptr<RedisConnection>> open(const RedisEndpoint& endpoint,
                                                       std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command and its reply (a Redis error is a reply of type kError, not a failure). A
  // failure is the transport's: the connection is broken from then on.
  Result<RedisReply> command(std::span<const std::string> args);
  // Pipelining: queue commands, then read their replies in order.
  void append(std::span<const std::string> args);
  Result<RedisReply> read_reply();

  [[nodiscard]] bool broken() const { return broken_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  explicit RedisConnection(std::unique_ptr<redisContext, ContextDeleter> context)
      : context_(std::move(context)) {}
  Error transport_error(std::string_view what);

  std::unique_ptr<redisContext, ContextDeleter> context_;
  bool broken_ = false;
};

}  // namespace nexus::governance

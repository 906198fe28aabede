#include "governance/redis_connection.h"

#include <hiredis/hiredis.h>

namespace nexus::governance {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using OwnedReply = std::unique_ptr<redisReply, ReplyDeleter>;

RedisReply copy_reply(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:  // hiredis 0.14 speaks RESP2: no sets, maps or doubles
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) {
        out.elements.push_back(copy_reply(*reply.element[i]));
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

timeval to_timeval(std::chrono::milliseconds timeout) {
  return {.tv_sec = static_cast<time_t>(timeout.count() / 1000),
          .tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
}

}  // namespace

void RedisConnection::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

RedisConnection::~RedisConnection() = default;

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint& endpoint,
                                                               std::chrono::milliseconds timeout) {
  const timeval limit = to_timeval(timeout);
  std::unique_ptr<redisContext, ContextDeleter> context(
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, limit));
  if (context == nullptr) {
    return fail(ErrorCode::kUpstreamUnavailable, "cannot allocate a Redis context");
  }
  if (context->err != 0) {
    std::string message = "cannot connect: ";
    message += context->errstr;
    return fail(ErrorCode::kUpstreamUnavailable, std::move(message));
  }
  if (redisSetTimeout(context.get(), limit) != REDIS_OK) {
    return fail(ErrorCode::kUpstreamUnavailable, "cannot set the socket timeout");
  }
  std::unique_ptr<RedisConnection> connection(new RedisConnection(std::move(context)));
  auto expect_ok = [&](std::vector<std::string> args, std::string_view step) -> Result<void> {
    auto reply = connection->command(args);
    if (!reply) {
      return std::unexpected(std::move(reply.error()));
    }
    if (reply->is_error()) {
      std::string message(step);
      message += ": ";
      message += reply->text;
      return fail(ErrorCode::kUpstreamUnavailable, std::move(message));
    }
    return {};
  };
  if (!endpoint.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!endpoint.username.empty()) {
      auth.push_back(endpoint.username);
    }
    auth.push_back(endpoint.password);
    if (auto done = expect_ok(std::move(auth), "AUTH"); !done) {
      return std::unexpected(std::move(done.error()));
    }
  }
  if (endpoint.db != 0) {
    if (auto done = expect_ok({"SELECT", std::to_string(endpoint.db)}, "SELECT"); !done) {
      return std::unexpected(std::move(done.error()));
    }
  }
  return connection;
}

Error RedisConnection::transport_error(std::string_view what) {
  broken_ = true;
  std::string message(what);
  message += ": ";
  message += context_->errstr[0] != '\0' ? context_->errstr : "connection lost";
  return {ErrorCode::kUpstreamUnavailable, std::move(message)};
}

void RedisConnection::append(std::span<const std::string> args) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  pointers.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(args.size()), pointers.data(),
                             lengths.data()) != REDIS_OK) {
    broken_ = true;
  }
}

Result<RedisReply> RedisConnection::read_reply() {
  if (broken_) {
    return std::unexpected(transport_error("Redis connection broken"));
  }
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
    return std::unexpected(transport_error("Redis command failed"));
  }
  const OwnedReply reply(static_cast<redisReply*>(raw));
  return copy_reply(*reply);
}

Result<RedisReply> RedisConnection::command(std::span<const std::string> args) {
  append(args);
  return read_reply();
}

}  // namespace nexus::governance

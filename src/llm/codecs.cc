// The client's side of the codec choice (codecs.h): the dialect's request decoder, response,
// error and stream encoders.
#include "llm/codecs.h"

#include "llm/dialects/anthropic/messages_request.h"
#include "llm/dialects/anthropic/messages_response.h"
#include "llm/dialects/openai/chat_request.h"
#include "llm/dialects/openai/chat_response.h"

namespace nexus::llm {

Result<Request> decode_client_request(Dialect dialect, std::string_view body) {
  if (dialect == Dialect::kAnthropic) {
    return dialects::anthropic::decode_messages_request(body);
  }
  return dialects::openai::decode_chat_request(body);
}

void encode_client_response(Dialect dialect, const Response& response, int64_t created,
                            std::string& out) {
  if (dialect == Dialect::kAnthropic) {
    dialects::anthropic::encode_messages_response(response, out);
  } else {
    dialects::openai::encode_chat_response(response, created, out);
  }
}

void encode_client_error(Dialect dialect, const ApiError& error, std::string& out) {
  if (dialect == Dialect::kAnthropic) {
    dialects::anthropic::encode_error(error, out);
  } else {
    dialects::openai::encode_error(error, out);
  }
}

namespace {

std::variant<dialects::openai::ChatStreamEncoder, dialects::anthropic::MessagesStreamEncoder>
make_encoder(Dialect dialect, int64_t created, bool include_usage) {
  if (dialect == Dialect::kAnthropic) {
    return dialects::anthropic::MessagesStreamEncoder();
  }
  return dialects::openai::ChatStreamEncoder(created, include_usage);
}

}  // namespace

ClientStreamEncoder::ClientStreamEncoder(Dialect dialect, int64_t created, bool include_usage)
    : encoder_(make_encoder(dialect, created, include_usage)) {}

void ClientStreamEncoder::encode(const StreamEvent& event, std::string& out) {
  std::visit([&](auto& encoder) { encoder.encode(event, out); }, encoder_);
}

void ClientStreamEncoder::encode_error(const ApiError& error, std::string& out) {
  std::visit([&](auto& encoder) { encoder.encode_error(error, out); }, encoder_);
}

}  // namespace nexus::llm

// The codecs of one LLM exchange, chosen at run time: the client's dialect (from the path it
// called) and the provider's type (from the model's config). Everything between the HTTP
// exchange (src/server/llm_exchange.cc) and the individual codecs goes through here, so the
// server knows no dialect and no provider.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/sse/parser.h"
#include "llm/dialects/anthropic/messages_stream.h"
#include "llm/dialects/openai/chat_stream.h"
#include "llm/ir/api_error.h"
#include "llm/ir/embeddings.h"
#include "llm/ir/request.h"
#include "llm/ir/response.h"
#include "llm/ir/stream.h"
#include "nexus/config/config.h"
#include "nexus/core/result.h"
#include "providers/anthropic/stream_decoder.h"
#include "providers/bedrock/event_stream.h"
#include "providers/bedrock/stream_decoder.h"
#include "providers/cohere/stream_decoder.h"
#include "providers/gemini/stream_decoder.h"
#include "providers/openai/stream_decoder.h"

namespace nexus::llm {

enum class Dialect : uint8_t { kOpenAi, kAnthropic };

// --- The client's side ----------------------------------------------------------------------

Result<Request> decode_client_request(Dialect dialect, std::string_view body);
void encode_client_response(Dialect dialect, const Response& response, int64_t created,
                            std::string& out);
void encode_client_error(Dialect dialect, const ApiError& error, std::string& out);

class ClientStreamEncoder {
 public:
  ClientStreamEncoder(Dialect dialect, int64_t created, bool include_usage);
  void encode(const StreamEvent& event, std::string& out);
  void encode_error(const ApiError& error, std::string& out);

 private:
  std::variant<dialects::openai::ChatStreamEncoder, dialects::anthropic::MessagesStreamEncoder>
      encoder_;
};

// --- The provider's side --------------------------------------------------------------------

// The API a provider's model speaks on the wire, which decodes its answers. Vertex AI serves
// Google's models in Gemini's API and Anthropic's (model ids "anthropic/<model>") in Anthropic's;
// every other provider type speaks one.
enum class Wire : uint8_t { kOpenAi, kAnthropic, kGemini, kCohere, kBedrock };
Wire wire_of(const config::Provider& provider, std::string_view model);

// The authentication headers (the provider's key in the header its API wants, or `access_token`
// as a bearer token when set) and the provider's extra headers, each as "\r\nname: value",
// appended to a head being written (its last line not yet ended).
void append_upstream_auth(const config::Provider& provider, std::string_view access_token,
                          std::string& head);

// The upstream request for `request`, sent to `model` (the upstream's id): the HTTP/1.1 head
// (path under the provider's base URL, Host, authentication, the provider's extra headers) and
// the body. `access_token`: for a provider that fetches OAuth tokens (provider.oauth), the
// current one, sent as Authorization: Bearer instead of the provider's key.
Result<void> encode_upstream_request(const config::Provider& provider, const Request& request,
                                     std::string_view model, std::string& head, std::string& body,
                                     std::string_view access_token = {});
// The passthrough fast path: a client that speaks the provider's own API (OpenAI to an
// OpenAI-shaped provider) has its body forwarded to the base URL's path + `endpoint`
// ("/chat/completions", "/embeddings", ...) with only `model` replaced, so every field the
// provider knows reaches it, whether or not Nexus translates it. `request` is the client's
// parsed JSON object (modified); `anthropic_beta`, the client's anthropic-beta header, goes to
// Anthropic providers; `access_token` as for encode_upstream_request. Returns whether the client
// asked for a stream.
bool passthrough_request(const config::Provider& provider, boost::json::object& request,
                         std::string_view model, std::string_view endpoint, std::string& head,
                         std::string& body, std::string_view anthropic_beta = {},
                         std::string_view access_token = {});

// An OpenAI chat request on the passthrough path: a stream is made to ask for its usage
// (stream_options.include_usage), so that it can be metered. Returns whether the client asked
// for it itself (if not, the usage-only chunk is not sent to it).
bool ask_stream_usage(boost::json::object& request);
// The usage in a whole response body the provider wrote (the passthrough path): nothing when it
// has none or it is not valid.
std::optional<Usage> decode_upstream_usage(Wire wire, std::string_view body);

// Bedrock: the head written by encode_upstream_request is signed (AWS SigV4) at the time it is
// written, so a request is encoded right before it is sent.

// Embeddings for a provider whose embeddings API is not OpenAI's (Gemini, Vertex AI, Cohere,
// Bedrock): the client's OpenAI request, decoded into the IR, is encoded in the provider's shape
// as one call, or several (Bedrock's Titan and Nova models and Vertex AI's gemini-embedding
// models take one text per call, Cohere 96, Gemini 100, Vertex's text-embedding models 250), and
// each answer, in order, adds its vectors and input tokens to `out` (`input_tokens`: Bedrock's
// x-amzn-bedrock-input-token-count header). OpenAI-shaped providers get the client's body
// instead (passthrough_request).
struct ProviderRequest {
  std::string head;
  std::string body;
};
bool translates_embeddings(const config::Provider& provider);
// `access_token`: the OAuth token fetched for the provider (vertex with a service account's key).
Result<std::vector<ProviderRequest>> encode_upstream_embeddings(const config::Provider& provider,
                                                                const EmbeddingsRequest& request,
                                                                std::string_view model,
                                                                std::string_view access_token = {});
Result<void> decode_upstream_embeddings(const config::Provider& provider, std::string_view model,
                                        std::string_view body, uint64_t input_tokens,
                                        EmbeddingsResponse& out);

// Rerank (Cohere's API, POST .../rerank): forwarded, not translated. serves_rerank: the provider
// has the endpoint (Cohere). check_rerank_request: the client's body names a query and
// documents (a kBadRequest naming the field when not). decode_rerank_usage: the tokens Cohere
// reports in its answer's meta, if any (rerank is billed in search units, which Usage does not
// carry). src/llm/rerank.cc.
bool serves_rerank(const config::Provider& provider);
Result<void> check_rerank_request(const boost::json::object& request);
std::optional<Usage> decode_rerank_usage(std::string_view body);

Result<Response> decode_upstream_response(Wire wire, std::string_view body);
// `error_type`: the x-amzn-errortype header (Bedrock names its errors there).
ApiError decode_upstream_error(Wire wire, int status, std::string_view body,
                               std::string_view error_type = {});

// A provider's stream, bytes in, IR events out: its framing (server-sent events, or Bedrock's
// binary event stream) and its decoder.
class UpstreamStreamDecoder {
 public:
  using Decoders =
      std::variant<providers::openai::StreamDecoder, providers::anthropic::StreamDecoder,
                   providers::gemini::StreamDecoder, providers::cohere::StreamDecoder,
                   providers::bedrock::StreamDecoder>;
  enum class Step : uint8_t { kEvent, kNeedMore };

  explicit UpstreamStreamDecoder(Wire wire);
  // Consumes `input` up to the end of the next complete upstream event and appends what it
  // means to `out` (kEvent), or consumes all of it (kNeedMore). The events' views stay valid
  // until the next call.
  Result<Step> next(std::string_view& input, std::vector<StreamEvent>& out);
  // The stream has ended: an error when it stopped inside an event, or incomplete.
  Result<void> finish(std::vector<StreamEvent>& out);
  // Server-sent events only: no event is under way (sse::Parser::between_events).
  [[nodiscard]] bool between_events() const { return sse_.between_events(); }

 private:
  Decoders decoder_;
  sse::Parser sse_;
  providers::bedrock::event_stream::Parser frames_;  // Bedrock's framing, instead of sse_
};

}  // namespace nexus::llm

// The provider's side of the codec choice (codecs.h): each provider type's request encoder and
// HTTP head (path, authentication, Bedrock's signature), its response, error, usage and stream
// decoders, and the embeddings codecs.
#include <algorithm>
#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <chrono>
#include <type_traits>

#include "llm/codecs.h"
#include "llm/usage_scan.h"
#include "providers/anthropic/request_encoder.h"
#include "providers/anthropic/response_decoder.h"
#include "providers/anthropic/usage.h"
#include "providers/bedrock/embeddings.h"
#include "providers/bedrock/error_decoder.h"
#include "providers/bedrock/request_encoder.h"
#include "providers/bedrock/response_decoder.h"
#include "providers/bedrock/sigv4.h"
#include "providers/cohere/embeddings.h"
#include "providers/cohere/error_decoder.h"
#include "providers/cohere/request_encoder.h"
#include "providers/cohere/response_decoder.h"
#include "providers/gemini/embeddings.h"
#include "providers/gemini/error_decoder.h"
#include "providers/gemini/request_encoder.h"
#include "providers/gemini/response_decoder.h"
#include "providers/gemini/vertex_embeddings.h"
#include "providers/openai/request_encoder.h"
#include "providers/openai/response_decoder.h"
#include "providers/openai/usage.h"

namespace nexus::llm {
namespace {

bool is_anthropic(const config::Provider& provider) {
  return provider.type == config::ProviderType::kAnthropic;
}

// Adds Bedrock's SigV4 headers to `head` (written for `endpoint` with `body`), signed now.
Result<void> sign_for_aws(const config::Provider& provider, std::string_view endpoint,
                          std::string_view body, std::string& head) {
  std::string path = provider.base_path;
  path += endpoint;
  const std::array signed_headers = {
      providers::bedrock::Header{.name = "content-type", .value = "application/json"}};
  auto added = providers::bedrock::sign({.host = provider.host,
                                         .path = path,
                                         .headers = signed_headers,
                                         .body = body,
                                         .region = provider.aws_region},
                                        {.access_key_id = provider.aws_access_key_id,
                                         .secret_access_key = provider.aws_secret_access_key,
                                         .session_token = provider.aws_session_token},
                                        std::chrono::system_clock::now());
  if (!added) {
    return std::unexpected(std::move(added.error()));
  }
  std::string lines;
  for (const auto& header : *added) {
    lines += header.name;
    lines += ": ";
    lines += header.value;
    lines += "\r\n";
  }
  head.insert(head.size() - 2, lines);
  return {};
}

// Vertex AI: Anthropic's models are named "anthropic/<model>" and take this API version in
// their body.
constexpr std::string_view kVertexAnthropic = "anthropic/";
constexpr std::string_view kVertexAnthropicVersion = "vertex-2023-10-16";

// "/v1/projects/P/locations/L/publishers/<publisher>": where Vertex AI serves a publisher's
// models.
std::string vertex_publisher_path(const config::Provider& provider, std::string_view publisher) {
  std::string path = "/v1/projects/";
  path += provider.gcp_project;
  path += "/locations/";
  path += provider.gcp_location;
  path += "/publishers/";
  path += publisher;
  return path;
}

// The publisher's path + "/models/<model><method>" (":rawPredict", ...).
std::string vertex_model_path(const config::Provider& provider, std::string_view publisher,
                              std::string_view model, std::string_view method) {
  std::string path = vertex_publisher_path(provider, publisher);
  path += "/models/";
  path += boost::urls::encode(model, boost::urls::unreserved_chars);
  path += method;
  return path;
}

// The most texts one embeddings call takes.
constexpr size_t kCohereMaxTexts = 96;
constexpr size_t kGeminiMaxTexts = 100;

// The HTTP/1.1 head of a request to `provider`'s `endpoint` (appended to the base URL's path) for
// `model`: Host, authentication and the provider's extra headers. Azure OpenAI serves each
// deployment (the model's upstream id) under a path of its own, with the API version in the
// query. `access_token`: the OAuth token fetched for the provider (config::OAuthClient), sent
// as a bearer token instead of its key.
void write_upstream_head(const config::Provider& provider, std::string_view endpoint,
                         std::string_view model, size_t body_size, bool stream,
                         std::string_view access_token, std::string& head) {
  head.clear();
  head += "POST ";
  head += provider.base_path;
  if (provider.type == config::ProviderType::kAzureOpenAi) {
    head += "/deployments/";
    head += boost::urls::encode(model, boost::urls::unreserved_chars);
    head += endpoint;
    head += "?api-version=";
    head += provider.api_version;
  } else {
    head += endpoint;
  }
  head += " HTTP/1.1\r\nhost: ";
  head += provider.host;
  head += "\r\ncontent-type: application/json\r\ncontent-length: ";
  head += std::to_string(body_size);
  if (!stream) {
    head += "\r\naccept: application/json";
  } else if (provider.type == config::ProviderType::kBedrock) {
    head += "\r\naccept: application/vnd.amazon.eventstream";
  } else {
    head += "\r\naccept: text/event-stream";
  }
  append_upstream_auth(provider, access_token, head);
  head += "\r\n\r\n";
}

// One embeddings call's body for a provider whose loop is encode_upstream_embeddings' own.
Result<void> encode_embeddings_call(config::ProviderType type, const EmbeddingsRequest& part,
                                    std::string_view model, std::string& body) {
  switch (type) {
    case config::ProviderType::kCohere:
      return providers::cohere::encode_embeddings_request(part, model, body);
    case config::ProviderType::kVertex:
      return providers::gemini::encode_vertex_embeddings_request(part, body);
    default:
      return providers::gemini::encode_embeddings_request(part, model, body);
  }
}

}  // namespace

void append_upstream_auth(const config::Provider& provider, std::string_view access_token,
                          std::string& head) {
  if (!access_token.empty()) {
    head += "\r\nauthorization: Bearer ";
    head += access_token;
  } else if (is_anthropic(provider)) {
    head += "\r\nx-api-key: ";
    head += provider.api_key;
    head += "\r\nanthropic-version: ";
    head += provider.anthropic_version;
  } else if (provider.type == config::ProviderType::kGemini) {
    head += "\r\nx-goog-api-key: ";
    head += provider.api_key;
  } else if (provider.type == config::ProviderType::kAzureOpenAi && !provider.azure_ad_token) {
    head += "\r\napi-key: ";
    head += provider.api_key;
  } else if (!provider.api_key.empty()) {
    head += "\r\nauthorization: Bearer ";
    head += provider.api_key;
  }
  for (const auto& [name, value] : provider.headers) {
    head += "\r\n";
    head += name;
    head += ": ";
    head += value;
  }
}

Wire wire_of(const config::Provider& provider, std::string_view model) {
  switch (provider.type) {
    case config::ProviderType::kAnthropic:
      return Wire::kAnthropic;
    case config::ProviderType::kGemini:
      return Wire::kGemini;
    case config::ProviderType::kVertex:
      return model.starts_with(kVertexAnthropic) ? Wire::kAnthropic : Wire::kGemini;
    case config::ProviderType::kCohere:
      return Wire::kCohere;
    case config::ProviderType::kBedrock:
      return Wire::kBedrock;
    default:
      return Wire::kOpenAi;
  }
}

Result<void> encode_upstream_request(const config::Provider& provider, const Request& request,
                                     std::string_view model, std::string& head, std::string& body,
                                     std::string_view access_token) {
  body.clear();
  Result<void> encoded;
  std::string path;  // when the endpoint is built from the model
  std::string_view endpoint;
  const bool vertex = provider.type == config::ProviderType::kVertex;
  switch (wire_of(provider, model)) {
    case Wire::kAnthropic:
      if (vertex) {
        model.remove_prefix(kVertexAnthropic.size());
      }
      encoded = providers::anthropic::encode_request(
          request,
          {.model = model,
           .drop_unsupported_params = provider.drop_unsupported_params,
           .default_max_tokens = provider.default_max_tokens,
           .body_version = vertex ? kVertexAnthropicVersion : std::string_view{}},
          body);
      if (vertex) {
        path = vertex_model_path(provider, "anthropic", model,
                                 request.stream ? ":streamRawPredict" : ":rawPredict");
      }
      endpoint = vertex ? std::string_view(path) : "/messages";
      break;
    case Wire::kGemini:
      encoded = providers::gemini::encode_request(
          request, {.drop_unsupported_params = provider.drop_unsupported_params}, body);
      if (vertex) {
        path = vertex_publisher_path(provider, "google");
      }
      providers::gemini::append_method_path(model, request.stream, path);
      endpoint = path;
      break;
    case Wire::kCohere:
      encoded = providers::cohere::encode_request(
          request, {.model = model, .drop_unsupported_params = provider.drop_unsupported_params},
          body);
      endpoint = "/chat";
      break;
    case Wire::kBedrock:
      encoded = providers::bedrock::encode_request(
          request, {.drop_unsupported_params = provider.drop_unsupported_params, .model = model},
          body);
      providers::bedrock::append_model_path(model, request.stream, path);
      endpoint = path;
      break;
    case Wire::kOpenAi:
      encoded = providers::openai::encode_request(
          request,
          {.model = model,
           .drop_unsupported_params = provider.drop_unsupported_params,
           .reasoning_content = provider.reasoning_content,
           .max_completion_tokens = provider.max_completion_tokens},
          body);
      endpoint = "/chat/completions";
      break;
  }
  if (!encoded) {
    return encoded;
  }
  write_upstream_head(provider, endpoint, model, body.size(), request.stream, access_token, head);
  if (provider.type == config::ProviderType::kBedrock) {
    return sign_for_aws(provider, endpoint, body, head);
  }
  return {};
}

bool translates_embeddings(const config::Provider& provider) {
  return provider.type == config::ProviderType::kGemini ||
         provider.type == config::ProviderType::kVertex ||
         provider.type == config::ProviderType::kCohere ||
         provider.type == config::ProviderType::kBedrock;
}

Result<std::vector<ProviderRequest>> encode_upstream_embeddings(const config::Provider& provider,
                                                                const EmbeddingsRequest& request,
                                                                std::string_view model,
                                                                std::string_view access_token) {
  std::vector<ProviderRequest> calls;
  if (provider.type == config::ProviderType::kBedrock) {
    auto bodies = providers::bedrock::encode_embeddings(
        request, providers::bedrock::embeddings_family(model), provider.drop_unsupported_params);
    if (!bodies) {
      return std::unexpected(std::move(bodies.error()));
    }
    std::string endpoint;
    providers::bedrock::append_invoke_path(model, /*stream=*/false, endpoint);
    for (std::string& body : *bodies) {
      ProviderRequest& call = calls.emplace_back(ProviderRequest{.body = std::move(body)});
      write_upstream_head(provider, endpoint, model, call.body.size(), /*stream=*/false, {},
                          call.head);
      if (auto signed_head = sign_for_aws(provider, endpoint, call.body, call.head); !signed_head) {
        return std::unexpected(std::move(signed_head.error()));
      }
    }
    return calls;
  }
  // A call takes at most 96 texts (Cohere), 100 (Gemini's batchEmbedContents), or what the
  // model takes (Vertex AI's :predict: 1 or 250).
  std::string endpoint = "/embed";
  size_t batch = kCohereMaxTexts;
  if (provider.type == config::ProviderType::kVertex) {
    endpoint = vertex_model_path(provider, "google", model, ":predict");
    batch = providers::gemini::vertex_embeddings_per_call(model);
  } else if (provider.type != config::ProviderType::kCohere) {
    endpoint.clear();
    providers::gemini::append_embeddings_path(model, endpoint);
    batch = kGeminiMaxTexts;
  }
  EmbeddingsRequest part = request;
  for (size_t first = 0; first < request.inputs.size() || first == 0; first += batch) {
    const size_t last = std::min(request.inputs.size(), first + batch);
    part.inputs.assign(request.inputs.begin() + static_cast<std::ptrdiff_t>(first),
                       request.inputs.begin() + static_cast<std::ptrdiff_t>(last));
    ProviderRequest& call = calls.emplace_back();
    if (auto encoded = encode_embeddings_call(provider.type, part, model, call.body); !encoded) {
      return std::unexpected(std::move(encoded.error()));
    }
    write_upstream_head(provider, endpoint, model, call.body.size(), /*stream=*/false, access_token,
                        call.head);
  }
  return calls;
}

Result<void> decode_upstream_embeddings(const config::Provider& provider, std::string_view model,
                                        std::string_view body, uint64_t input_tokens,
                                        EmbeddingsResponse& out) {
  if (provider.type == config::ProviderType::kBedrock) {
    return providers::bedrock::decode_embeddings(providers::bedrock::embeddings_family(model), body,
                                                 input_tokens, out);
  }
  Result<EmbeddingsResponse> decoded;
  if (provider.type == config::ProviderType::kCohere) {
    decoded = providers::cohere::decode_embeddings_response(body);
  } else if (provider.type == config::ProviderType::kVertex) {
    decoded = providers::gemini::decode_vertex_embeddings_response(body);
  } else {
    decoded = providers::gemini::decode_embeddings_response(body);
  }
  if (!decoded) {
    return std::unexpected(std::move(decoded.error()));
  }
  for (auto& vector : decoded->vectors) {
    out.vectors.push_back(std::move(vector));
  }
  out.usage.input += decoded->usage.input;
  return {};
}

bool passthrough_request(const config::Provider& provider, boost::json::object& request,
                         std::string_view model, std::string_view endpoint, std::string& head,
                         std::string& body, std::string_view anthropic_beta,
                         std::string_view access_token) {
  request["model"] = model;
  const boost::json::value* stream = request.if_contains("stream");
  const bool streamed = stream != nullptr && stream->is_bool() && stream->get_bool();
  body = boost::json::serialize(request);
  write_upstream_head(provider, endpoint, model, body.size(), streamed, access_token, head);
  if (is_anthropic(provider) && !anthropic_beta.empty() &&
      anthropic_beta.find_first_of("\r\n") == std::string_view::npos) {
    head.insert(head.size() - 2, "anthropic-beta: " + std::string(anthropic_beta) + "\r\n");
  }
  return streamed;
}

bool ask_stream_usage(boost::json::object& request) {
  const boost::json::value* stream = request.if_contains("stream");
  boost::json::value* options = request.if_contains("stream_options");
  const boost::json::value* asked = options != nullptr && options->is_object()
                                        ? options->get_object().if_contains("include_usage")
                                        : nullptr;
  const bool client_asked = asked != nullptr && asked->is_bool() && asked->get_bool();
  if (stream == nullptr || !stream->is_bool() || !stream->get_bool() || client_asked) {
    return client_asked;
  }
  if (options == nullptr || !options->is_object()) {
    request["stream_options"] = {{"include_usage", true}};
  } else {
    options->get_object()["include_usage"] = true;
  }
  return false;
}

namespace {

std::optional<Usage> usage_of(Wire wire, const boost::json::object& usage) {
  if (wire == Wire::kAnthropic) {
    providers::anthropic::UsageAccumulator accumulator;
    if (!accumulator.add(usage)) {
      return std::nullopt;
    }
    return accumulator.usage();
  }
  auto decoded = providers::openai::decode_usage(usage);
  return decoded ? std::optional<Usage>(*decoded) : std::nullopt;
}

}  // namespace

std::optional<Usage> decode_upstream_usage(Wire wire, std::string_view body) {
  std::array<unsigned char, 4096> buffer{};  // a response's values, most of the time
  boost::json::monotonic_resource memory(buffer.data(), buffer.size());
  boost::system::error_code ec;
  // Usually the usage object alone (find_top_level_usage); the whole answer when it is not
  // found that way.
  if (const auto text = find_top_level_usage(body)) {
    const boost::json::value usage = boost::json::parse(*text, ec, &memory);
    if (!ec && usage.is_object()) {
      return usage_of(wire, usage.get_object());
    }
  }
  const boost::json::value parsed = boost::json::parse(body, ec, &memory);
  const boost::json::object* response = ec ? nullptr : parsed.if_object();
  const boost::json::value* field = response != nullptr ? response->if_contains("usage") : nullptr;
  if (field == nullptr || !field->is_object()) {
    return std::nullopt;
  }
  return usage_of(wire, field->get_object());
}

Result<Response> decode_upstream_response(Wire wire, std::string_view body) {
  switch (wire) {
    case Wire::kAnthropic:
      return providers::anthropic::decode_response(body);
    case Wire::kGemini:
      return providers::gemini::decode_response(body);
    case Wire::kCohere:
      return providers::cohere::decode_response(body);
    case Wire::kBedrock:
      return providers::bedrock::decode_response(body);
    case Wire::kOpenAi:
      break;
  }
  return providers::openai::decode_response(body);
}

ApiError decode_upstream_error(Wire wire, int status, std::string_view body,
                               std::string_view error_type) {
  switch (wire) {
    case Wire::kAnthropic:
      return providers::anthropic::decode_error(status, body);
    case Wire::kGemini:
      return providers::gemini::decode_error(status, body);
    case Wire::kCohere:
      return providers::cohere::decode_error(status, body);
    case Wire::kBedrock:
      return providers::bedrock::decode_error(status, error_type, body);
    case Wire::kOpenAi:
      break;
  }
  return providers::openai::decode_error(status, body);
}

namespace {

UpstreamStreamDecoder::Decoders make_decoder(Wire wire) {
  switch (wire) {
    case Wire::kAnthropic:
      return providers::anthropic::StreamDecoder();
    case Wire::kGemini:
      return providers::gemini::StreamDecoder();
    case Wire::kCohere:
      return providers::cohere::StreamDecoder();
    case Wire::kBedrock:
      return providers::bedrock::StreamDecoder();
    case Wire::kOpenAi:
      break;
  }
  return providers::openai::StreamDecoder();
}

}  // namespace

UpstreamStreamDecoder::UpstreamStreamDecoder(Wire wire) : decoder_(make_decoder(wire)) {}

Result<UpstreamStreamDecoder::Step> UpstreamStreamDecoder::next(std::string_view& input,
                                                                std::vector<StreamEvent>& out) {
  return std::visit(
      [&](auto& decoder) -> Result<Step> {
        using Decoder = std::decay_t<decltype(decoder)>;
        if constexpr (std::is_same_v<Decoder, providers::bedrock::StreamDecoder>) {
          providers::bedrock::event_stream::Message message;
          auto step = frames_.next(input, message);
          if (!step) {
            return std::unexpected(std::move(step.error()));
          }
          if (*step == providers::bedrock::event_stream::Parser::Step::kNeedMore) {
            return Step::kNeedMore;
          }
          if (auto decoded = decoder.decode(message, out); !decoded) {
            return std::unexpected(std::move(decoded.error()));
          }
        } else {
          sse::Event event;
          auto step = sse_.next(input, event);
          if (!step) {
            return std::unexpected(std::move(step.error()));
          }
          if (*step == sse::Parser::Step::kNeedMore) {
            return Step::kNeedMore;
          }
          if (auto decoded = decoder.decode(event, out); !decoded) {
            return std::unexpected(std::move(decoded.error()));
          }
        }
        return Step::kEvent;
      },
      decoder_);
}

Result<void> UpstreamStreamDecoder::finish(std::vector<StreamEvent>& out) {
  const bool bedrock = std::holds_alternative<providers::bedrock::StreamDecoder>(decoder_);
  if (auto framed = bedrock ? frames_.finish() : sse_.finish(); !framed) {
    return framed;
  }
  return std::visit([&](auto& decoder) { return decoder.finish(out); }, decoder_);
}

}  // namespace nexus::llm

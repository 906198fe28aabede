// The client half of an LLM exchange: the request body, the dialect, the model, and the
// answers (whole bodies, errors in the client's dialect, event streams). llm_upstream.cc calls
// the provider.
#include "server/llm_exchange.h"

#include <boost/json/parse.hpp>
#include <ctime>

#include "core/json_escape.h"
#include "http/http1/head_writer.h"
#include "llm/dialects/openai/embeddings.h"
#include "llm/ir/stream_aggregator.h"
#include "providers/echo/echo.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kJson = "application/json";

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

LlmExchange::Endpoint endpoint_of(std::string_view path) {
  using Endpoint = LlmExchange::Endpoint;
  if (ends_with(path, "/chat/completions")) {
    return Endpoint::kChat;
  }
  if (ends_with(path, "/messages")) {
    return Endpoint::kMessages;
  }
  if (ends_with(path, "/messages/count_tokens")) {
    return Endpoint::kCountTokens;
  }
  if (ends_with(path, "/embeddings")) {
    return Endpoint::kEmbeddings;
  }
  if (ends_with(path, "/completions")) {
    return Endpoint::kCompletions;
  }
  if (ends_with(path, "/rerank")) {
    return Endpoint::kRerank;
  }
  return Endpoint::kNone;
}

llm::ApiError model_not_found(std::string_view model, bool anthropic) {
  std::string message = "The model '";
  message += model;
  message += "' does not exist or is not configured";
  return {.status = 404,
          .type = anthropic ? "not_found_error" : "invalid_request_error",
          .message = std::move(message),
          .param = "model",
          .code = "model_not_found"};
}

}  // namespace

void restyle_for_llm_client(const http1::RequestHead& request, filter::LocalReply& reply) {
  const LlmExchange::Endpoint endpoint = endpoint_of(request.path);
  const bool anthropic = endpoint == LlmExchange::Endpoint::kMessages ||
                         endpoint == LlmExchange::Endpoint::kCountTokens ||
                         (endpoint == LlmExchange::Endpoint::kNone &&
                          http1::find_header(request.headers, "anthropic-version") != nullptr);
  if (!anthropic || !reply.error.has_value()) {
    return;
  }
  llm::ApiError error = llm::api_error(*reply.error);
  error.status = reply.status;
  reply.body.clear();
  llm::encode_client_error(llm::Dialect::kAnthropic, error, reply.body);
  reply.content_type = kJson;
}

// Errors and replies passed to co_await calls are named locals first: g++ 12 mishandles class
// temporaries (std::string members) that live across a co_await.
asio::awaitable<Outcome> LlmExchange::run() {
  const http1::RequestHead& request = downstream_.state().request;
  const std::string_view path = request.path;
  // The path names the endpoint and the dialect; elsewhere (models, unknown paths) the
  // anthropic-version header that Anthropic's SDKs always send does.
  const bool anthropic_client = http1::find_header(request.headers, "anthropic-version") != nullptr;
  endpoint_ = endpoint_of(path);
  const bool anthropic_endpoint =
      endpoint_ == Endpoint::kMessages || endpoint_ == Endpoint::kCountTokens;
  dialect_ = anthropic_endpoint || (anthropic_client && endpoint_ == Endpoint::kNone)
                 ? llm::Dialect::kAnthropic
                 : llm::Dialect::kOpenAi;
  if (request.method == "GET" &&
      (ends_with(path, "/models") || path.find("/models/") != std::string_view::npos)) {
    const size_t slash = path.find("/models/");
    const std::string id(slash == std::string_view::npos ? "" : path.substr(slash + 8));
    downstream_.release_head();
    co_return co_await list_models(id, anthropic_client);
  }
  if (const auto* beta = http1::find_header(request.headers, "anthropic-beta")) {
    anthropic_beta_ = beta->value;  // forwarded on the passthrough path
  }
  if (endpoint_ == Endpoint::kNone) {
    const std::string what = std::string(request.method) + " " + std::string(path);
    downstream_.release_head();
    Error error(ErrorCode::kNotFound,
                "Nexus serves POST /v1/chat/completions, /v1/embeddings, /v1/completions, "
                "/v1/messages, /v1/messages/count_tokens, /v1/rerank and GET /v1/models on this "
                "route, not " +
                    what);
    co_return co_await reply_error(std::move(error));
  }
  if (request.method != "POST") {
    downstream_.release_head();
    Error error(ErrorCode::kMethodNotAllowed, "this endpoint takes POST requests");
    co_return co_await reply_error(std::move(error));
  }
  if (auto body = co_await read_request_body(); !body) {
    Error error = std::move(body.error());
    co_return co_await reply_error(std::move(error));
  }
  if (endpoint_ == Endpoint::kChat || endpoint_ == Endpoint::kMessages) {
    co_return co_await complete_chat();
  }
  co_return co_await forward_to_provider();
}

// The whole body, through the request-body filters when there are any: the decoders need all
// of it.
asio::awaitable<Result<void>> LlmExchange::read_request_body() {
  if (auto checked = downstream_.check_request(); !checked) {
    downstream_.release_head();
    co_return std::unexpected(std::move(checked.error()));
  }
  downstream_.release_head();
  downstream_.begin_body();
  body_.clear();
  GatherWriter gather;
  for (;;) {
    gather.clear();
    auto taken = downstream_.take_body(gather, /*chunked=*/false);
    if (!taken) {
      co_return std::unexpected(std::move(taken.error()));
    }
    for (const auto& buffer : gather.buffers()) {
      body_.append(static_cast<const char*>(buffer.data()), buffer.size());
    }
    downstream_.consume_body(taken->used);
    downstream_.record.request_body_done = taken->done;
    if (taken->done) {
      break;
    }
    if (auto more = co_await downstream_.wait_for_body(); !more) {
      co_return std::unexpected(std::move(more.error()));
    }
  }
  if (downstream_.filters.has_hook(filter::kRequestBodyHook) &&
      downstream_.filters.wants_request_body()) {
    filter::Verdict verdict = downstream_.filters.request_body(body_, /*end=*/true);
    verdict = co_await downstream_.settle(verdict);
    if (verdict == filter::Verdict::kReply || verdict == filter::Verdict::kTooLarge) {
      filter::LocalReply reply = downstream_.filters.take_reply();
      co_return fail(reply.status == 413 ? ErrorCode::kPayloadTooLarge : ErrorCode::kBadRequest,
                     reply.body);
    }
  }
  co_return Result<void>{};
}

asio::awaitable<Outcome> LlmExchange::list_models(std::string_view id, bool anthropic) {
  const Snapshot& snapshot = worker_.snapshot();
  auto write_model = [&](std::string& out, const Snapshot::LlmModel& model) {
    out += anthropic ? R"({"type":"model","id":")" : R"({"id":")";
    append_json_escaped(out, model.model->name);
    if (anthropic) {
      out += R"(","display_name":")";
      append_json_escaped(out, model.model->name);
      out += R"(","created_at":"1970-01-01T00:00:00Z"})";
    } else {
      out += R"(","object":"model","created":0,"owned_by":")";
      append_json_escaped(out, model.provider->name);
      out += "\"}";
    }
  };
  std::string out;
  if (!id.empty()) {
    const auto found = snapshot.models.find(id);
    if (found == snapshot.models.end()) {
      const llm::ApiError missing = model_not_found(id, anthropic);
      co_return co_await reply_error(missing);
    }
    write_model(out, found->second);
    co_return co_await reply_json(200, std::move(out));
  }
  out += anthropic ? R"({"data":[)" : R"({"object":"list","data":[)";
  for (const auto& [name, model] : snapshot.models) {
    if (out.back() == '}') {
      out += ',';
    }
    write_model(out, model);
  }
  out += ']';
  if (anthropic && !snapshot.models.empty()) {
    out += R"(,"has_more":false,"first_id":")";
    append_json_escaped(out, snapshot.models.begin()->first);
    out += R"(","last_id":")";
    append_json_escaped(out, snapshot.models.rbegin()->first);
    out += '"';
  } else if (anthropic) {
    out += R"(,"has_more":false,"first_id":null,"last_id":null)";
  }
  out += '}';
  co_return co_await reply_json(200, std::move(out));
}

asio::awaitable<Outcome> LlmExchange::complete_chat() {
  boost::json::value parsed;
  if (const Snapshot::LlmModel* target = passthrough_target(parsed); target != nullptr) {
    auto token = co_await access_token(*target);
    if (!token) {
      Error error = std::move(token.error());
      co_return co_await reply_error(std::move(error));
    }
    const ProviderCall call = passthrough_call(*target, parsed.get_object(), *token);
    co_return co_await call_provider(call, *target);
  }
  auto request = llm::decode_client_request(dialect_, body_);
  if (!request) {
    Error error = std::move(request.error());
    co_return co_await reply_error(std::move(error));
  }
  const auto& models = worker_.snapshot().models;
  const auto target = models.find(request->model);
  if (target == models.end()) {
    const llm::ApiError missing =
        model_not_found(request->model, dialect_ == llm::Dialect::kAnthropic);
    co_return co_await reply_error(missing);
  }
  if (target->second.provider->type == config::ProviderType::kEcho) {
    co_return co_await answer_in_process(*request, target->second);
  }
  auto token = co_await access_token(target->second);
  if (!token) {
    Error error = std::move(token.error());
    co_return co_await reply_error(std::move(error));
  }
  ProviderCall call{.stream = request->stream, .include_usage = request->include_usage};
  if (auto encoded =
          llm::encode_upstream_request(*target->second.provider, *request,
                                       target->second.model->model, call.head, call.body, *token);
      !encoded) {
    Error error = std::move(encoded.error());
    co_return co_await reply_error(std::move(error));
  }
  co_return co_await call_provider(call, target->second);
}

// Embeddings, legacy completions, Anthropic's count_tokens and Cohere's rerank have no IR: they
// go to a provider that speaks the client's API, with only the model replaced, and come back as
// it answered.
asio::awaitable<Outcome> LlmExchange::forward_to_provider() {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body_, ec);
  boost::json::object* request = ec ? nullptr : parsed.if_object();
  if (request == nullptr) {
    Error error(ErrorCode::kBadRequest, "the request body is not a JSON object");
    co_return co_await reply_error(std::move(error));
  }
  const boost::json::value* model = request->if_contains("model");
  if (model == nullptr || !model->is_string()) {
    Error error(ErrorCode::kBadRequest, "model is required (a string)", "model");
    co_return co_await reply_error(std::move(error));
  }
  if (endpoint_ == Endpoint::kRerank) {
    if (auto checked = llm::check_rerank_request(*request); !checked) {
      Error error = std::move(checked.error());
      co_return co_await reply_error(std::move(error));
    }
  }
  const auto& models = worker_.snapshot().models;
  const auto found = models.find(std::string_view(model->get_string()));
  if (found == models.end()) {
    const llm::ApiError missing =
        model_not_found(model->get_string(), dialect_ == llm::Dialect::kAnthropic);
    co_return co_await reply_error(missing);
  }
  if (endpoint_ == Endpoint::kEmbeddings &&
      found->second.provider->type == config::ProviderType::kEcho) {
    co_return co_await embed_in_process(found->second);
  }
  if (endpoint_ == Endpoint::kEmbeddings && llm::translates_embeddings(*found->second.provider)) {
    co_return co_await embed_translated(found->second);
  }
  const config::ProviderType type = found->second.provider->type;
  bool served = config::speaks_openai_api(type);
  if (endpoint_ == Endpoint::kCountTokens) {
    served = type == config::ProviderType::kAnthropic;
  } else if (endpoint_ == Endpoint::kRerank) {
    served = llm::serves_rerank(*found->second.provider);
  }
  if (!served) {
    std::string message = "the provider of model '";
    message += found->first;
    message += "' ('";
    message += found->second.provider->name;
    message += "') does not serve ";
    message += downstream_.state().log_target;
    Error error(ErrorCode::kBadRequest, std::move(message), "model");
    co_return co_await reply_error(std::move(error));
  }
  std::string_view suffix = "/messages/count_tokens";
  if (endpoint_ == Endpoint::kEmbeddings) {
    suffix = "/embeddings";
  } else if (endpoint_ == Endpoint::kCompletions) {
    suffix = "/completions";
  } else if (endpoint_ == Endpoint::kRerank) {
    suffix = "/rerank";
  }
  auto token = co_await access_token(found->second);
  if (!token) {
    Error error = std::move(token.error());
    co_return co_await reply_error(std::move(error));
  }
  const bool rerank = endpoint_ == Endpoint::kRerank;
  ProviderCall call{.passthrough = true, .check_stream = false, .rerank = rerank};
  const bool streamed =
      llm::passthrough_request(*found->second.provider, *request, found->second.model->model,
                               suffix, call.head, call.body, anthropic_beta_, *token);
  call.stream = streamed && !rerank;  // rerank has no stream: its answer is read whole
  co_return co_await call_provider(call, found->second);
}

// A client of a provider that speaks its API (OpenAI to OpenAI-shaped, Anthropic to Anthropic):
// the body is only checked for a model that is configured; the provider validates the rest, and
// every field it knows reaches it (Anthropic's server tools and betas too).
const Snapshot::LlmModel* LlmExchange::passthrough_target(boost::json::value& parsed) {
  boost::system::error_code ec;
  parsed = boost::json::parse(body_, ec);
  const boost::json::object* request = ec ? nullptr : parsed.if_object();
  const boost::json::value* model = request != nullptr ? request->if_contains("model") : nullptr;
  if (model == nullptr || !model->is_string()) {
    return nullptr;  // the decoder says what is wrong
  }
  const auto& models = worker_.snapshot().models;
  const auto found = models.find(std::string_view(model->get_string()));
  if (found == models.end()) {
    return nullptr;
  }
  const config::ProviderType type = found->second.provider->type;
  if (dialect_ == llm::Dialect::kAnthropic ? type != config::ProviderType::kAnthropic
                                           : !config::speaks_openai_api(type)) {
    return nullptr;
  }
  return &found->second;
}

ProviderCall LlmExchange::passthrough_call(const Snapshot::LlmModel& target,
                                           boost::json::object& request,
                                           std::string_view access_token) {
  const bool anthropic = dialect_ == llm::Dialect::kAnthropic;
  ProviderCall call{.passthrough = true};
  if (!anthropic) {
    call.include_usage = llm::ask_stream_usage(request);
  }
  call.stream = llm::passthrough_request(*target.provider, request, target.model->model,
                                         anthropic ? "/messages" : "/chat/completions", call.head,
                                         call.body, anthropic_beta_, access_token);
  return call;
}

asio::awaitable<Outcome> LlmExchange::answer_in_process(const llm::Request& request,
                                                        const Snapshot::LlmModel& target) {
  std::string storage;
  std::vector<llm::StreamEvent> events;
  providers::echo::answer(request, target.model->model, storage, events);
  meter(target);
  for (const auto& event : events) {
    if (event.kind == llm::StreamEventKind::kUsage) {
      downstream_.record.llm.usage = event.usage;
    }
  }
  co_return co_await answer_events(events, request.stream, request.include_usage);
}

void LlmExchange::meter(const Snapshot::LlmModel& target) {
  downstream_.record.llm.model = target.model->name;
  downstream_.record.llm.provider = target.provider->name;
}

asio::awaitable<Outcome> LlmExchange::embed_in_process(const Snapshot::LlmModel& target) {
  auto request = dialects::openai::decode_embeddings_request(body_);
  if (!request) {
    Error error = std::move(request.error());
    co_return co_await reply_error(std::move(error));
  }
  meter(target);
  const llm::EmbeddingsResponse response = providers::echo::embed(*request, target.model->model);
  downstream_.record.llm.usage = response.usage;
  std::string out;
  dialects::openai::encode_embeddings_response(response, request->base64, out);
  co_return co_await reply_json(200, std::move(out));
}

// Events that are all known at once (the echo provider): one stream write, or one body.
asio::awaitable<Outcome> LlmExchange::answer_events(const std::vector<llm::StreamEvent>& events,
                                                    bool stream, bool include_usage) {
  if (!stream) {
    llm::StreamAggregator aggregator;
    for (const auto& event : events) {
      aggregator.add(event);
    }
    std::string out;
    llm::encode_client_response(dialect_, aggregator.response(), unix_now(), out);
    co_return co_await reply_json(200, std::move(out));
  }
  if (const bool started = co_await start_stream(); !started) {
    co_return Outcome::kClose;
  }
  llm::ClientStreamEncoder encoder(dialect_, unix_now(), include_usage);
  std::string out;
  for (const auto& event : events) {
    encoder.encode(event, out);
  }
  if (auto sent = co_await send_stream(out, /*last=*/true); !sent) {
    co_return downstream_.cut_short(200, sent.error());
  }
  co_return downstream_.end_response(200);
}

// Not coroutines: the reply is built here and moved into reply_filter's frame before they
// return, so nothing refers to their arguments afterwards.
asio::awaitable<Outcome> LlmExchange::reply_json(
    int status, std::string body, std::vector<std::pair<std::string, std::string>> headers,
    std::string content_type) {
  if (content_type.empty()) {
    content_type = kJson;
  }
  filter::LocalReply reply{.status = status,
                           .content_type = std::move(content_type),
                           .body = std::move(body),
                           .headers = std::move(headers)};
  return downstream_.reply_filter(std::move(reply));
}

asio::awaitable<Outcome> LlmExchange::reply_error(const llm::ApiError& error,
                                                  std::string_view retry_after) {
  std::string body;
  llm::encode_client_error(dialect_, error, body);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!retry_after.empty()) {
    headers.emplace_back("retry-after", std::string(retry_after));
  }
  filter::LocalReply reply{.status = error.status,
                           .content_type = std::string(kJson),
                           .body = std::move(body),
                           .headers = std::move(headers)};
  // The exchange's record keeps the reason for the access log.
  reply.error =
      Error(error.status >= 500 ? ErrorCode::kUpstreamProtocolError : ErrorCode::kBadRequest,
            error.message);
  return downstream_.reply_filter(std::move(reply));
}

asio::awaitable<Outcome> LlmExchange::reply_error(Error error) {
  if (downstream_.record.client_gone) {
    downstream_.complete(499, &error);
    co_return Outcome::kClose;
  }
  std::string body;
  llm::encode_client_error(dialect_, llm::api_error(error), body);
  filter::LocalReply reply{
      .status = error.http_status(), .content_type = std::string(kJson), .body = std::move(body)};
  reply.error = error;
  co_return co_await downstream_.reply_filter(std::move(reply));
}

asio::awaitable<bool> LlmExchange::start_stream() {
  http1::ResponseHead& response = downstream_.state().response;
  response.clear();
  response.status = 200;
  response.reason = "OK";
  response.headers = {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}};
  response.framing = http1::BodyFraming::kChunked;
  if (downstream_.filters.has_hook(filter::kResponseHeadersHook)) {
    filter::Verdict verdict =
        downstream_.filters.response_headers(200, response.headers, /*local=*/false);
    verdict = co_await downstream_.settle(verdict);
    if (verdict == filter::Verdict::kReply) {
      co_await downstream_.reply_filter(downstream_.filters.take_reply());
      co_return false;
    }
  }
  stream_filtered_ = downstream_.filters.has_hook(filter::kResponseBodyHook) &&
                     downstream_.filters.wants_response_body();
  const ResponseStart start = downstream_.begin_response();
  stream_chunked_ = start.chunk_body;
  stream_head_ = start.head;
  stream_head_pending_ = true;
  stream_started_ = true;
  co_return true;
}

asio::awaitable<Result<void>> LlmExchange::send_stream(std::string& piece, bool last) {
  if (piece.empty() && !last && !stream_head_pending_) {
    co_return Result<void>{};  // a read that completed no event
  }
  if (stream_filtered_) {
    filter::Verdict verdict = downstream_.filters.response_body(piece, last);
    verdict = co_await downstream_.settle(verdict);
    if (verdict != filter::Verdict::kContinue) {
      co_return fail(ErrorCode::kInternal, "a response body filter stopped the event stream");
    }
  }
  GatherWriter gather;
  if (stream_head_pending_) {
    gather.add(stream_head_);
  }
  gather.add_body(piece, stream_chunked_);
  std::string last_chunk;
  if (last && stream_chunked_) {
    http1::write_last_chunk({}, last_chunk);
    gather.add(last_chunk);
  }
  const bool written = co_await downstream_.send_response(gather, last, {});
  stream_head_pending_ = false;
  piece.clear();
  if (!written) {
    downstream_.record.client_gone = true;
    co_return fail(ErrorCode::kBadRequest, "the client went away during the response");
  }
  co_return Result<void>{};
}

}  // namespace nexus::server

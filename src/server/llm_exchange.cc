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

// Whatever way the exchange ended, an admitted request is settled: the scopes get back what it
// reserved and the ledger gets its record (successful answers settled before their last bytes).
asio::awaitable<Outcome> LlmExchange::run() {
  const Outcome outcome = co_await serve_request();
  record_metrics();
  if (admission_.active()) {
    const int status = downstream_.record.client_gone ? 499 : downstream_.state().response.status;
    co_await settle_usage(status, /*wait_until_durable=*/false);
  }
  co_return outcome;
}

// Errors and replies passed to co_await calls are named locals first: g++ 12 mishandles class
// temporaries (std::string members) that live across a co_await.
asio::awaitable<Outcome> LlmExchange::serve_request() {
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
  downstream_.record.protocol = dialect_ == llm::Dialect::kAnthropic ? ClientProtocol::kLlmAnthropic
                                                                     : ClientProtocol::kLlmOpenAi;
  if (auto refused = authenticate_key()) {
    downstream_.release_head();
    Error error = std::move(*refused);
    co_return co_await reply_error(std::move(error));
  }
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
  const auto* credential = worker_.snapshot().has_splits
                               ? http1::find_header(request.headers, "authorization")
                               : nullptr;
  if (credential == nullptr && worker_.snapshot().has_splits) {
    credential = http1::find_header(request.headers, "x-api-key");
  }
  if (credential != nullptr) {
    credential_ = credential->value;
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
  // owned_by: the provider of the group's first deployment ("nexus" for a split).
  auto write_model = [&](std::string& out, const Snapshot::LlmGroup& group) {
    out += anthropic ? R"({"type":"model","id":")" : R"({"id":")";
    append_json_escaped(out, group.model->name);
    if (anthropic) {
      out += R"(","display_name":")";
      append_json_escaped(out, group.model->name);
      out += R"(","created_at":"1970-01-01T00:00:00Z"})";
    } else {
      out += R"(","object":"model","created":0,"owned_by":")";
      append_json_escaped(out, group.count > 0 ? snapshot.deployments[group.first].provider->name
                                               : std::string_view("nexus"));
      out += "\"}";
    }
  };
  std::string out;
  if (!id.empty()) {
    const auto found = snapshot.models.find(id);
    if (found == snapshot.models.end() || !may_list_model(id)) {
      co_return co_await reply_model_not_found(id);
    }
    write_model(out, found->second);
    co_return co_await reply_json(200, std::move(out));
  }
  out += anthropic ? R"({"data":[)" : R"({"object":"list","data":[)";
  std::string_view first;  // a virtual key lists only the models it may use
  std::string_view last;
  for (const auto& [name, model] : snapshot.models) {
    if (!may_list_model(name)) {
      continue;
    }
    if (out.back() == '}') {
      out += ',';
    }
    write_model(out, model);
    first = first.empty() ? std::string_view(name) : first;
    last = name;
  }
  out += ']';
  if (anthropic && !first.empty()) {
    out += R"(,"has_more":false,"first_id":")";
    append_json_escaped(out, first);
    out += R"(","last_id":")";
    append_json_escaped(out, last);
    out += '"';
  } else if (anthropic) {
    out += R"(,"has_more":false,"first_id":null,"last_id":null)";
  }
  out += '}';
  co_return co_await reply_json(200, std::move(out));
}

ProviderCall LlmExchange::passthrough_call(const Snapshot::LlmDeployment& target,
                                           boost::json::object& request,
                                           std::string_view access_token) {
  const bool anthropic = dialect_ == llm::Dialect::kAnthropic;
  ProviderCall call{.passthrough = true};
  if (!anthropic) {
    call.include_usage = llm::ask_stream_usage(request);
  }
  call.stream = llm::passthrough_request(*target.provider, request, target.upstream_model(),
                                         anthropic ? "/messages" : "/chat/completions", call.head,
                                         call.body, anthropic_beta_, access_token);
  return call;
}

asio::awaitable<Outcome> LlmExchange::answer_in_process(const llm::Request& request,
                                                        const Snapshot::LlmDeployment& target) {
  std::string storage;
  std::vector<llm::StreamEvent> events;
  providers::echo::answer(request, target.upstream_model(), storage, events);
  meter(target);
  for (const auto& event : events) {
    if (event.kind == llm::StreamEventKind::kUsage) {
      downstream_.record.llm.usage = event.usage;
    }
  }
  co_return co_await answer_events(events, request.stream, request.include_usage);
}

void LlmExchange::meter(const Snapshot::LlmDeployment& target) {
  answered_by_ = &target;
  downstream_.record.llm.model = target.group->name;
  downstream_.record.llm.variant = variant_;
  downstream_.record.llm.attempts = attempts_;
  downstream_.record.llm.provider = target.provider->name;
}

asio::awaitable<Outcome> LlmExchange::embed_in_process(const Snapshot::LlmDeployment& target) {
  auto request = dialects::openai::decode_embeddings_request(body_);
  if (!request) {
    Error error = std::move(request.error());
    co_return co_await reply_error(std::move(error));
  }
  meter(target);
  const llm::EmbeddingsResponse response =
      providers::echo::embed(*request, target.upstream_model());
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

// Not a coroutine: the error is encoded before it returns.
asio::awaitable<Outcome> LlmExchange::reply_model_not_found(std::string_view model) {
  const llm::ApiError missing = model_not_found(model, dialect_ == llm::Dialect::kAnthropic);
  return reply_error(missing);
}

// Not coroutines: the reply is built here and moved into reply_filter's frame before they
// return, so nothing refers to their arguments afterwards.
asio::awaitable<Outcome> LlmExchange::reply_json(
    int status, std::string body, std::vector<std::pair<std::string, std::string>> headers,
    std::string content_type) {
  if (content_type.empty()) {
    content_type = kJson;
  }
  if (admission_.active() && status < 400) {
    co_await settle_usage(status, /*wait_until_durable=*/true);
  }
  add_routing_headers(headers);
  filter::LocalReply reply{.status = status,
                           .content_type = std::move(content_type),
                           .body = std::move(body),
                           .headers = std::move(headers)};
  co_return co_await downstream_.reply_filter(std::move(reply));
}

asio::awaitable<Outcome> LlmExchange::reply_error(const llm::ApiError& error,
                                                  std::string_view retry_after) {
  std::string body;
  llm::encode_client_error(dialect_, error, body);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!retry_after.empty()) {
    headers.emplace_back("retry-after", std::string(retry_after));
  }
  add_routing_headers(headers);
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
  add_routing_headers(reply.headers);
  reply.error = error;
  co_return co_await downstream_.reply_filter(std::move(reply));
}

asio::awaitable<bool> LlmExchange::start_stream() {
  http1::ResponseHead& response = downstream_.state().response;
  response.clear();
  response.status = 200;
  response.reason = "OK";
  response.headers = {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}};
  stream_headers_.clear();
  add_routing_headers(stream_headers_);
  for (const auto& [name, value] : stream_headers_) {
    response.headers.push_back({name, value});
  }
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
  sse_stream_.emplace(worker_.metrics(), StreamKind::kLlmSse);
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
  if (last && admission_.active()) {
    co_await settle_usage(200, /*wait_until_durable=*/true);
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

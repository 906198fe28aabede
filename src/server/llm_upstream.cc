// The provider half of an LLM exchange: the translated request sent over a pooled HTTP/1.1
// connection of the provider's cluster, and its answer's head; llm_relay.cc reads the body,
// whole or as an event stream translated event by event.
#include <fmt/format.h>

#include <boost/asio/write.hpp>
#include <charconv>
#include <ctime>
#include <random>

#include "http/http1/parser.h"
#include "llm/dialects/openai/embeddings.h"
#include "obs/tracing/gen_ai.h"
#include "proxy/upstream/cluster_runtime.h"
#include "server/io_constants.h"
#include "server/llm_exchange.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// gen_ai.operation.name of an endpoint (count_tokens and rerank have no conventional name).
std::string_view gen_ai_operation(LlmExchange::Endpoint endpoint) {
  switch (endpoint) {
    case LlmExchange::Endpoint::kEmbeddings:
      return "embeddings";
    case LlmExchange::Endpoint::kCompletions:
      return "text_completion";
    case LlmExchange::Endpoint::kCountTokens:
      return "count_tokens";
    case LlmExchange::Endpoint::kRerank:
      return "rerank";
    default:
      return "chat";
  }
}

// gen_ai.request.max_tokens: the client's max_completion_tokens or max_tokens, when given.
std::optional<uint64_t> requested_max_tokens(const boost::json::value& body) {
  const boost::json::object* object = body.if_object();
  if (object == nullptr) {
    return std::nullopt;
  }
  for (const std::string_view key : {"max_completion_tokens", "max_tokens"}) {
    const boost::json::value* value = object->if_contains(key);
    if (value != nullptr && value->is_uint64()) {
      return value->get_uint64();
    }
    if (value != nullptr && value->is_int64() && value->get_int64() >= 0) {
      return static_cast<uint64_t>(value->get_int64());
    }
  }
  return std::nullopt;
}

// The id of an answer whose provider gave none (Bedrock): 24 random hex digits.
std::string generated_answer_id() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return fmt::format("{:016x}{:08x}", random(), static_cast<uint32_t>(random()));
}

}  // namespace

InFlight::InFlight(proxy::ClusterRuntime& cluster, size_t endpoint)
    : cluster_(&cluster), endpoint_(endpoint) {
  cluster.load_balancer().on_request_start(endpoint);
}

InFlight::~InFlight() {
  if (cluster_ != nullptr) {
    cluster_->load_balancer().on_request_end(endpoint_);
  }
}

asio::awaitable<Result<ProviderAnswer>> LlmExchange::open_call(
    const std::string& head, const std::string& body, size_t cluster_id,
    const config::Provider& provider, std::chrono::milliseconds first_byte) {
  proxy::ClusterRuntime& cluster = worker_.cluster(cluster_id);
  const auto endpoint = cluster.load_balancer().pick({});
  if (!endpoint) {
    co_return fail(ErrorCode::kUpstreamUnavailable,
                   "provider '" + provider.name + "' cannot be reached");
  }
  ExchangeRecord& record = downstream_.record;
  record.upstream_name = &cluster.endpoint_name(*endpoint);
  if (record.upstream_start == Clock::time_point{}) {  // the first of an exchange's calls
    record.deadline = route_.timeouts.total.count() == 0 ? Clock::time_point::max()
                                                         : Clock::now() + route_.timeouts.total;
  }
  record.upstream_start = Clock::now();
  InFlight in_flight(cluster, *endpoint);
  Result<std::unique_ptr<proxy::UpstreamConnection>> upstream;
  Result<size_t> head_size = 0;
  // A pooled connection the provider closed while idle fails before any answer byte: the
  // request goes once more, on a new connection (as the plain proxy does).
  for (bool pooled = true;; pooled = false) {
    upstream = co_await send_upstream(cluster, *endpoint, head, body, pooled);
    if (!upstream) {
      co_return std::unexpected(std::move(upstream.error()));
    }
    head_size = co_await read_upstream_head(downstream_, **upstream,
                                            worker_.snapshot().response_limits, first_byte, "POST");
    if (head_size) {
      break;
    }
    record.upstream = nullptr;
    const bool stale = (*upstream)->reused() && (*upstream)->in().empty() &&
                       head_size.error().code() == ErrorCode::kUpstreamReset;
    if (!stale || !pooled || record.client_gone) {
      co_return std::unexpected(std::move(head_size.error()));
    }
  }
  record.upstream_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - record.upstream_start).count();
  const http1::ResponseHead& response = downstream_.state().response;
  ProviderAnswer answer{.in_flight = std::move(in_flight),
                        .connection = std::move(*upstream),
                        .body = {.head_size = *head_size,
                                 .framing = response.framing,
                                 .content_length = response.content_length,
                                 .keep_alive = response.keep_alive},
                        .status = response.status};
  if (const auto* field = http1::find_header(response.headers, "retry-after")) {
    answer.retry_after = field->value;
  }
  if (const auto* field = http1::find_header(response.headers, "x-amzn-errortype")) {
    answer.error_type = field->value;
  }
  if (const auto* field =
          http1::find_header(response.headers, "x-amzn-bedrock-input-token-count")) {
    std::from_chars(field->value.data(), field->value.data() + field->value.size(),
                    answer.input_tokens);
  }
  co_return std::move(answer);
}

void LlmExchange::close_call(ProviderAnswer& answer, bool reusable) {
  downstream_.record.upstream = nullptr;
  if (reusable) {
    answer.connection->mark_reused();
    answer.in_flight.cluster().give_back(std::move(answer.connection));
  }
}

// One attempt: the answer goes to the client when it is a success (or not worth trying
// elsewhere, which the caller decides from the result); a failure is returned unanswered.
void LlmExchange::trace_attempt(ProviderCall& call, const Snapshot::LlmDeployment& target) {
  obs::tracing::RequestTrace& trace = downstream_.record.trace;
  if (!trace.active()) {
    return;
  }
  trace.begin_llm_attempt({.operation = gen_ai_operation(endpoint_),
                           .provider = obs::tracing::gen_ai_provider_name(target.provider->type),
                           .request_model = target.upstream_model(),
                           .max_tokens = requested_max_tokens(parsed_)});
  trace.inject(call.head);
}

asio::awaitable<AttemptResult> LlmExchange::call_provider(ProviderCall& call,
                                                          const Snapshot::LlmDeployment& target) {
  const llm::Wire wire = llm::wire_of(*target.provider, target.upstream_model());
  AttemptResult result;
  const UpstreamTiming timing(downstream_.record, worker_.metrics(), target.cluster);
  trace_attempt(call, target);
  const auto started = Clock::now();
  auto answer = co_await open_call(call.head, call.body, target.cluster, *target.provider,
                                   first_byte_timeout_);
  result.first_byte = Clock::now() - started;
  if (!answer) {
    result.error = std::move(answer.error());
    co_return result;
  }
  const int status = answer->status;
  downstream_.record.trace.attempt_status(status);
  if (status >= 200 && status < 300) {  // the deployment's model id; usage at completion
    downstream_.record.trace.attempt_usage(target.upstream_model(), std::nullopt, std::nullopt);
  }
  bool reusable = false;
  if (status >= 200 && status < 300 && call.stream) {
    downstream_.record.trace.begin_stream();
    auto first = co_await await_first_bytes(*answer->connection, answer->body);
    result.first_byte = Clock::now() - started;
    if (first) {
      downstream_.record.trace.first_token();
      first_token_at_ = Clock::now();
    }
    if (!first) {
      close_call(*answer, /*reusable=*/false);
      result.error = std::move(first.error());
      co_return result;
    }
    result.outcome = co_await relay_stream(*answer->connection, answer->body, wire, call, reusable);
    close_call(*answer, reusable);
    co_return result;
  }
  // Rerank's answer goes back with its content type, taken before the body read ends the
  // head's views (only then: the chat path makes no copy).
  std::string content_type;
  if (call.rerank) {
    if (const auto* field =
            http1::find_header(downstream_.state().response.headers, "content-type")) {
      content_type = field->value;
    }
  }
  auto whole = co_await read_whole_body(*answer->connection, answer->body, reusable);
  close_call(*answer, reusable);
  ExchangeRecord& record = downstream_.record;
  if (!whole) {
    result.error = std::move(whole.error());
  } else if (status < 200 || status >= 300) {
    result.api_error = llm::decode_upstream_error(wire, status, *whole, answer->error_type);
    result.retry_after = std::move(answer->retry_after);
  } else if (call.passthrough && call.rerank) {
    record.llm.usage = llm::decode_rerank_usage(*whole);
    result.outcome = co_await reply_json(status, std::move(*whole), {}, std::move(content_type));
  } else if (call.passthrough) {
    record.llm.usage = llm::decode_upstream_usage(wire, *whole);
    result.outcome = co_await reply_json(200, std::move(*whole));
  } else if (auto decoded = llm::decode_upstream_response(wire, *whole); !decoded) {
    result.error = std::move(decoded.error());
  } else {
    record.llm.usage = decoded->usage;
    if (decoded->model.empty()) {
      decoded->model = record.llm.model;
    }
    if (decoded->id.empty()) {
      decoded->id = generated_answer_id();
    }
    std::string out;
    llm::encode_client_response(dialect_, *decoded, static_cast<int64_t>(std::time(nullptr)), out);
    result.outcome = co_await reply_json(200, std::move(out));
  }
  co_return result;
}

asio::awaitable<Result<void>> LlmExchange::await_first_bytes(proxy::UpstreamConnection& upstream,
                                                             UpstreamBody& body) {
  if (body.framing == http1::BodyFraming::kNone) {
    co_return Result<void>{};
  }
  upstream.in().consume(body.head_size);  // the head's views die here
  body.head_size = 0;
  // The first-byte deadline set for the head still runs: it bounds the time to first token.
  const AwaitingUpstream awaiting(downstream_);
  while (upstream.in().empty()) {
    auto [error, n] = co_await upstream.stream().async_read_some(
        upstream.in().prepare(kReadChunk, kMaxBodyBuffer), kAwait);
    if (error == asio::error::eof && body.framing == http1::BodyFraming::kUntilClose) {
      co_return Result<void>{};  // an empty stream: the decoder says it is incomplete
    }
    if (error && downstream_.timed_out(Phase::kUpstreamFirstByte)) {
      co_return fail(ErrorCode::kUpstreamTimeout, "the provider sent no token in time");
    }
    if (error) {
      co_return fail(ErrorCode::kUpstreamReset,
                     "the provider's stream ended before its first event: " + error.message());
    }
    upstream.in().commit(n);
  }
  co_return Result<void>{};
}

// Embeddings from a provider whose embeddings API is not OpenAI's: one or more calls (Bedrock's
// Titan and Nova models take one text per call), their vectors put together in the inputs'
// order and written in OpenAI's shape.
asio::awaitable<Outcome> LlmExchange::embed_translated(const Snapshot::LlmDeployment& target) {
  const config::Provider& provider = *target.provider;
  auto request = dialects::openai::decode_embeddings_request(body_);
  if (!request) {
    Error error = std::move(request.error());
    co_return co_await reply_error(std::move(error));
  }
  auto token = co_await access_token(target);
  if (!token) {
    Error error = std::move(token.error());
    co_return co_await reply_error(std::move(error));
  }
  auto calls = llm::encode_upstream_embeddings(provider, *request, target.upstream_model(), *token);
  if (!calls) {
    Error error = std::move(calls.error());
    co_return co_await reply_error(std::move(error));
  }
  meter(target);
  llm::EmbeddingsResponse response;
  for (const llm::ProviderRequest& call : *calls) {
    auto answer = co_await open_call(call.head, call.body, target.cluster, provider,
                                     route_.timeouts.first_byte);
    if (!answer) {
      co_return co_await reply_error(std::move(answer.error()));
    }
    bool reusable = false;
    auto whole = co_await read_whole_body(*answer->connection, answer->body, reusable);
    close_call(*answer, reusable);
    if (!whole) {
      co_return co_await reply_error(std::move(whole.error()));
    }
    if (answer->status < 200 || answer->status >= 300) {
      const llm::ApiError error =
          llm::decode_upstream_error(llm::wire_of(provider, target.upstream_model()),
                                     answer->status, *whole, answer->error_type);
      co_return co_await reply_error(error, answer->retry_after);
    }
    if (auto decoded = llm::decode_upstream_embeddings(provider, target.upstream_model(), *whole,
                                                       answer->input_tokens, response);
        !decoded) {
      co_return co_await reply_error(std::move(decoded.error()));
    }
  }
  if (response.vectors.size() != request->inputs.size()) {
    std::string message = "the provider answered ";
    message += std::to_string(response.vectors.size());
    message += " embeddings for ";
    message += std::to_string(request->inputs.size());
    message += " inputs";
    Error error(ErrorCode::kUpstreamProtocolError, std::move(message));
    co_return co_await reply_error(std::move(error));
  }
  response.model = downstream_.record.llm.model;  // the name the client knows
  downstream_.record.llm.usage = response.usage;
  std::string out;
  dialects::openai::encode_embeddings_response(response, request->base64, out);
  co_return co_await reply_json(200, std::move(out));
}

// A stream's start as the client sees it: a provider that names no model (Cohere, Bedrock) gets
// the client's model name, one that gives no id an id made here (kept in `storage`).
void LlmExchange::name_answer(llm::StreamEvent& start, std::string& storage) const {
  if (start.name.empty()) {
    start.name = downstream_.record.llm.model;
  }
  if (start.id.empty()) {
    storage = generated_answer_id();
    start.id = storage;
  }
}

// A pooled connection first (unless `pooled` is false); one whose write fails may have been
// closed by the provider while idle, so the request (whole in memory) is sent once more on a
// new one.
asio::awaitable<Result<std::unique_ptr<proxy::UpstreamConnection>>> LlmExchange::send_upstream(
    proxy::ClusterRuntime& cluster, size_t endpoint, const std::string& head,
    const std::string& body, bool pooled) {
  ExchangeRecord& record = downstream_.record;
  for (int attempt = 0;; ++attempt) {
    auto connected =
        co_await connect_upstream(downstream_, cluster, endpoint, pooled && attempt == 0);
    if (!connected) {
      co_return connected;
    }
    std::unique_ptr<proxy::UpstreamConnection> upstream = std::move(*connected);
    const std::array buffers = {asio::buffer(head), asio::buffer(body)};
    downstream_.set_deadline(route_.timeouts.idle, Phase::kUpstreamBody);
    auto [error, n] = co_await asio::async_write(upstream->stream(), buffers, kAwait);
    if (!error) {
      co_return upstream;
    }
    record.upstream = nullptr;
    if (!upstream->reused() || attempt > 0 || record.client_gone) {
      co_return fail(downstream_.timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                                 : ErrorCode::kUpstreamReset,
                     "sending the request to the provider failed: " + error.message());
    }
  }
}

}  // namespace nexus::server

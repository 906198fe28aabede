// Model routing in the LLM exchange: the model name resolved to its group (an A/B split to
// the client's variant), then attempts at the group's deployments, its fallbacks and its
// context fallback, until one answers or none is left (docs/routing.md). An attempt may be
// followed by another only while nothing has reached the client.
#include <boost/json/parse.hpp>
#include <cctype>
#include <charconv>

#include "llm/routing/strategy.h"
#include "server/llm_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

using Endpoint = LlmExchange::Endpoint;

bool serves_endpoint(const config::Provider& provider, int endpoint) {
  switch (static_cast<Endpoint>(endpoint)) {
    case Endpoint::kEmbeddings:
      return provider.type == config::ProviderType::kEcho ||
             config::speaks_openai_api(provider.type) || llm::translates_embeddings(provider);
    case Endpoint::kCompletions:
      return config::speaks_openai_api(provider.type);
    case Endpoint::kCountTokens:
      return provider.type == config::ProviderType::kAnthropic;
    case Endpoint::kRerank:
      return llm::serves_rerank(provider);
    default:
      return true;
  }
}

bool contains_lower(std::string text, std::string_view what) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text.find(what) != std::string::npos;
}

// The providers' ways of saying that a request does not fit the model's context window.
bool is_context_error(const llm::ApiError& error) {
  if (error.code == "context_length_exceeded") {
    return true;
  }
  for (const std::string_view phrase :
       {"context length", "context_length", "context window", "maximum context",
        "prompt is too long", "input is too long", "too many tokens",
        "exceeds the maximum number of tokens"}) {
    if (contains_lower(error.message, phrase)) {
      return true;
    }
  }
  return false;
}

AttemptVerdict judge(const AttemptResult& result, bool client_gone) {
  if (result.outcome) {
    return AttemptVerdict::kSuccess;
  }
  if (client_gone) {
    return AttemptVerdict::kNeutral;
  }
  if (result.error) {
    // A full pool or no address says nothing of the provider; everything else does.
    return result.error->code() == ErrorCode::kUpstreamUnavailable ? AttemptVerdict::kNeutral
                                                                   : AttemptVerdict::kFailure;
  }
  const int status = result.api_error.status;
  if (status == 429) {
    return AttemptVerdict::kRateLimited;
  }
  if (status == 401 || status == 403) {
    return AttemptVerdict::kMisconfigured;
  }
  if (status == 408 || status >= 500) {
    return AttemptVerdict::kFailure;
  }
  if ((status == 400 || status == 413) && is_context_error(result.api_error)) {
    return AttemptVerdict::kTooLong;
  }
  return AttemptVerdict::kClientError;
}

// Failures that leave the client without any answer from a provider: a route's
// fallback_response may stand in for them (a provider's own error answers are never replaced).
bool cannot_reach(ErrorCode code) {
  return code == ErrorCode::kUpstreamConnectFailed || code == ErrorCode::kUpstreamReset ||
         code == ErrorCode::kUpstreamTimeout || code == ErrorCode::kUpstreamProtocolError ||
         code == ErrorCode::kUpstreamUnavailable;
}

uint64_t seconds_of(std::string_view retry_after) {
  uint64_t seconds = 0;
  const auto [end, error] =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
  return error == std::errc{} && end == retry_after.data() + retry_after.size() ? seconds : 0;
}

// The routing span (docs/observability.md), open while serve() picks deployments and they answer.
class RoutingSpan {
 public:
  RoutingSpan(obs::tracing::RequestTrace& trace, std::string_view model) : trace_(trace) {
    trace_.begin_routing(model);
  }
  ~RoutingSpan() { trace_.end_routing(); }
  RoutingSpan(const RoutingSpan&) = delete;
  RoutingSpan& operator=(const RoutingSpan&) = delete;

 private:
  obs::tracing::RequestTrace& trace_;
};

// An attempt's span ends with its failure, or the answer's model and usage.
void end_attempt_span(ExchangeRecord& record, const AttemptResult& result, std::string_view model) {
  if (!record.trace.sampled()) {
    return;
  }
  if (result.error) {
    record.trace.attempt_failed(result.error->code_name(), result.error->message());
  } else if (result.outcome && record.llm.usage) {
    record.trace.attempt_usage(model, record.llm.usage->input, record.llm.usage->output);
  } else if (result.outcome) {
    record.trace.attempt_usage(model, std::nullopt, std::nullopt);
  }
  record.trace.end_attempt();
}

}  // namespace

asio::awaitable<Outcome> LlmExchange::complete_chat() {
  boost::system::error_code ec;
  parsed_ = boost::json::parse(body_, ec);
  const boost::json::object* request = ec ? nullptr : parsed_.if_object();
  const boost::json::value* model = request != nullptr ? request->if_contains("model") : nullptr;
  if (model == nullptr || !model->is_string()) {
    // The decoder says what is wrong with the body.
    auto decoded = llm::decode_client_request(dialect_, body_);
    Error error = decoded ? Error(ErrorCode::kBadRequest, "model is required (a string)", "model")
                          : std::move(decoded.error());
    co_return co_await reply_error(std::move(error));
  }
  co_return co_await serve_model(std::string(model->get_string()));
}

// Embeddings, legacy completions, Anthropic's count_tokens and Cohere's rerank have no IR: they
// go to a provider that speaks the client's API, with only the model replaced, and come back as
// it answered.
asio::awaitable<Outcome> LlmExchange::forward_to_provider() {
  boost::system::error_code ec;
  parsed_ = boost::json::parse(body_, ec);
  boost::json::object* request = ec ? nullptr : parsed_.if_object();
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
  co_return co_await serve_model(std::string(model->get_string()));
}

asio::awaitable<Outcome> LlmExchange::serve_model(std::string name) {
  const auto& models = worker_.snapshot().models;
  const auto found = models.find(name);
  if (found == models.end()) {
    co_return co_await reply_model_not_found(name);
  }
  const Snapshot::LlmGroup* group = &found->second;
  if (!group->variants.empty()) {
    const size_t variant = llm::routing::pick_variant(group->model->split, sticky_key());
    variant_ = group->model->split[variant].model;
    group = group->variants[variant];
  }
  const boost::json::object* request = parsed_.if_object();
  const bool chat = endpoint_ == Endpoint::kChat || endpoint_ == Endpoint::kMessages;
  if ((group->inspects_requests || (grant_ != nullptr && chat)) && request != nullptr) {
    needs_ = llm::routing::needs_of(*request, dialect_ == llm::Dialect::kAnthropic);
  } else if (request != nullptr) {
    const auto* stream = request->if_contains("stream");
    needs_.stream = stream != nullptr && stream->is_bool() && stream->get_bool();
    needs_.prompt_tokens = (body_.size() + 3) / 4;  // embeddings, rerank: the input, roughly
  }
  std::optional<governance::Refused> refused = co_await admit_request(*group, name);
  if (refused) {
    const std::string retry_after = refused->retry_after_seconds == 0
                                        ? std::string()
                                        : std::to_string(refused->retry_after_seconds);
    llm::ApiError error = llm::api_error(refused->error);
    co_return co_await reply_error(error, retry_after);
  }
  co_return co_await serve(*group);
}

asio::awaitable<Outcome> LlmExchange::serve(const Snapshot::LlmGroup& group) {
  const RoutingSpan routing(downstream_.record.trace, group.model->name);
  AttemptPlan plan(worker_.snapshot(), worker_.llm_routing(), group, &serves_endpoint,
                   static_cast<int>(endpoint_));
  std::optional<AttemptResult> last;
  for (;;) {
    const auto now = Clock::now();
    if (last && now >= downstream_.record.deadline) {
      break;
    }
    const Snapshot::LlmDeployment* target = plan.next(needs_, now);
    if (target == nullptr) {
      break;
    }
    attempts_ = plan.attempts();
    meter(*target);
    const bool direct =
        target->provider->type == config::ProviderType::kEcho ||
        (endpoint_ == Endpoint::kEmbeddings && llm::translates_embeddings(*target->provider));
    if (direct) {
      const Outcome outcome = co_await answer_directly(*target);
      plan.finish(AttemptOutcome{.tokens = used_tokens()}, Clock::now());
      co_return outcome;
    }
    first_byte_timeout_ = first_byte_timeout_for(*target);
    const auto started = Clock::now();
    AttemptResult result = co_await attempt(*target);
    end_attempt_span(downstream_.record, result, target->upstream_model());
    learn_first_byte(*target, result);
    const AttemptVerdict verdict = judge(result, downstream_.record.client_gone);
    if (verdict == AttemptVerdict::kMisconfigured && worker_.metrics() != nullptr) {
      worker_.metrics()->llm_auth_failure(target->id);
    }
    const bool again = plan.finish({.verdict = verdict,
                                    .first_byte = result.first_byte,
                                    .total = Clock::now() - started,
                                    .retry_after_seconds = seconds_of(result.retry_after),
                                    .tokens = used_tokens()},
                                   Clock::now());
    if (result.outcome) {
      co_return *result.outcome;
    }
    last = std::move(result);
    if (!again || downstream_.record.client_gone) {
      break;
    }
  }
  if (last) {
    if (route_.fallback_response && last->error && cannot_reach(last->error->code())) {
      Error error = std::move(*last->error);
      co_return co_await reply_fallback(std::move(error));
    }
    co_return co_await reply_failure(*last);
  }
  const Error error = plan.none_left(group.model->name, downstream_.state().log_target);
  if (route_.fallback_response && error.code() == ErrorCode::kUpstreamUnavailable) {
    co_return co_await reply_fallback(error);
  }
  llm::ApiError api_error = llm::api_error(error);
  const auto wait = plan.retry_after(Clock::now());
  const std::string retry_after = wait.count() > 0 ? std::to_string(wait.count()) : "";
  co_return co_await reply_error(api_error, retry_after);
}

// The route's first-byte timeout, or with adaptive_first_byte the one learnt from the
// deployment's recent times to first token.
std::chrono::milliseconds LlmExchange::first_byte_timeout_for(
    const Snapshot::LlmDeployment& target) {
  const config::AdaptiveTimeout& adaptive = route_.timeouts.adaptive_first_byte;
  if (!adaptive.enabled) {
    return route_.timeouts.first_byte;
  }
  auto& learnt = worker_.llm_routing().state(target.id).first_byte_timeout;
  if (!learnt || &learnt->config() != &adaptive) {
    learnt.emplace(adaptive);
  }
  return learnt->current();
}

// Answers that are not 5xx teach the adaptive timeout the deployment's latency, and so do
// timeouts: a deployment that slows down for good must see its timeout grow.
void LlmExchange::learn_first_byte(const Snapshot::LlmDeployment& target,
                                   const AttemptResult& result) {
  auto& learnt = worker_.llm_routing().state(target.id).first_byte_timeout;
  if (!route_.timeouts.adaptive_first_byte.enabled || !learnt) {
    return;
  }
  const bool timed_out = result.error && result.error->code() == ErrorCode::kUpstreamTimeout;
  const bool answered = result.outcome || (!result.error && result.api_error.status < 500);
  if (timed_out || answered) {
    learnt->observe(result.first_byte);
  }
}

asio::awaitable<Outcome> LlmExchange::answer_directly(const Snapshot::LlmDeployment& target) {
  if (endpoint_ == Endpoint::kEmbeddings) {
    if (target.provider->type == config::ProviderType::kEcho) {
      co_return co_await embed_in_process(target);
    }
    co_return co_await embed_translated(target);
  }
  if (!ir_) {
    auto decoded = llm::decode_client_request(dialect_, body_);
    if (!decoded) {
      Error error = std::move(decoded.error());
      co_return co_await reply_error(std::move(error));
    }
    ir_ = std::move(*decoded);
  }
  co_return co_await answer_in_process(*ir_, target);
}

// The call for `target`, then the call. A request the client got wrong is answered here (as
// an outcome: no other deployment would take it either).
asio::awaitable<AttemptResult> LlmExchange::attempt(const Snapshot::LlmDeployment& target) {
  AttemptResult result;
  auto token = co_await access_token(target);
  if (!token) {
    result.error = std::move(token.error());
    co_return result;
  }
  const config::ProviderType type = target.provider->type;
  boost::json::object* request = parsed_.if_object();
  const bool anthropic = dialect_ == llm::Dialect::kAnthropic;
  const bool chat = endpoint_ == Endpoint::kChat || endpoint_ == Endpoint::kMessages;
  const bool passthrough =
      request != nullptr &&
      (anthropic ? type == config::ProviderType::kAnthropic : config::speaks_openai_api(type));
  if (!chat) {
    std::string_view suffix = "/messages/count_tokens";
    if (endpoint_ == Endpoint::kEmbeddings) {
      suffix = "/embeddings";
    } else if (endpoint_ == Endpoint::kCompletions) {
      suffix = "/completions";
    } else if (endpoint_ == Endpoint::kRerank) {
      suffix = "/rerank";
    }
    const bool rerank = endpoint_ == Endpoint::kRerank;
    ProviderCall call{.passthrough = true, .check_stream = false, .rerank = rerank};
    const bool streamed =
        llm::passthrough_request(*target.provider, *request, target.upstream_model(), suffix,
                                 call.head, call.body, anthropic_beta_, *token);
    call.stream = streamed && !rerank;  // rerank has no stream: its answer is read whole
    co_return co_await call_provider(call, target);
  }
  if (passthrough) {
    ProviderCall call = passthrough_call(target, *request, *token);
    co_return co_await call_provider(call, target);
  }
  if (!ir_) {
    auto decoded = llm::decode_client_request(dialect_, body_);
    if (!decoded) {
      Error error = std::move(decoded.error());
      result.outcome = co_await reply_error(std::move(error));
      co_return result;
    }
    ir_ = std::move(*decoded);
  }
  ProviderCall call{.stream = ir_->stream, .include_usage = ir_->include_usage};
  if (auto encoded = llm::encode_upstream_request(*target.provider, *ir_, target.upstream_model(),
                                                  call.head, call.body, *token);
      !encoded) {
    Error error = std::move(encoded.error());
    result.outcome = co_await reply_error(std::move(error));
    co_return result;
  }
  co_return co_await call_provider(call, target);
}

// The route's fallback_response, with x-nexus-fallback naming why (the access log keeps the
// error).
asio::awaitable<Outcome> LlmExchange::reply_fallback(Error error) {
  if (!route_.fallback_response.has_value()) {
    co_return co_await reply_error(std::move(error));
  }
  const config::DirectResponse& fallback = *route_.fallback_response;
  filter::LocalReply reply{.status = fallback.status,
                           .content_type = fallback.content_type,
                           .body = fallback.body,
                           .headers = {{"x-nexus-fallback", std::string(error.code_name())}}};
  add_routing_headers(reply.headers);
  reply.error = std::move(error);
  co_return co_await downstream_.reply_filter(std::move(reply));
}

// Not a coroutine: both replies take what they need before it returns.
asio::awaitable<Outcome> LlmExchange::reply_failure(AttemptResult& failed) {
  if (failed.error.has_value()) {
    return reply_error(std::move(*failed.error));
  }
  return reply_error(failed.api_error, failed.retry_after);
}

std::optional<uint64_t> LlmExchange::used_tokens() const {
  const std::optional<llm::Usage>& usage = downstream_.record.llm.usage;
  return usage ? std::optional<uint64_t>(usage->total()) : std::nullopt;
}

std::string LlmExchange::sticky_key() {
  if (const boost::json::object* request = parsed_.if_object()) {
    if (const auto* user = request->if_contains("user"); user != nullptr && user->is_string()) {
      return std::string(user->get_string());
    }
    if (const auto* metadata = request->if_contains("metadata")) {
      const auto* object = metadata->if_object();
      const auto* user = object != nullptr ? object->if_contains("user_id") : nullptr;
      if (user != nullptr && user->is_string()) {
        return std::string(user->get_string());
      }
    }
  }
  if (!credential_.empty()) {
    return credential_;
  }
  return std::string(downstream_.filters.context().client_ip());
}

void LlmExchange::add_routing_headers(
    std::vector<std::pair<std::string, std::string>>& headers) const {
  if (answered_by_ != nullptr) {
    headers.emplace_back("x-nexus-provider", answered_by_->provider->name);
    headers.emplace_back("x-nexus-model", answered_by_->upstream_model());
  }
  if (attempts_ > 0) {
    headers.emplace_back("x-nexus-attempts", std::to_string(attempts_));
  }
  if (!variant_.empty()) {
    headers.emplace_back("x-nexus-variant", variant_);
  }
  if (!request_id_.empty()) {
    headers.emplace_back("x-nexus-request-id", request_id_);
  }
}

}  // namespace nexus::server

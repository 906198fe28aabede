// One exchange on a route with `llm`: the unified LLM API. The client's dialect comes from the
// path (POST /v1/chat/completions: OpenAI, POST /v1/messages: Anthropic), the provider from the
// model it names; the request is decoded into the IR, encoded for the provider, and the answer
// (a whole body or a stream) translated back (src/llm/codecs.h). Embeddings, legacy
// completions, count_tokens and rerank (POST .../rerank, Cohere's API) are forwarded to a
// provider that serves them. GET /v1/models lists the
// configured models, in the Anthropic shape for clients that send anthropic-version.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "governance/governance.h"
#include "llm/codecs.h"
#include "llm/oauth_token.h"
#include "llm/routing/request_needs.h"
#include "nexus/config/config.h"
#include "server/downstream.h"
#include "server/llm_routing.h"
#include "server/server_metrics.h"
#include "server/snapshot.h"
#include "server/token_cache.h"

namespace nexus::proxy {
class ClusterRuntime;
class UpstreamConnection;
}  // namespace nexus::proxy

namespace nexus::server {

// A filter's error reply on an llm route (auth, rate limit) in the client's dialect: filters
// write OpenAI's shape, an Anthropic client gets Anthropic's.
void restyle_for_llm_client(const http1::RequestHead& request, filter::LocalReply& reply);

// The framing of an upstream response body, kept from its head (whose views die when the body
// is read).
struct UpstreamBody {
  size_t head_size = 0;
  http1::BodyFraming framing = http1::BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
};

// A request to one endpoint of a provider's cluster, counted by its load balancer from the
// request's start to its end (this object's lifetime).
class InFlight {
 public:
  InFlight(proxy::ClusterRuntime& cluster, size_t endpoint);
  InFlight(InFlight&& other) noexcept
      : cluster_(std::exchange(other.cluster_, nullptr)), endpoint_(other.endpoint_) {}
  InFlight& operator=(InFlight&&) = delete;
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight();

  [[nodiscard]] proxy::ClusterRuntime& cluster() const { return *cluster_; }

 private:
  proxy::ClusterRuntime* cluster_;
  size_t endpoint_;
};

// A request sent to the provider and its answer's head read: the connection is ready for the
// body.
struct ProviderAnswer {
  InFlight in_flight;
  std::unique_ptr<proxy::UpstreamConnection> connection;
  UpstreamBody body;
  int status = 0;
  std::string retry_after;
  std::string error_type;     // Bedrock names its errors in x-amzn-errortype
  uint64_t input_tokens = 0;  // Bedrock's x-amzn-bedrock-input-token-count (embeddings)
};

// A request ready for the provider, and how its answer comes back.
struct ProviderCall {
  std::string head;  // HTTP/1.1 request head
  std::string body;
  bool stream = false;
  // The client asked for the usage chunk (OpenAI streams). A passthrough OpenAI stream asks the
  // provider for it anyway, to meter it, and holds it back from a client that did not ask.
  bool include_usage = false;
  // The client speaks the provider's own API: answers go back as the provider wrote them.
  bool passthrough = false;
  // A passthrough stream is decoded on the side to notice an incomplete end (chat streams).
  bool check_stream = true;
  // Rerank (passthrough): the answer keeps the provider's 2xx status and content type too (its
  // clients speak Cohere's API, not one Nexus writes), and its usage is read from Cohere's meta.
  bool rerank = false;
};

// How one attempt at a deployment ended: the client got its answer (or the start of a
// stream), or it failed before any byte reached the client and another deployment may be
// tried.
struct AttemptResult {
  std::optional<Outcome> outcome;  // set: the client was answered; nothing more to try
  std::optional<Error> error;      // a failure on the way (connect, reset, timeout, malformed)
  llm::ApiError api_error;         // or the provider's error answer
  std::string retry_after;
  std::chrono::steady_clock::duration first_byte{};
};

class LlmExchange {
 public:
  enum class Endpoint : uint8_t {
    kNone,
    kChat,         // OpenAI chat completions
    kMessages,     // Anthropic messages
    kEmbeddings,   // OpenAI, forwarded
    kCompletions,  // OpenAI legacy completions, forwarded
    kCountTokens,  // Anthropic, forwarded
    kRerank,       // Cohere, forwarded
  };

  LlmExchange(Worker& worker, Downstream& downstream, const config::Route& route)
      : worker_(worker), downstream_(downstream), route_(route) {}

  boost::asio::awaitable<Outcome> run();

 private:
  boost::asio::awaitable<Outcome> serve_request();
  boost::asio::awaitable<Result<void>> read_request_body();
  boost::asio::awaitable<Outcome> list_models(std::string_view id, bool anthropic);
  boost::asio::awaitable<Outcome> complete_chat();
  boost::asio::awaitable<Outcome> forward_to_provider();

  // Model routing (llm_attempts.cc): the group a model name names (an A/B split's variant
  // for this client), then attempts at its deployments and fallbacks until one answers.
  boost::asio::awaitable<Outcome> serve_model(std::string name);
  boost::asio::awaitable<Outcome> serve(const Snapshot::LlmGroup& group);
  boost::asio::awaitable<AttemptResult> attempt(const Snapshot::LlmDeployment& target);
  // Answers that need no failover: in process (echo), or several calls (translated
  // embeddings).
  boost::asio::awaitable<Outcome> answer_directly(const Snapshot::LlmDeployment& target);
  boost::asio::awaitable<Outcome> reply_failure(AttemptResult& failed);
  // By value: see reply_error(Error).
  boost::asio::awaitable<Outcome> reply_fallback(Error error);
  // The first-byte timeout of an attempt at `target`, and what its result teaches it.
  std::chrono::milliseconds first_byte_timeout_for(const Snapshot::LlmDeployment& target);
  void learn_first_byte(const Snapshot::LlmDeployment& target, const AttemptResult& result);
  // What makes a user stick to one variant of a split: the request's user, else its key,
  // else the client's address.
  std::string sticky_key();
  // The tokens the answer used, when the provider reported them (rpm/tpm accounting).
  [[nodiscard]] std::optional<uint64_t> used_tokens() const;
  // x-nexus-provider, -model, -attempts and -variant, for every answer once a model resolved.
  void add_routing_headers(std::vector<std::pair<std::string, std::string>>& headers) const;
  // The echo provider: the events are made here, then written like an upstream's.
  boost::asio::awaitable<Outcome> answer_in_process(const llm::Request& request,
                                                    const Snapshot::LlmDeployment& target);
  // Embeddings from the echo provider, or from a provider whose embeddings API is not OpenAI's.
  boost::asio::awaitable<Outcome> embed_in_process(const Snapshot::LlmDeployment& target);
  boost::asio::awaitable<Outcome> embed_translated(const Snapshot::LlmDeployment& target);
  // The exchange's record names the model and its provider (for the log, metrics, budgets).
  void meter(const Snapshot::LlmDeployment& target);
  boost::asio::awaitable<Outcome> answer_events(const std::vector<llm::StreamEvent>& events,
                                                bool stream, bool include_usage);

  // Governance (llm_governance.cc), when the process has it: the request's virtual key (an
  // error to answer with when it has none that is valid), its admission to a model group, and
  // its settlement: `wait_until_durable` holds the exchange until the ledger has the record.
  std::optional<Error> authenticate_key();
  [[nodiscard]] bool may_list_model(std::string_view model) const;
  // By value: see reply_error(Error).
  boost::asio::awaitable<std::optional<governance::Refused>> admit_request(
      const Snapshot::LlmGroup& group, std::string model);
  // The LLM metrics of the answered request (llm_metrics.h), when metrics are on.
  void record_metrics();
  [[nodiscard]] governance::NanoUsd worst_case_cost(const Snapshot::LlmGroup& group,
                                                    uint64_t output) const;
  [[nodiscard]] governance::UsageRecord usage_record(int status) const;
  boost::asio::awaitable<void> settle_usage(int status, bool wait_until_durable);

  // The provider over HTTP (llm_upstream.cc).
  // The passthrough fast path when the client speaks the provider's API: the client's body
  // with only the model (and the usage option) rewritten.
  ProviderCall passthrough_call(const Snapshot::LlmDeployment& target, boost::json::object& request,
                                std::string_view access_token);
  // `call`'s head gains the attempt's traceparent when tracing is on.
  boost::asio::awaitable<AttemptResult> call_provider(ProviderCall& call,
                                                      const Snapshot::LlmDeployment& target);
  // The attempt's client span (docs/observability.md): started with its GenAI attributes.
  void trace_attempt(ProviderCall& call, const Snapshot::LlmDeployment& target);
  // A stream's first bytes (its first event, usually), within the first-byte timeout: until
  // then nothing has reached the client, and a failure may still go to another deployment.
  boost::asio::awaitable<Result<void>> await_first_bytes(proxy::UpstreamConnection& upstream,
                                                         UpstreamBody& body);
  // Sends a request to an endpoint of `cluster` (the provider's, or its token endpoint's) and
  // reads its answer's head within `first_byte`.
  boost::asio::awaitable<Result<ProviderAnswer>> open_call(const std::string& head,
                                                           const std::string& body, size_t cluster,
                                                           const config::Provider& provider,
                                                           std::chrono::milliseconds first_byte);

  // OAuth access tokens (llm_token.cc), for a provider with provider.oauth (empty for the
  // others, which send their static key): the worker's cached one, or one fetched now from its
  // token endpoint (over the token URL's cluster, like a
  // provider call), shared by the requests that need it meanwhile. An error names the provider
  // and what the token endpoint said; the caller answers the client with it.
  boost::asio::awaitable<Result<std::string>> access_token(const Snapshot::LlmDeployment& target);
  boost::asio::awaitable<Result<std::string>> refresh_token(const Snapshot::LlmDeployment& target,
                                                            TokenCache::Entry& entry);
  boost::asio::awaitable<Result<llm::AccessToken>> fetch_token(
      const Snapshot::LlmDeployment& target);
  // After the answer's body: the connection goes back to the pool when it can serve another.
  void close_call(ProviderAnswer& answer, bool reusable);
  boost::asio::awaitable<Result<std::unique_ptr<proxy::UpstreamConnection>>> send_upstream(
      proxy::ClusterRuntime& cluster, size_t endpoint, const std::string& head,
      const std::string& body, bool pooled);
  // Reads the whole response body (an answer or an error) into memory, bounded.
  boost::asio::awaitable<Result<std::string>> read_whole_body(proxy::UpstreamConnection& upstream,
                                                              const UpstreamBody& body,
                                                              bool& reusable);
  void name_answer(llm::StreamEvent& start, std::string& storage) const;
  boost::asio::awaitable<Outcome> relay_stream(proxy::UpstreamConnection& upstream,
                                               const UpstreamBody& body, llm::Wire wire,
                                               const ProviderCall& call, bool& reusable);

  // Answers: a whole JSON body, an error in the client's dialect, a stream's parts.
  boost::asio::awaitable<Outcome> reply_json(
      int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {},
      std::string content_type = {});
  boost::asio::awaitable<Outcome> reply_error(const llm::ApiError& error,
                                              std::string_view retry_after = {});
  // 404 model_not_found in the client's dialect.
  boost::asio::awaitable<Outcome> reply_model_not_found(std::string_view model);
  // By value: g++ 12 may destroy a temporary bound to a coroutine's reference parameter before
  // the coroutine is done with it.
  boost::asio::awaitable<Outcome> reply_error(Error error);
  // Starts the client's event stream (200, text/event-stream) through the response filters.
  boost::asio::awaitable<bool> start_stream();
  // Sends `piece` (SSE bytes, may be empty) through the response body filters; `last` ends it.
  boost::asio::awaitable<Result<void>> send_stream(std::string& piece, bool last);

  Worker& worker_;
  Downstream& downstream_;
  const config::Route& route_;
  Endpoint endpoint_ = Endpoint::kNone;
  llm::Dialect dialect_ = llm::Dialect::kOpenAi;
  std::string body_;                // the request body
  std::string anthropic_beta_;      // the client's anthropic-beta header, for passthrough
  std::string credential_;          // its Authorization or x-api-key: a split's sticky key
  boost::json::value parsed_;       // the body as JSON (null when it is not an object)
  std::optional<llm::Request> ir_;  // the body decoded, once a deployment needs it
  llm::routing::RequestNeeds needs_;
  // For the x-nexus-* headers: the deployment that answered (or was tried last).
  const Snapshot::LlmDeployment* answered_by_ = nullptr;
  uint32_t attempts_ = 0;
  // The first-byte timeout of the attempt in progress (the route's, or its adaptive one).
  std::chrono::milliseconds first_byte_timeout_{0};
  std::string_view variant_;                        // the split's variant (the snapshot's text)
  std::shared_ptr<const governance::Grant> grant_;  // the virtual key's, when governed
  governance::Admission admission_;                 // held from admission to settlement
  std::string request_id_;                          // the ledger's id (x-nexus-request-id)
  uint64_t generated_bytes_ = 0;  // text streamed so far, to bill a stream cut short
  // A streamed answer's first token arrived (gen_ai_server_time_to_first_token_seconds).
  std::optional<std::chrono::steady_clock::time_point> first_token_at_;
  bool stream_started_ = false;
  std::optional<ActiveStream> sse_stream_;  // counted in nexus_streams_active once started
  bool stream_chunked_ = false;
  bool stream_filtered_ = false;
  bool stream_head_pending_ = false;
  std::string_view stream_head_;
  std::vector<std::pair<std::string, std::string>> stream_headers_;  // the x-nexus-* ones
};

}  // namespace nexus::server

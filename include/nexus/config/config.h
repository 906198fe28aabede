// The validated configuration of Nexus as plain values.
//
// The control plane (src/control/config) builds a Config from YAML and validates all of it before
// anything runs; the data plane receives it as an immutable snapshot
// (std::shared_ptr<const Config>) and never sees YAML. Defaults here are the documented defaults
// (docs/configuration.md); durations are std::chrono::milliseconds, where 0 means "no limit".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nexus/config/tracing.h"

namespace nexus::filter {
class FilterFactory;
}

namespace nexus::llm::pricing {  // llm/pricing/price_table.h
struct ModelPrice;
class PriceTable;
}  // namespace nexus::llm::pricing

namespace nexus::config {

// A filter chain: the factories of its filters, in the order they see the request.
using FilterChain = std::vector<std::shared_ptr<filter::FilterFactory>>;

// One entry of a `filters` list, as written (see docs/filters.md).
struct FilterEntry {
  std::string type;       // "cors"
  std::string name;       // unique in its list; defaults to the type
  int priority = 0;       // higher runs earlier; equal priorities keep the written order
  bool disabled = false;  // in a route: removes the global entry of the same name
  std::shared_ptr<filter::FilterFactory> factory;  // null when disabled
};

using Duration = std::chrono::milliseconds;

struct TlsCertificate {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

struct ListenerTls {
  // The first certificate is the default; the others are chosen by SNI against their names.
  std::vector<TlsCertificate> certificates;
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

struct Listener {
  std::string host;  // IP literal ("127.0.0.1", "::1", "0.0.0.0")
  uint16_t port = 0;
  std::optional<ListenerTls> tls;
  // HTTP/2 next to HTTP/1.1: offered by ALPN on TLS listeners, accepted with prior knowledge
  // (h2c) on plain ones. Default: on with TLS, off without.
  bool http2 = false;
};

struct Limits {
  uint32_t max_request_line_bytes = 8 * 1024;
  uint32_t max_request_head_bytes = 64 * 1024;
  uint32_t max_header_count = 100;
  uint64_t max_body_bytes = 32ULL * 1024 * 1024;
  uint32_t max_requests_per_connection = 0;  // 0 = unlimited
  uint32_t max_connections = 100000;         // across all workers
  // Load shedding (server/load_shedding.h): 503 + Retry-After beyond; 0 = off.
  uint32_t max_in_flight = 0;  // requests in progress across all workers
  uint64_t max_memory = 0;     // resident bytes of the process
};

struct ServerTimeouts {
  Duration header{10000};  // from the first byte of a request to the end of its head
  Duration body{30000};    // between two reads of a request body
  Duration idle{60000};    // keep-alive connection waiting for its next request
  Duration drain{30000};   // graceful shutdown: how long in-flight requests may finish
};

// HTTP/2 connection limits (Envoy's edge guidance). The header list limit is
// limits.max_request_head_bytes and the field count limits.max_header_count, as for HTTP/1.1.
struct Http2 {
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_stream_window = 64 * 1024;  // request body bytes in flight per stream
  uint32_t connection_window = 1024 * 1024;    // ... and per connection
};

struct Server {
  std::vector<Listener> listen;
  uint32_t workers = 0;  // 0 = "auto" = number of cores
  Limits limits;
  ServerTimeouts timeouts;
  Http2 http2;
};

struct UpstreamTls {
  bool enabled = false;
  std::string sni;      // empty: the endpoint's host name (not sent for IP literals)
  bool verify = true;   // verify the certificate chain and host name
  std::string ca_file;  // empty: the system CA store
};

struct Endpoint {
  std::string host;  // IP literal or DNS name
  uint16_t port = 0;
  uint32_t weight = 1;
};

enum class LbPolicy { kRoundRobin, kWeightedRoundRobin, kLeastRequest, kConsistentHash };

struct HashPolicy {
  std::string header;  // hash on this request header (lower case); empty: source IP
};

struct Pool {
  uint32_t max_connections = 1024;            // per worker, per cluster
  Duration idle_timeout{60000};               // pooled keep-alive connection lifetime when idle
  uint32_t max_streams_per_connection = 100;  // HTTP/2: also bounded by the peer's SETTINGS
  // Bulkhead (HTTP/1.1 clusters): requests that may wait, per worker, for a connection when
  // max_connections are open (0: none, a full pool answers 503 at once), and for how long.
  uint32_t max_pending = 0;
  Duration queue_timeout{1000};
};

// How Nexus talks to a cluster's endpoints. kHttp2: over TLS via ALPN h2, in cleartext with
// prior knowledge; one connection per worker and endpoint carries many requests.
enum class UpstreamProtocol { kHttp1, kHttp2 };

// Passive health of each endpoint (proxy/resilience/circuit_breaker.h), kept per worker.
// Failures: connect errors, resets, malformed answers, timeouts and 5xx answers.
struct CircuitBreaker {
  bool enabled = false;
  uint32_t consecutive_failures = 5;  // in a row open it; 0: not this way
  uint32_t failure_percent = 50;      // of the calls in `window` open it; 0: not this way
  uint32_t min_requests = 20;         // calls in `window` before the percentages count
  Duration window{10000};
  Duration slow_call{0};           // a response head later than this is a slow call (0: none)
  uint32_t slow_call_percent = 0;  // slow calls in `window` that open it; 0: not this way
  Duration cool_down{5000};        // open -> half-open
  uint32_t half_open_probes = 1;   // requests let through at a time while half-open
  uint32_t close_after = 2;        // successful probes that close it
};

// Retries per cluster and worker may not exceed this share of first attempts over the last 10 s
// (or min_per_second), so that retries cannot multiply the load on a failing upstream.
struct RetryBudget {
  uint32_t percent = 20;
  uint32_t min_per_second = 3;
};

// An inclusive range of HTTP status codes ("200-299"; a single code is first == last).
struct StatusRange {
  int first = 200;
  int last = 299;
};

// Active health of each endpoint (proxy/health/): a GET to `path` every `interval`, once per
// process. Endpoints start healthy; `unhealthy_threshold` failed checks in a row take one out of
// the load balancer's picks, `healthy_threshold` passed checks in a row put it back.
struct HealthCheck {
  bool enabled = false;  // set when clusters.NAME.health_check is present
  std::string path;      // request target, starts with '/'
  std::string host;      // Host header; empty: the endpoint's host[:port]
  Duration interval{5000};
  Duration timeout{1000};  // connect and the whole answer's head
  // Passes when the status is in one of them; one default range, 2xx. (Not `{{}}`: GCC 12 warns
  // that an initializer list's element may be used uninitialized where a Deployment is built.)
  std::vector<StatusRange> expected_status = std::vector<StatusRange>(1);
  uint32_t unhealthy_threshold = 2;
  uint32_t healthy_threshold = 2;
};

struct Cluster {
  std::string name;
  std::vector<Endpoint> endpoints;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  LbPolicy lb = LbPolicy::kRoundRobin;
  HashPolicy hash;
  UpstreamTls tls;
  Duration connect_timeout{5000};
  Duration dns_refresh{30000};  // re-resolution period for DNS names
  Pool pool;
  CircuitBreaker circuit_breaker;
  RetryBudget retry_budget;
  HealthCheck health_check;
};

struct HeaderMatch {
  std::string name;  // lower case
  std::optional<std::string> exact;
  std::optional<std::string> regex;  // RE2, full match
  bool present = true;               // with neither exact nor regex: must be present (or absent)
};

struct RouteMatch {
  std::vector<std::string> hosts;   // exact or "*.suffix"; empty = any host (lower case, no port)
  std::optional<std::string> path;  // exact
  std::optional<std::string> prefix;
  std::optional<std::string> regex;  // RE2, full match against the path (without query)
  std::vector<std::string> methods;  // empty = any
  std::vector<HeaderMatch> headers;
};

// A first-byte timeout that follows the upstream: clamp(p<percentile> of its recent first-byte
// times x multiplier, floor, ceiling), the ceiling until min_samples were seen
// (proxy/resilience/adaptive_timeout.h).
struct AdaptiveTimeout {
  bool enabled = false;
  uint32_t percentile = 95;
  double multiplier = 2;
  Duration floor{1000};
  Duration ceiling{60000};  // in a route: defaults to its timeouts.first_byte
  uint32_t min_samples = 20;
};

struct RouteTimeouts {
  Duration first_byte{60000};           // request fully sent -> first byte of the response head
  Duration idle{60000};                 // between two reads of the response body (stream idle)
  Duration total{0};                    // whole exchange; 0 = none
  AdaptiveTimeout adaptive_first_byte;  // replaces first_byte when enabled
};

// What a route tries again, on another pick of its cluster (docs/resilience.md). Never once a
// response byte reached the client, and a request that may have reached the upstream only when
// its method is idempotent and its whole body is still at hand.
struct RetryPolicy {
  uint32_t attempts = 1;  // tries in all, the first included: 1 = no retries
  bool on_connect_failure = true;
  bool on_reset = true;     // the connection failed before the response head
  bool on_timeout = false;  // no response head within timeouts.first_byte
  bool on_5xx = false;
  bool on_429 = false;
  Duration backoff_base{25};  // before retry n: a random wait up to min(max, base * 2^(n-1))
  Duration backoff_max{250};  // also the longest Retry-After honoured; longer: no retry
};

// Answered by Nexus itself, without an upstream (health checks, fixed replies).
struct DirectResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// An LLM provider (docs/providers.md). Providers reached over the network get a cluster of
// their own, built from base_url ("provider:<name>"), so they share the proxy's connection
// pools, TLS and DNS handling.
enum class ProviderType {
  kEcho,
  kOpenAi,
  kAzureOpenAi,
  kAnthropic,
  kGemini,
  kVertex,
  kCohere,
  kBedrock
};

// OpenAI's API: OpenAI itself, the OpenAI-compatible providers and Azure OpenAI (the same bodies
// under deployment URLs).
inline bool speaks_openai_api(ProviderType type) {
  return type == ProviderType::kOpenAi || type == ProviderType::kAzureOpenAi;
}

// How a provider's OAuth 2 access token is obtained when it is not a static one in api_key:
// fetched from the token endpoint, cached per worker and refreshed before it expires
// (docs/providers.md). kJwtBearer: a Google service account's key signs a JWT assertion
// (vertex); kClientCredentials: a Microsoft Entra application's id and secret (azure_openai).
enum class TokenGrant { kNone, kJwtBearer, kClientCredentials };

struct OAuthClient {
  TokenGrant grant = TokenGrant::kNone;
  std::string token_url;  // where the token is asked for (POST, form body)
  std::string cluster;    // the cluster built for token_url ("provider:<name>:token")
  std::string host;       // token_url's host[:port] (Host header)
  std::string path;       // token_url's path
  // kJwtBearer: from the service account's JSON key (credentials_file).
  std::string client_email;
  std::string private_key;  // PEM (PKCS#8 or PKCS#1 RSA)
  std::string private_key_id;
  std::string audience;  // the key's token_uri: the JWT's aud, whatever token_url says
  // kClientCredentials.
  std::string client_id;
  std::string client_secret;
  std::string scope;
};

struct Provider {
  std::string name;
  ProviderType type = ProviderType::kEcho;
  std::string preset;  // openai_compatible: the preset the defaults came from
  // What prices are looked up by (docs/pricing.md): the type as written ("openai", "bedrock",
  // "openai_compatible"...), or an openai_compatible provider's preset ("groq").
  std::string kind;
  std::string api_key;    // sent as Authorization: Bearer (OpenAI-shaped), x-api-key (Anthropic)
                          // or x-goog-api-key (Gemini)
  std::string base_url;   // "https://api.openai.com/v1"
  std::string cluster;    // the cluster built for base_url (empty for echo)
  std::string base_path;  // base_url's path without a trailing slash ("/v1")
  std::string host;       // Host header: base_url's host[:port]
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers sent upstream
  bool drop_unsupported_params = false;
  bool reasoning_content = false;  // send reasoning back as reasoning_content (the preset's)
  // The output limit is sent as max_completion_tokens (OpenAI's own API, whose reasoning models
  // refuse max_tokens), not max_tokens (what OpenAI-compatible servers take).
  bool max_completion_tokens = false;
  uint64_t default_max_tokens = 4096;            // Anthropic requires max_tokens
  std::string anthropic_version = "2023-06-01";  // anthropic-version header
  std::string api_version;                       // azure_openai: the api-version query parameter
  // bedrock: the region and the AWS credentials every request is signed with (SigV4).
  std::string aws_region;
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;  // temporary credentials only
  // vertex: the Google Cloud project and location whose endpoints serve the models (a static
  // OAuth access token is api_key, sent as Authorization: Bearer).
  std::string gcp_project;
  std::string gcp_location;
  // azure_openai: api_key is a Microsoft Entra token (azure_ad_token), sent as
  // Authorization: Bearer instead of api-key.
  bool azure_ad_token = false;
  // vertex, azure_openai: the access token is fetched (grant != kNone) instead of api_key.
  OAuthClient oauth;
};

// What a deployment can take: capability-aware routing passes over deployments that cannot
// serve a request before the strategy picks (docs/routing.md).
struct Capabilities {
  uint64_t context_window = 0;  // tokens; 0: not known, never filtered on
  bool tools = true;
  bool vision = true;  // images in messages
  bool json_schema = true;
};

// One place a model is served: a provider, its model id, and what it may get.
struct Deployment {
  std::string provider;  // a key of Config::providers
  std::string model;     // the upstream's model id (default: the group's name)
  uint32_t weight = 1;
  uint32_t rpm = 0;  // requests per minute, all workers together; 0 = no limit
  uint64_t tpm = 0;  // tokens per minute (input and output), all workers; 0 = no limit
  // Requests in flight at once, all workers (a bulkhead); beyond it the request goes to another
  // deployment, or fails fast; 0 = no limit.
  uint32_t max_concurrent = 0;
  Capabilities capabilities;
  // Its own price (`price`), which wins over the price table's; null: the table's, if any.
  std::shared_ptr<const llm::pricing::ModelPrice> price;
  // Active checks (opt-in: they call the provider): the provider's cheapest free call, its model
  // list, every interval; `path` and `host` are not used (the provider's own are), and
  // expected_status is 2xx and 429 (reachable, and the key is accepted).
  HealthCheck health_check;
};

enum class RoutingStrategy { kWeighted, kRoundRobin, kLeastBusy, kLeastLatency, kCost, kUsage };

// An A/B split: a model name that sends each user to one of other models, by percentage.
struct Variant {
  std::string model;  // a name in Config::models
  uint32_t percent = 0;
};

// A model clients may name (a model group): where it goes, how a deployment is chosen, and
// what is tried when the chosen one fails (docs/routing.md).
struct Model {
  std::string name;                     // what clients send as "model"
  std::vector<Deployment> deployments;  // empty only for a split
  RoutingStrategy strategy = RoutingStrategy::kWeighted;
  double exploration = 0.05;    // least_latency: share of requests sent to a random other
  Duration latency_ceiling{0};  // cost: deployments slower than this are passed over; 0 = none
  std::vector<std::string> fallbacks;  // groups tried in order once every deployment failed
  std::string context_fallback;        // the group for requests too long for this one
  std::vector<Variant> split;          // non-empty: an A/B split, no deployments of its own
  // Passive health of the deployments (per worker): on by default when the group has an
  // alternative (two deployments, or fallbacks), so that one failing provider is passed over.
  CircuitBreaker circuit_breaker;
  Duration rate_limit_cool_down{5000};      // after a 429 without Retry-After
  Duration misconfigured_cool_down{60000};  // after a 401 or 403: the key is wrong
  RetryBudget retry_budget;                 // failovers within the group (per worker)
};

struct Route {
  RouteMatch match;
  // Exactly one of cluster, direct_response and llm is set. llm: the route serves the unified
  // LLM API (OpenAI and Anthropic dialects, docs/llm.md) through `models` and `providers`.
  std::string cluster;
  std::optional<DirectResponse> direct_response;
  bool llm = false;
  std::optional<std::string> prefix_rewrite;  // replaces the matched prefix
  std::optional<std::string> host_rewrite;    // Host sent upstream; default: the client's
  RouteTimeouts timeouts;
  RetryPolicy retries;
  // Answered instead of the error when the upstream cannot be reached (connect failures,
  // resets, timeouts, every breaker open): a static body clients can live with.
  std::optional<DirectResponse> fallback_response;
  std::string name;  // for logs and rate-limit keys; default "routes[N]"
  // The effective chain: the global filters merged with the route's own (docs/filters.md).
  FilterChain filters;
  uint64_t buffer_limit =
      uint64_t{1024} * 1024;  // bytes a body filter may hold back (kStopAndBuffer)
};

struct AccessLog {
  bool enabled = true;
  std::string path = "stdout";  // "stdout", "stderr" or a file path
};

struct Logging {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "json";  // the process log's lines: json (one object per line) or text
  AccessLog access_log;
};

// Bearer JWTs from an identity provider on the admin API (docs/governance.md, "JWT callers"):
// verified with the provider's JWK Set, their claims naming the caller's role and scope. At
// namespace scope, not nested in Governance::Admin: clang cannot construct a nested class with
// default member initializers inside std::optional while the enclosing class is incomplete.
struct AdminJwt {
  std::string issuer;                  // the one accepted "iss"
  std::vector<std::string> audiences;  // "aud" must name one of them
  std::string jwks_file;               // the JWK Set: a file, or
  std::string jwks_uri;                // an http(s) URL (exactly one of the two)
  std::string ca_file;                 // https jwks_uri: trusted CAs (empty: the system's)
  std::chrono::milliseconds refresh_interval{300'000};  // the JWK Set is reread this often
  std::vector<std::string> algorithms{"RS256", "ES256", "EdDSA"};  // asymmetric only
  std::chrono::seconds clock_skew{60};                             // leeway for exp and nbf
  std::string role_claim = "nexus_role";
  std::string org_claim = "nexus_org";
  std::string team_claim = "nexus_team";
  std::string user_claim = "sub";
};

// Virtual keys, teams, budgets and the usage ledger (docs/governance.md). Off unless the
// `governance` section is present; then every llm route needs a virtual key.
struct Governance {
  bool enabled = false;
  // Where organizations, keys and the ledger live: "sqlite:<path>" (default) or a postgres:// URL.
  std::string store = "sqlite:./data/nexus.db";
  // Mixed into every key hash, so that a stolen database alone cannot be used to test keys.
  // From `pepper_file` (required with postgres://); else made next to a SQLite store (0600).
  std::string pepper_file;
  std::string time_zone = "UTC";  // budget periods are calendar days, weeks, months here
  // The output tokens a budget reserves for a request that sets no max_tokens.
  uint32_t default_max_tokens = 4096;
  // How often keys are reread from a store other instances share (a local change is seen at
  // once).
  std::chrono::milliseconds key_refresh{5000};
  // The usage ledger: records waiting to be written beyond which new requests are refused (503),
  // and the most written in one transaction.
  uint32_t ledger_queue = 10000;
  uint32_t ledger_batch = 500;
  // Counters (rates, requests in flight, budget reservations) shared by every instance through
  // Redis (docs/governance_redis.md); absent: each process counts for itself.
  struct Redis {
    std::string host;
    uint16_t port = 6379;
    uint32_t db = 0;
    std::string username;  // an ACL user; empty: AUTH with the password alone
    std::string password;  // empty: no AUTH
    std::string display;   // redis://host:port/db, without credentials, for logs
  };
  std::optional<Redis> redis;
  // A Redis command slower than this counts as Redis unavailable.
  std::chrono::milliseconds redis_timeout{250};
  // How long a request in flight counts (and holds its reservation) without settling: the
  // requests of an instance that died stop counting after it.
  std::chrono::milliseconds redis_lease{600'000};
  // Without Redis, requests that only rate limits gate are refused (closed, 503) or admitted
  // uncounted (open); requests a hard budget gates are always refused.
  enum class Outage : uint8_t { kClosed, kOpen };
  Outage rate_limits_without_redis = Outage::kClosed;
  // The admin API (/admin/v1) on its own listener; absent: no admin API.
  struct Admin {
    std::optional<Listener> listen;
    std::string key_sha256;  // hex SHA-256 of the admin key (role admin)
    // Bearer JWTs from an identity provider (docs/governance.md, "JWT callers").
    using Jwt = AdminJwt;
    std::optional<Jwt> jwt;  // absent: no JWT callers
  } admin;
};

// `observability` (docs/observability.md): the ops listener, GET /metrics (Prometheus,
// OpenMetrics) and GET /healthz on a listener of their own (absent: no ops listener, nothing is
// recorded), and traces exported over OTLP.
// `observability.alerts` (docs/observability.md, "Alerts"): rules evaluated in-process on the
// registry's values; on fire and resolve a log line and a POST to each of the rule's webhooks.
struct AlertWebhook {
  std::string name;
  std::string url;  // http(s)://
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{5000};  // one POST
  uint32_t max_attempts = 5;                // POSTs of one notification, the first included
  std::chrono::milliseconds backoff{500};   // before the 2nd attempt; doubled after each
};

struct AlertRule {
  enum class Kind : uint8_t {
    kErrorRate,             // 5xx share of requests over `window` (0..1)
    kLatencyP95,            // p95 of request durations over `window`, in seconds
    kBudget,                // a scope's spend in its period / its budget (0..1+)
    kCircuitOpen,           // upstream circuits open now (a count)
    kProviderAuthFailures,  // LLM provider 401/403 answers over `window` (a count)
  };
  std::string name;
  Kind kind = Kind::kErrorRate;
  double threshold = 0;                     // fires when the value is >= threshold
  std::chrono::milliseconds window{60000};  // rates and counts: over this much time
  std::chrono::milliseconds for_{0};        // pending until the condition held this long
  std::string severity = "warning";
  std::vector<std::string> webhooks;  // names in Alerts::webhooks
  // `match`: error_rate and latency_p95: route; provider_auth_failures: provider; budget: one
  // of org, team, key (the scope's id).
  std::string route;
  std::string provider;
  std::string scope_kind;  // budget: "org", "team" or "key"
  std::string scope_id;
};

struct Alerts {
  bool enabled = false;  // a non-empty `rules` list
  std::chrono::milliseconds evaluation_interval{15000};
  std::vector<AlertWebhook> webhooks;
  std::vector<AlertRule> rules;
  uint32_t max_queue = 256;  // notifications waiting for the sender; past it they are dropped
};

struct Observability {
  std::optional<Listener> listen;  // the ops listener: /metrics, /healthz, /readyz
  // /readyz: a model group without a healthy deployment makes the gateway not ready.
  bool strict_readiness = false;
  Tracing tracing;
  Alerts alerts;
};

struct Config {
  std::string source_file;  // path it was loaded from, for messages
  Server server;
  std::map<std::string, Cluster> clusters;  // with the providers' own
  std::map<std::string, Provider> providers;
  std::vector<Model> models;
  std::vector<Route> routes;         // first match wins
  std::vector<FilterEntry> filters;  // the global chain, as written (sorted by priority)
  FilterChain global_filters;        // the global chain, for requests that match no route
  Logging logging;
  Governance governance;
  Observability observability;
  // What tokens cost by provider kind and model (docs/pricing.md): the built-in table with the
  // `prices` section's file and entries applied. Never null in a loaded config.
  std::shared_ptr<const llm::pricing::PriceTable> prices;
};

}  // namespace nexus::config

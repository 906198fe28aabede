// Bad configurations: each must fail with ErrorCode::kInvalidConfig and the exact
// "FILE:LINE: KEY.PATH: message" prefix.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "control/config/loader.h"

namespace nexus::control {
namespace {

struct BadCase {
  const char* name;
  const char* yaml;
  const char* prefix;  // the message must start with this
};

// Line 1 of every cluster case; the route that uses `backend` comes last.
#define SERVER_LINE "server: { listen: [\"127.0.0.1:8080\"] }\n"
#define HEALTH_ROUTE "routes: [{ match: {}, direct_response: {} }]\n"

const std::vector<BadCase> kSyntaxAndStructure = {
    {"syntax error", "server:\n  listen: [\"127.0.0.1:80\"\nroutes: []\n",
     "bad.yaml:3: syntax error: "},
    {"bad indentation", "server:\n  listen: []\n bad: 1\n", "bad.yaml:3: syntax error: "},
    {"empty document", "", "bad.yaml:1: server: required key is missing"},
    {"root is a list", "- a\n- b\n",
     "bad.yaml:1: (root): expected a mapping with server, clusters, routes, filters, logging"},
    {"unknown top-level key", SERVER_LINE HEALTH_ROUTE "logg: {}\n",
     "bad.yaml:3: (root): unknown key 'logg' (expected one of: server, clusters, providers, "
     "models, prices, routes, filters, logging, governance, observability)"},
    // Filter lists: the entry's own keys, then the filter's config through its parser.
    {"filter entry not a mapping", SERVER_LINE HEALTH_ROUTE "filters:\n  - cors\n",
     "bad.yaml:4: filters[0]: expected a mapping like '- cors: {...}'"},
    {"unknown filter type", SERVER_LINE HEALTH_ROUTE "filters:\n  - gzip: {}\n",
     "bad.yaml:4: filters[0].gzip: unknown filter type 'gzip' (expected one of access_log,"},
    {"two types in one entry",
     SERVER_LINE HEALTH_ROUTE
     "filters:\n  - fault: {header_control: true}\n    body_limit: {max_bytes: 1}\n",
     "bad.yaml:5: filters[0].body_limit: one filter per entry: 'fault' and 'body_limit'"},
    {"duplicate filter names",
     SERVER_LINE HEALTH_ROUTE
     "filters:\n  - fault: {header_control: true}\n  - fault: {header_control: true}\n",
     "bad.yaml:5: filters[1]: two filters named 'fault' in one list"},
    {"disabled in the global list",
     SERVER_LINE HEALTH_ROUTE "filters:\n  - fault: {header_control: true}\n    disabled: true\n",
     "bad.yaml:5: filters[0].disabled: only in a route's filters"},
    {"priority out of range",
     SERVER_LINE HEALTH_ROUTE "filters:\n  - fault: {header_control: true}\n    priority: 5000\n",
     "bad.yaml:5: filters[0].priority: expected an integer from -1000 to 1000, got '5000'"},
    {"body_limit without max_bytes", SERVER_LINE HEALTH_ROUTE "filters:\n  - body_limit: {}\n",
     "bad.yaml:4: filters[0].body_limit.max_bytes: required key is missing"},
    {"fault with nothing to do", SERVER_LINE HEALTH_ROUTE "filters:\n  - fault: {}\n",
     "bad.yaml:4: filters[0].fault: expected at least one of delay, abort and header_control"},
    {"fault percentage",
     SERVER_LINE HEALTH_ROUTE "filters:\n  - fault:\n      abort: {status: 503, percentage: 150}\n",
     "bad.yaml:5: filters[0].fault.abort.percentage: expected a number from 0 to 100"},
    {"access_log field",
     SERVER_LINE HEALTH_ROUTE "filters:\n  - access_log: {fields: [status, colour]}\n",
     "bad.yaml:4: filters[0].access_log.fields[1]: unknown field 'colour'"},
    {"route filter error",
     SERVER_LINE "routes:\n  - match: {prefix: /}\n    direct_response: {status: 200}\n"
                 "    filters:\n      - body_limit: {max_bytes: lots}\n",
     "bad.yaml:6: routes[0].filters[0].body_limit.max_bytes: "},
    {"duplicate key", SERVER_LINE HEALTH_ROUTE "routes: []\n",
     "bad.yaml:3: routes: duplicate key 'routes'"},
    // The line of the "---" that starts the second document.
    {"two documents", SERVER_LINE HEALTH_ROUTE "---\nserver: {}\n",
     "bad.yaml:3: (root): only one YAML document is allowed"},
    {"missing server", HEALTH_ROUTE, "bad.yaml:1: server: required key is missing"},
    // yaml-cpp 0.7's LoadAll never returned on this (found by the config fuzzer).
    {"lone comma", ",", "bad.yaml:1: server: required key is missing"},
    {"missing routes", "logging: {}\n" SERVER_LINE, "bad.yaml:1: routes: required key is missing"},
    {"empty routes", SERVER_LINE "routes: []\n", "bad.yaml:2: routes: must list at least one"},
    {"unset variable", "server:\n  listen: [\"127.0.0.1:${NEXUS_T_UNSET_VAR}\"]\n" HEALTH_ROUTE,
     "bad.yaml:2: server.listen[0]: environment variable 'NEXUS_T_UNSET_VAR' is not set"},
    {"unterminated variable", "server:\n  listen:\n    - \"127.0.0.1:${PORT\"\n" HEALTH_ROUTE,
     "bad.yaml:3: server.listen[0]: unterminated '${'"},
};

const std::vector<BadCase> kServer = {
    {"missing listen", "server:\n  workers: 2\n" HEALTH_ROUTE,
     "bad.yaml:1: server.listen: required key is missing"},
    {"empty listen", "server:\n  listen: []\n" HEALTH_ROUTE,
     "bad.yaml:2: server.listen: must list at least one entry"},
    {"listen not a list", "server:\n  listen: \"127.0.0.1:80\"\n" HEALTH_ROUTE,
     "bad.yaml:2: server.listen: expected a list"},
    {"listen host name", "server:\n  listen:\n    - \"localhost:80\"\n" HEALTH_ROUTE,
     "bad.yaml:3: server.listen[0]: 'localhost' is not an IP address"},
    {"listen port 0", "server:\n  listen: [\"127.0.0.1:0\"]\n" HEALTH_ROUTE,
     "bad.yaml:2: server.listen[0]: invalid port '0' (expected 1-65535)"},
    {"listen unbracketed v6", "server:\n  listen: [\"::1:80\"]\n" HEALTH_ROUTE,
     "bad.yaml:2: server.listen[0]: expected IPv4:port or [IPv6]:port"},
    {"duplicate listener",
     "server:\n  listen:\n    - \"[::1]:80\"\n    - address: \"[0::1]:80\"\n" HEALTH_ROUTE,
     "bad.yaml:4: server.listen[1]: duplicate listen address [::1]:80"},
    {"listener object without address", "server:\n  listen:\n    - { tls: {} }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.listen[0].address: required key is missing"},
    {"listener http2 not a boolean",
     "server:\n  listen:\n    - { address: \"127.0.0.1:1\", http2: maybe }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.listen[0].http2:"},
    {"http2 unknown key",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  http2: { max_streams: 5 }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.http2: unknown key 'max_streams'"},
    {"http2 stream window too small",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  http2: { initial_stream_window: 100 "
     "}\n" HEALTH_ROUTE,
     "bad.yaml:3: server.http2.initial_stream_window:"},
    {"http2 connection window over 2^31-1",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  http2: { connection_window: 4GiB }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.http2.connection_window:"},
    {"listener unknown key",
     "server:\n  listen:\n    - { address: \"127.0.0.1:1\", tsl: {} }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.listen[0]: unknown key 'tsl'"},
    {"tls without certificates",
     "server:\n  listen:\n    - address: \"127.0.0.1:1\"\n      tls: { min_version: \"1.3\" "
     "}\n" HEALTH_ROUTE,
     "bad.yaml:4: server.listen[0].tls.certificates: required key is missing"},
    {"workers zero", "server:\n  listen: [\"127.0.0.1:80\"]\n  workers: 0\n" HEALTH_ROUTE,
     "bad.yaml:3: server.workers: expected auto or an integer from 1 to 1024, got '0'"},
    {"workers word", "server:\n  listen: [\"127.0.0.1:80\"]\n  workers: many\n" HEALTH_ROUTE,
     "bad.yaml:3: server.workers: expected auto or an integer from 1 to 1024, got 'many'"},
    {"duration without unit",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  timeouts:\n    header: 10\n" HEALTH_ROUTE,
     "bad.yaml:4: server.timeouts.header: expected a duration like 10s or 250ms (units ms, s, m, "
     "h; 0 = no limit), got '10'"},
    {"duration as a list",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  timeouts: { idle: [1s] }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.timeouts.idle: expected a duration like 10s or 250ms"},
    {"duration null",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  timeouts:\n    drain:\n" HEALTH_ROUTE,
     "bad.yaml:4: server.timeouts.drain: expected a duration like 10s or 250ms"},
    {"decimal size unit",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits: { max_body_bytes: 1MB }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.limits.max_body_bytes: expected a size like 64KiB or 1048576 (units B, "
     "KiB, MiB, GiB), got '1MB'"},
    {"size too large",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits: { max_request_line_bytes: 4GiB "
     "}\n" HEALTH_ROUTE,
     "bad.yaml:3: server.limits.max_request_line_bytes: size 4294967296 bytes is "
     "out of range (1 to 4294967295)"},
    {"line over head",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits:\n    max_request_line_bytes: 64KiB\n"
     "    max_request_head_bytes: 8KiB\n" HEALTH_ROUTE,
     "bad.yaml:4: server.limits.max_request_line_bytes: must not exceed max_request_head_bytes"},
    {"negative count",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits: { max_header_count: -1 }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.limits.max_header_count: expected an integer from 1 to 4294967295, got "
     "'-1'"},
    {"unknown limit",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits:\n    max_bodyy: 1\n" HEALTH_ROUTE,
     "bad.yaml:4: server.limits: unknown key 'max_bodyy'"},
    {"load shedding memory not a size",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits: { max_memory: lots }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.limits.max_memory: expected a size like 64KiB"},
    {"load shedding negative in-flight",
     "server:\n  listen: [\"127.0.0.1:80\"]\n  limits: { max_in_flight: -5 }\n" HEALTH_ROUTE,
     "bad.yaml:3: server.limits.max_in_flight: expected an integer from 0 to 4294967295"},
};

const std::vector<BadCase> kClusters = {
    {"unknown cluster key",
     SERVER_LINE
     "clusters:\n  backend:\n    endpoints: [\"127.0.0.1:9000\"]\n    lbb: x\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.backend: unknown key 'lbb' (expected one of: "
     "endpoints, protocol, lb, hash, connect_timeout, dns_refresh, tls, pool, circuit_breaker, "
     "retry_budget, health_check)"},
    {"unknown protocol",
     SERVER_LINE
     "clusters:\n  backend:\n    endpoints: [\"127.0.0.1:9000\"]\n    protocol: h3\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.backend.protocol: unknown value 'h3' (expected http1, h2)"},
    {"zero streams per connection",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    pool: { "
                 "max_streams_per_connection: 0 }\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.pool.max_streams_per_connection:"},
    {"unknown lb",
     SERVER_LINE
     "clusters:\n  backend:\n    endpoints: [\"127.0.0.1:9000\"]\n    lb: fastest\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.backend.lb: unknown value 'fastest' (expected "
     "round_robin, weighted_round_robin, least_request, consistent_hash)"},
    {"missing endpoints", SERVER_LINE "clusters:\n  backend:\n    lb: round_robin\n" HEALTH_ROUTE,
     "bad.yaml:3: clusters.backend.endpoints: required key is missing"},
    {"cluster not a mapping", SERVER_LINE "clusters:\n  backend: \"127.0.0.1:9000\"\n" HEALTH_ROUTE,
     "bad.yaml:3: clusters.backend: expected a mapping with endpoints"},
    {"bad cluster name",
     SERVER_LINE "clusters:\n  \"a b\": { endpoints: [\"x:1\"] }\n" HEALTH_ROUTE,
     "bad.yaml:3: clusters.a b: invalid cluster name 'a b'"},
    {"endpoint without port",
     SERVER_LINE "clusters:\n  backend:\n    endpoints:\n      - backend.internal\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.backend.endpoints[0]: expected host:port"},
    {"endpoint weight zero",
     SERVER_LINE "clusters:\n  backend:\n    endpoints:\n      - \"a:1\"\n"
                 "      - { address: \"b:1\", weight: 0 }\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.backend.endpoints[1].weight: expected an integer from 1 to 65535, got "
     "'0'"},
    {"duplicate endpoint",
     SERVER_LINE "clusters:\n  backend:\n    endpoints: [\"a:1\", \"A:1\"]\n" HEALTH_ROUTE,
     "bad.yaml:4: clusters.backend.endpoints[1]: duplicate endpoint"},
    {"consistent_hash without hash",
     SERVER_LINE
     "clusters:\n  backend:\n    endpoints: [\"a:1\"]\n    lb: consistent_hash\n" HEALTH_ROUTE,
     "bad.yaml:3: clusters.backend.hash: required when lb is consistent_hash"},
    {"hash without consistent_hash",
     SERVER_LINE "clusters:\n  backend:\n    endpoints: [\"a:1\"]\n    hash: { source_ip: true "
                 "}\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.backend.hash: only allowed with lb: consistent_hash"},
    {"hash with both",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    lb: consistent_hash\n"
                 "    hash: { header: x, source_ip: true }\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.hash: expected exactly one of header: NAME or source_ip: true"},
    {"hash bad header",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    lb: consistent_hash\n"
                 "    hash:\n      header: \"x y\"\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.hash.header: 'x y' is not a valid header name"},
    {"tls not a bool",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    tls: maybe\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.tls: expected true, false or a mapping"},
    {"tls verify not a bool",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    tls: { verify: 1 }\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.tls.verify: expected true or false, got '1'"},
    {"ca_file missing",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    tls:\n"
                 "      ca_file: /nonexistent/ca.pem\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.tls.ca_file: cannot read file '/nonexistent/ca.pem': No such file"},
    {"pool bad timeout",
     SERVER_LINE
     "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    pool: { idle_timeout: 1.5s }\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.pool.idle_timeout: expected a duration like 10s"},
    {"circuit breaker not a mapping",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    circuit_breaker: 3\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.circuit_breaker: expected true, false or a mapping"},
    {"circuit breaker unknown key",
     SERVER_LINE
     "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    circuit_breaker: { fails: 3 }\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.circuit_breaker: unknown key 'fails'"},
    {"circuit breaker percent over 100",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    circuit_breaker:\n"
                 "      failure_percent: 150\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.circuit_breaker.failure_percent: expected an integer from 0 to 100"},
    {"circuit breaker slow percent without slow_call",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    circuit_breaker:\n"
                 "      slow_call_percent: 50\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.circuit_breaker.slow_call_percent: slow_call_percent needs slow_call"},
    {"circuit breaker that never opens",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    circuit_breaker:\n"
                 "      consecutive_failures: 0\n      failure_percent: 0\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.circuit_breaker: nothing would open this breaker"},
    {"circuit breaker window too short",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    circuit_breaker:\n"
                 "      window: 5ms\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.circuit_breaker.window: the window must be at least 10ms"},
    {"pool queue_timeout without max_pending",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    pool:\n"
                 "      queue_timeout: 2s\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.pool.queue_timeout: queue_timeout needs max_pending"},
    {"pool max_pending not an integer",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    pool:\n"
                 "      max_pending: lots\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.pool.max_pending: expected an integer from 0 to 1000000"},
    {"pool max_pending on an h2 cluster",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    protocol: h2\n    pool:\n"
                 "      max_pending: 2\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.pool.max_pending: not supported with protocol: h2"},
    {"retry budget over 100 percent",
     SERVER_LINE
     "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    retry_budget: { percent: 101 }\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.retry_budget.percent: expected an integer from 0 to 100"},
    {"health check without a path",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check: { interval: 1s "
                 "}\n" HEALTH_ROUTE,
     "bad.yaml:5: clusters.b.health_check.path: required key is missing"},
    {"health check path without a slash",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: healthz\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.health_check.path: expected a path starting with '/'"},
    {"health check unknown key",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      method: HEAD\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check: unknown key 'method'"},
    {"health check zero interval",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      interval: 0s\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.interval: must be above 0"},
    {"health check zero timeout",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      timeout: 0ms\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.timeout: must be above 0"},
    {"health check zero threshold",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      unhealthy_threshold: 0\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.unhealthy_threshold: expected an integer from 1 to "
     "1000000"},
    {"health check healthy threshold zero",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      healthy_threshold: 0\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.healthy_threshold: expected an integer from 1 to "
     "1000000"},
    {"health check status out of range",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      expected_status: [200, 600]\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.expected_status[1]: expected a status code from 100 to "
     "599 or a range like 200-299, got '600'"},
    {"health check status range backwards",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      expected_status: [\"299-200\"]\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.expected_status[0]: expected a status code from 100 to "
     "599 or a range like 200-299, got '299-200'"},
    {"health check empty status list",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    health_check:\n"
                 "      path: /h\n      expected_status: []\n" HEALTH_ROUTE,
     "bad.yaml:7: clusters.b.health_check.expected_status: must list at least one entry"},
    {"health check on an h2 cluster",
     SERVER_LINE "clusters:\n  b:\n    endpoints: [\"a:1\"]\n    protocol: h2\n"
                 "    health_check: { path: /h }\n" HEALTH_ROUTE,
     "bad.yaml:6: clusters.b.health_check: not supported with protocol: h2"},
};

#define BACKEND "clusters: { backend: { endpoints: [\"a:1\"] } }\n"

const std::vector<BadCase> kRoutes = {
    {"retries unknown condition",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    retries:\n"
                         "      on: [reset, 418]\n",
     "bad.yaml:7: routes[0].retries.on[1]: unknown value '418' (expected connect_failure, reset, "
     "timeout, 5xx, 429)"},
    {"retries zero attempts",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    retries:\n"
                         "      attempts: 0\n",
     "bad.yaml:7: routes[0].retries.attempts: expected an integer from 1 to 10"},
    {"retries backoff max below base",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    retries:\n"
                         "      backoff: { base: 1s, max: 100ms }\n",
     "bad.yaml:7: routes[0].retries.backoff.max: must not be below base"},
    {"adaptive first byte not a mapping",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte: 95\n",
     "bad.yaml:7: routes[0].timeouts.adaptive_first_byte: expected true, false or a mapping"},
    {"adaptive first byte unknown key",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte: { p: 99 }\n",
     "bad.yaml:7: routes[0].timeouts.adaptive_first_byte: unknown key 'p'"},
    {"adaptive first byte percentile over 100",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte:\n        percentile: 101\n",
     "bad.yaml:8: routes[0].timeouts.adaptive_first_byte.percentile: expected an integer from 1 "
     "to 100"},
    {"adaptive first byte multiplier below 1",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte:\n        multiplier: 0.5\n",
     "bad.yaml:8: routes[0].timeouts.adaptive_first_byte.multiplier: expected a number from 1 to "
     "100, got '0.5'"},
    {"adaptive first byte multiplier not a number",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte:\n        multiplier: 2x\n",
     "bad.yaml:8: routes[0].timeouts.adaptive_first_byte.multiplier: expected a number from 1 to "
     "100, got '2x'"},
    {"adaptive first byte floor above the ceiling",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte:\n        floor: 5s\n        ceiling: 2s\n",
     "bad.yaml:8: routes[0].timeouts.adaptive_first_byte.floor: must be above 0 and not above the "
     "ceiling (2000ms)"},
    {"adaptive first byte without a ceiling",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      first_byte: 0\n      adaptive_first_byte: true\n",
     "bad.yaml:8: routes[0].timeouts.adaptive_first_byte: needs a ceiling"},
    {"adaptive first byte zero min_samples",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    timeouts:\n"
                         "      adaptive_first_byte: { min_samples: 0 }\n",
     "bad.yaml:7: routes[0].timeouts.adaptive_first_byte.min_samples: expected an integer from 1 "
     "to 1000000"},
    {"fallback response with a bad status",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n"
                         "    fallback_response: { status: 99 }\n",
     "bad.yaml:6: routes[0].fallback_response.status: expected an integer from 200 to 599"},
    {"fallback response on a direct response",
     SERVER_LINE "routes:\n  - match: {}\n    direct_response: {}\n    fallback_response: {}\n",
     "bad.yaml:5: routes[0].fallback_response: only allowed with cluster, not with "
     "direct_response"},
    {"retries on a direct response",
     SERVER_LINE "routes:\n  - match: {}\n    direct_response: {}\n    retries: {}\n",
     "bad.yaml:5: routes[0].retries: only allowed with cluster, not with direct_response"},
    {"unknown route cluster", SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: nope\n",
     "bad.yaml:5: routes[0].cluster: unknown cluster 'nope' (not defined in clusters)"},
    {"no clusters at all", SERVER_LINE "routes:\n  - { match: {}, cluster: backend }\n",
     "bad.yaml:3: routes[0].cluster: unknown cluster 'backend'"},
    {"cluster and direct_response",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n    direct_response: {}\n",
     "bad.yaml:6: routes[0].direct_response: expected exactly one of cluster, direct_response and "
     "llm"},
    {"neither cluster nor direct_response",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n  - match: {}\n",
     "bad.yaml:4: routes[0]: expected exactly one of cluster, direct_response and llm"},
    {"missing match",
     SERVER_LINE BACKEND "routes:\n  - { match: {}, cluster: backend }\n"
                         "  - cluster: backend\n",
     "bad.yaml:5: routes[1].match: required key is missing"},
    {"route unknown key", SERVER_LINE BACKEND "routes:\n  - match: {}\n    clutser: backend\n",
     "bad.yaml:5: routes[0]: unknown key 'clutser'"},
    {"path and prefix",
     SERVER_LINE BACKEND
     "routes:\n  - match:\n      path: /a\n      prefix: /b\n    cluster: backend\n",
     "bad.yaml:6: routes[0].match.prefix: only one of path, prefix and regex may be given"},
    {"prefix without slash",
     SERVER_LINE BACKEND "routes:\n  - match: { prefix: api }\n    cluster: backend\n",
     "bad.yaml:4: routes[0].match.prefix: must start with '/', got 'api'"},
    {"bad regex",
     SERVER_LINE BACKEND "routes:\n  - match:\n      regex: \"/v(1\"\n    cluster: backend\n",
     "bad.yaml:5: routes[0].match.regex: invalid regex '/v(1': missing ): /v(1"},
    {"bad header regex",
     SERVER_LINE BACKEND
     "routes:\n  - match:\n      headers:\n        - { name: a, regex: \"[\" }\n"
     "    cluster: backend\n",
     "bad.yaml:6: routes[0].match.headers[0].regex: invalid regex '[': missing ]: ["},
    {"header name not a token",
     SERVER_LINE BACKEND "routes:\n  - match:\n      headers:\n        - name: \"x env\"\n"
                         "    cluster: backend\n",
     "bad.yaml:6: routes[0].match.headers[0].name: 'x env' is not a valid header name"},
    {"header without name",
     SERVER_LINE BACKEND "routes:\n  - match:\n      headers:\n        - { exact: x }\n"
                         "    cluster: backend\n",
     "bad.yaml:6: routes[0].match.headers[0].name: required key is "
     "missing"},
    {"header exact and present",
     SERVER_LINE BACKEND "routes:\n  - match:\n      headers:\n        - name: a\n"
                         "          exact: b\n          present: false\n    cluster: backend\n",
     "bad.yaml:8: routes[0].match.headers[0].present: only one of exact, regex and present"},
    {"lower-case method",
     SERVER_LINE BACKEND "routes:\n  - match: { methods: [GET, post] }\n    cluster: backend\n",
     "bad.yaml:4: routes[0].match.methods[1]: expected an upper-case method like GET, got 'post'"},
    {"host with port",
     SERVER_LINE BACKEND "routes:\n  - match: { host: \"a.test:80\" }\n    cluster: backend\n",
     "bad.yaml:4: routes[0].match.host: expected a host name (no port) or *.domain"},
    {"host and hosts",
     SERVER_LINE BACKEND "routes:\n  - match: { host: a, hosts: [b] }\n    cluster: backend\n",
     "bad.yaml:4: routes[0].match.hosts: use either host or hosts, not both"},
    {"bad wildcard",
     SERVER_LINE BACKEND "routes:\n  - match:\n      hosts: [a.test, \"*b.test\"]\n"
                         "    cluster: backend\n",
     "bad.yaml:5: routes[0].match.hosts[1]: expected a host name"},
    {"prefix_rewrite without prefix",
     SERVER_LINE BACKEND "routes:\n  - match: { path: /a }\n    cluster: backend\n"
                         "    prefix_rewrite: /b\n",
     "bad.yaml:6: routes[0].prefix_rewrite: only allowed when match has a prefix"},
    {"timeouts with direct_response",
     SERVER_LINE "routes:\n  - match: {}\n    direct_response: {}\n    timeouts: { total: 1s }\n",
     "bad.yaml:5: routes[0].timeouts: only allowed with cluster, not with direct_response"},
    {"direct status too low",
     SERVER_LINE "routes:\n  - match: {}\n    direct_response:\n      status: 199\n",
     "bad.yaml:5: routes[0].direct_response.status: expected an integer from 200 to 599, got "
     "'199'"},
    {"route timeout bad",
     SERVER_LINE BACKEND "routes:\n  - match: {}\n    cluster: backend\n"
                         "    timeouts: { first_byte: fast }\n",
     "bad.yaml:6: routes[0].timeouts.first_byte: expected a duration like 10s or 250ms"},
    {"third route",
     SERVER_LINE BACKEND
     "routes:\n  - { match: {}, cluster: backend }\n"
     "  - { match: {}, cluster: backend }\n  - match:\n      prefix: x\n    cluster: backend\n",
     "bad.yaml:7: routes[2].match.prefix: must start with '/'"},
};

const std::vector<BadCase> kLogging = {
    {"unknown level", SERVER_LINE HEALTH_ROUTE "logging:\n  level: loud\n",
     "bad.yaml:4: logging.level: unknown value 'loud' (expected trace, debug, info, warn, error, "
     "critical, off)"},
    {"unknown log format", SERVER_LINE HEALTH_ROUTE "logging:\n  format: yaml\n",
     "bad.yaml:4: logging.format: unknown value 'yaml' (expected json, text)"},
    {"access_log unknown key", SERVER_LINE HEALTH_ROUTE "logging:\n  access_log: { file: x }\n",
     "bad.yaml:4: logging.access_log: unknown key 'file'"},
    {"access_log empty path", SERVER_LINE HEALTH_ROUTE "logging:\n  access_log: { path: \"\" }\n",
     "bad.yaml:4: logging.access_log.path: expected stdout, stderr or a file path"},
};

// The ops listener (docs/observability.md).
const std::vector<BadCase> kObservability = {
    {"observability unknown key", SERVER_LINE HEALTH_ROUTE "observability:\n  port: 9464\n",
     "bad.yaml:4: observability: unknown key 'port' (expected one of: listen, tracing, "
     "strict_readiness, alerts)"},
    {"observability listen not an address",
     SERVER_LINE HEALTH_ROUTE "observability:\n  listen: localhost\n",
     "bad.yaml:4: observability.listen: "},
    {"observability listen on the server's address",
     SERVER_LINE HEALTH_ROUTE "observability:\n  listen: 127.0.0.1:8080\n",
     "bad.yaml:4: observability.listen: this address is already used by another listener"},
    {"observability listen unknown listener key",
     SERVER_LINE HEALTH_ROUTE
     "observability:\n  listen: { address: \"127.0.0.1:9464\", h3: true }\n",
     "bad.yaml:4: observability.listen: unknown key 'h3'"},
};

// Shared counters in Redis (docs/governance_redis.md).
const std::vector<BadCase> kGovernanceRedis = {
    {"redis not a redis URL", SERVER_LINE HEALTH_ROUTE "governance:\n  redis: rediss://h:1\n",
     "bad.yaml:4: governance.redis: expected redis://[:password@]host[:port][/db]: the scheme "
     "must be redis://"},
    {"redis port zero", SERVER_LINE HEALTH_ROUTE "governance:\n  redis: redis://h:0\n",
     "bad.yaml:4: governance.redis: expected redis://[:password@]host[:port][/db]: the port must "
     "be a number from 1 to 65535"},
    {"redis bad escape", SERVER_LINE HEALTH_ROUTE "governance:\n  redis: redis://:p%zz@h\n",
     "bad.yaml:4: governance.redis: expected redis://[:password@]host[:port][/db]: a bad "
     "%-escape (% must be followed by two hex digits)"},
    {"redis_timeout too long", SERVER_LINE HEALTH_ROUTE "governance:\n  redis_timeout: 2m\n",
     "bad.yaml:4: governance.redis_timeout: expected from 1ms to 60s"},
    {"rate_limits_without_redis",
     SERVER_LINE HEALTH_ROUTE "governance:\n  rate_limits_without_redis: fail\n",
     "bad.yaml:4: governance.rate_limits_without_redis: unknown value 'fail' (expected closed, "
     "open)"},
};

// `observability.tracing` (docs/observability.md); its keys are on line 5.
#define TRACING SERVER_LINE HEALTH_ROUTE "observability:\n  tracing:\n"
const std::vector<BadCase> kTracing = {
    {"tracing unknown key", TRACING "    endpoints: http://127.0.0.1:4318\n",
     "bad.yaml:5: observability.tracing: unknown key 'endpoints'"},
    {"endpoint without scheme", TRACING "    endpoint: 127.0.0.1:4318/v1/traces\n",
     "bad.yaml:5: observability.tracing.endpoint: expected an http:// or https:// URL"},
    {"endpoint bad port", TRACING "    endpoint: http://127.0.0.1:0/v1/traces\n",
     "bad.yaml:5: observability.tracing.endpoint: expected a host and an optional port"},
    {"sampling_ratio above 1", TRACING "    sampling_ratio: 1.5\n",
     "bad.yaml:5: observability.tracing.sampling_ratio: "},
    {"sampling_ratio not a number", TRACING "    sampling_ratio: half\n",
     "bad.yaml:5: observability.tracing.sampling_ratio: "},
    {"empty service_name", TRACING "    service_name: \"\"\n",
     "bad.yaml:5: observability.tracing.service_name: expected a non-empty name"},
    {"max_queue_spans zero", TRACING "    max_queue_spans: 0\n",
     "bad.yaml:5: observability.tracing.max_queue_spans: "},
    {"batch over the queue", TRACING "    max_queue_spans: 10\n    batch_size: 20\n",
     "bad.yaml:6: observability.tracing.batch_size: must not exceed max_queue_spans (10)"},
    {"flush_interval zero", TRACING "    flush_interval: 0s\n",
     "bad.yaml:5: observability.tracing.flush_interval: must be greater than 0"},
    {"max_retries too many", TRACING "    max_retries: 11\n",
     "bad.yaml:5: observability.tracing.max_retries: "},
    {"header name with a space", TRACING "    headers: { \"x token\": a }\n",
     "bad.yaml:5: observability.tracing.headers.x token: expected a header name"},
    {"headers not a mapping", TRACING "    headers: [a]\n",
     "bad.yaml:5: observability.tracing.headers: "},
};

// `observability.alerts` (docs/observability.md, "Alerts"); its keys are on line 6, a webhook
// or rule given inline on line 7.
#define ALERTS SERVER_LINE HEALTH_ROUTE "observability:\n  listen: \"127.0.0.1:9464\"\n  alerts:\n"
#define HOOK "    webhooks: [{ name: ops, url: \"http://127.0.0.1:9/hook\" }]\n"
const std::vector<BadCase> kAlerts = {
    {"alerts unknown key", ALERTS "    rule: []\n",
     "bad.yaml:6: observability.alerts: unknown key 'rule'"},
    {"alerts without the ops listener",
     SERVER_LINE HEALTH_ROUTE "observability:\n  alerts:\n    rules:\n"
                              "      - { name: a, kind: circuit_open, threshold: 1 }\n",
     "bad.yaml:4: observability.alerts: alerts read the metrics: they need observability.listen"},
    {"evaluation_interval zero", ALERTS "    evaluation_interval: 0s\n",
     "bad.yaml:6: observability.alerts.evaluation_interval: must be greater than 0"},
    {"webhook without url", ALERTS "    webhooks: [{ name: ops }]\n",
     "bad.yaml:6: observability.alerts.webhooks[0].url: required key is missing"},
    {"webhook url not http", ALERTS "    webhooks: [{ name: ops, url: \"ftp://x/\" }]\n",
     "bad.yaml:6: observability.alerts.webhooks[0].url: expected an http:// or https:// URL"},
    {"webhook max_attempts zero",
     ALERTS "    webhooks: [{ name: ops, url: \"http://127.0.0.1:9/\", max_attempts: 0 }]\n",
     "bad.yaml:6: observability.alerts.webhooks[0].max_attempts: "},
    {"webhook twice",
     ALERTS
     "    webhooks: [{ name: ops, url: \"http://a/\" }, { name: ops, url: \"http://b/\" }]\n",
     "bad.yaml:6: observability.alerts.webhooks[1].name: a webhook of this name is already "
     "configured"},
    {"rule unknown kind", ALERTS "    rules:\n      - { name: a, kind: cpu, threshold: 1 }\n",
     "bad.yaml:7: observability.alerts.rules[0].kind: unknown value 'cpu' (expected error_rate, "
     "latency_p95, budget, circuit_open, provider_auth_failures)"},
    {"rule without threshold", ALERTS "    rules:\n      - { name: a, kind: error_rate }\n",
     "bad.yaml:7: observability.alerts.rules[0].threshold: required key is missing"},
    {"error_rate over 1",
     ALERTS "    rules:\n      - { name: a, kind: error_rate, threshold: 5 }\n",
     "bad.yaml:7: observability.alerts.rules[0].threshold: "},
    {"rule unknown webhook",
     ALERTS HOOK
     "    rules:\n      - { name: a, kind: circuit_open, threshold: 1, webhooks: [pager] }\n",
     "bad.yaml:8: observability.alerts.rules[0].webhooks: no webhook is named 'pager'"},
    {"rule unknown route",
     ALERTS
     "    rules:\n      - { name: a, kind: error_rate, threshold: 0.1, match: { route: nope } }\n",
     "bad.yaml:7: observability.alerts.rules[0].match.route: no route is named 'nope'"},
    {"match key of another kind",
     ALERTS
     "    rules:\n      - { name: a, kind: error_rate, threshold: 0.1, match: { team: t } }\n",
     "bad.yaml:7: observability.alerts.rules[0].match: unknown key 'team'"},
    {"budget without governance",
     ALERTS "    rules:\n      - { name: a, kind: budget, threshold: 0.8, match: { team: t } }\n",
     "bad.yaml:7: observability.alerts.rules[0].kind: a budget rule needs governance"},
    {"window zero",
     ALERTS "    rules:\n      - { name: a, kind: error_rate, threshold: 0.1, window: 0s }\n",
     "bad.yaml:7: observability.alerts.rules[0].window: must be greater than 0"},
    {"rule twice",
     ALERTS "    rules:\n      - { name: a, kind: circuit_open, threshold: 1 }\n"
            "      - { name: a, kind: circuit_open, threshold: 2 }\n",
     "bad.yaml:8: observability.alerts.rules[1].name: a rule of this name is already configured"},
};

// The `prices` section (docs/pricing.md); an entry starts on line 5.
#define PRICES SERVER_LINE HEALTH_ROUTE "prices:\n  models:\n"
const std::vector<BadCase> kPrices = {
    {"prices not a mapping", SERVER_LINE HEALTH_ROUTE "prices: [a]\n", "bad.yaml:3: prices: "},
    {"prices unknown key", SERVER_LINE HEALTH_ROUTE "prices: { files: x }\n",
     "bad.yaml:3: prices: unknown key 'files' (expected one of: builtin, file, models)"},
    {"builtin not a boolean", SERVER_LINE HEALTH_ROUTE "prices: { builtin: maybe }\n",
     "bad.yaml:3: prices.builtin: "},
    {"missing price file", SERVER_LINE HEALTH_ROUTE "prices: { file: /nonexistent/p.yaml }\n",
     "bad.yaml:3: prices.file: cannot read file '/nonexistent/p.yaml': "},
    {"models not a list", SERVER_LINE HEALTH_ROUTE "prices: { models: { a: 1 } }\n",
     "bad.yaml:3: prices.models: expected a list"},
    {"entry without model", PRICES "    - { provider: openai, input: 1, output: 1 }\n",
     "bad.yaml:5: prices.models[0].model: required key is missing"},
    {"entry without output", PRICES "    - { model: m, input: 1 }\n",
     "bad.yaml:5: prices.models[0].output: required key is missing"},
    {"entry unknown key", PRICES "    - { model: m, input: 1, output: 1, inputs: 2 }\n",
     "bad.yaml:5: prices.models[0]: unknown key 'inputs'"},
    {"empty provider kind", PRICES "    - { provider: \"\", model: m, input: 1, output: 1 }\n",
     "bad.yaml:5: prices.models[0].provider: the provider kind cannot be empty"},
    {"empty provider in a list",
     PRICES "    - { provider: [a, \"\"], model: m, input: 1, output: 1 }\n",
     "bad.yaml:5: prices.models[0].provider[1]: the provider kind cannot be empty"},
    {"empty model id", PRICES "    - { model: \"\", input: 1, output: 1 }\n",
     "bad.yaml:5: prices.models[0].model: the model id cannot be empty"},
    {"negative rate", PRICES "    - { model: m, input: -1, output: 1 }\n",
     "bad.yaml:5: prices.models[0].input: expected a number from 0 to 10000, got '-1'"},
    {"exponent", PRICES "    - { model: m, input: 1, output: 2e-1 }\n",
     "bad.yaml:5: prices.models[0].output: expected a number from 0 to 10000, got '2e-1'"},
    {"rate too large", PRICES "    - { model: m, input: 10000.5, output: 1 }\n",
     "bad.yaml:5: prices.models[0].input: expected a number from 0 to 10000, got '10000.5'"},
    {"rate too precise", PRICES "    - { model: m, input: 1, output: 1, cache_read: 0.0000001 }\n",
     "bad.yaml:5: prices.models[0].cache_read: expected a number from 0 to 10000 with at most 6 "
     "decimal places (a millionth of a dollar per million tokens), got '0.0000001'"},
    {"fee too precise",
     PRICES "    - { model: m, input: 1, output: 1, per_request: 0.0000000001 }\n",
     "bad.yaml:5: prices.models[0].per_request: expected a number from 0 to 1000 with at most 9 "
     "decimal places (a billionth of a dollar), got '0.0000000001'"},
    {"tier without threshold",
     PRICES "    - { model: m, input: 1, output: 1, long_context: { input: 2, output: 2 } }\n",
     "bad.yaml:5: prices.models[0].long_context.above_input_tokens: required key is missing"},
    {"tier threshold 0",
     PRICES "    - { model: m, input: 1, output: 1,\n"
            "        long_context: { above_input_tokens: 0, input: 2, output: 2 } }\n",
     "bad.yaml:6: prices.models[0].long_context.above_input_tokens: expected an integer from 1 "},
    {"tier without rates",
     PRICES "    - { model: m, input: 1, output: 1, long_context: { above_input_tokens: 9 } }\n",
     "bad.yaml:5: prices.models[0].long_context.input: required key is missing"},
    {"batch with a fee",
     PRICES "    - { model: m, input: 1, output: 1,\n"
            "        batch: { input: 1, output: 1, per_request: 1 } }\n",
     "bad.yaml:6: prices.models[0].batch: unknown key 'per_request'"},
    {"dated_snapshots not a boolean",
     PRICES "    - { model: m, input: 1, output: 1, dated_snapshots: often }\n",
     "bad.yaml:5: prices.models[0].dated_snapshots: "},
};

// JWT callers of the admin API (docs/governance.md); the jwt mapping starts on line 7.
#define ADMIN_JWT                                           \
  SERVER_LINE HEALTH_ROUTE                                  \
      "governance:\n  admin:\n    listen: 127.0.0.1:9091\n" \
      "    jwt:\n"
#define JWT_GOOD "      issuer: https://idp.test/\n      audiences: [nexus-admin]\n"
const std::vector<BadCase> kGovernanceAdminJwt = {
    {"missing issuer", ADMIN_JWT "      audiences: [a]\n      jwks_uri: https://idp.test/k\n",
     "bad.yaml:6: governance.admin.jwt.issuer: required key is missing"},
    {"empty issuer", ADMIN_JWT "      issuer: \"\"\n",
     "bad.yaml:7: governance.admin.jwt.issuer: expected the identity provider's issuer"},
    {"missing audiences", ADMIN_JWT "      issuer: https://idp.test/\n",
     "bad.yaml:6: governance.admin.jwt.audiences: required key is missing"},
    {"no audiences", ADMIN_JWT "      issuer: https://idp.test/\n      audiences: []\n",
     "bad.yaml:8: governance.admin.jwt.audiences: "},
    {"empty audience", ADMIN_JWT "      issuer: https://idp.test/\n      audiences: [a, \"\"]\n",
     "bad.yaml:8: governance.admin.jwt.audiences[1]: expected an audience"},
    {"both jwks_file and jwks_uri",
     ADMIN_JWT JWT_GOOD "      jwks_file: /etc/jwks.json\n      jwks_uri: https://idp.test/k\n",
     "bad.yaml:10: governance.admin.jwt.jwks_uri: give jwks_file or jwks_uri, not both"},
    {"no keys", ADMIN_JWT JWT_GOOD,
     "bad.yaml:6: governance.admin.jwt: the provider's keys are required: give jwks_file or "
     "jwks_uri"},
    {"missing jwks_file", ADMIN_JWT JWT_GOOD "      jwks_file: /nonexistent/jwks.json\n",
     "bad.yaml:9: governance.admin.jwt.jwks_file: "},
    {"jwks_uri not a URL", ADMIN_JWT JWT_GOOD "      jwks_uri: idp.test/keys\n",
     "bad.yaml:9: governance.admin.jwt.jwks_uri: expected an http:// or https:// URL"},
    // There is no default role: a token without its role claim is refused (403).
    {"unknown role claim default",
     ADMIN_JWT JWT_GOOD "      jwks_uri: https://idp.test/k\n      default_role: member\n",
     "bad.yaml:10: governance.admin.jwt: unknown key 'default_role'"},
    {"empty role claim",
     ADMIN_JWT JWT_GOOD "      jwks_uri: https://idp.test/k\n      role_claim: \"\"\n",
     "bad.yaml:10: governance.admin.jwt.role_claim: expected the name of a claim"},
    {"bad clock_skew",
     ADMIN_JWT JWT_GOOD "      jwks_uri: https://idp.test/k\n      clock_skew: soon\n",
     "bad.yaml:10: governance.admin.jwt.clock_skew: expected a duration like 10s or 250ms"},
    {"clock_skew too long",
     ADMIN_JWT JWT_GOOD "      jwks_uri: https://idp.test/k\n      clock_skew: 10m\n",
     "bad.yaml:10: governance.admin.jwt.clock_skew: expected at most 5m"},
    {"symmetric algorithm",
     ADMIN_JWT JWT_GOOD "      jwks_uri: https://idp.test/k\n      algorithms: [RS256, HS256]\n",
     "bad.yaml:10: governance.admin.jwt.algorithms[1]: unknown value 'HS256' (expected RS256, "
     "ES256, EdDSA)"},
};

void expect_errors(const std::vector<BadCase>& cases) {
  ::unsetenv("NEXUS_T_UNSET_VAR");
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto loaded = load_config_text(c.yaml, "bad.yaml");
    ASSERT_FALSE(loaded.has_value()) << "accepted:\n" << c.yaml;
    EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidConfig);
    EXPECT_TRUE(loaded.error().message().starts_with(c.prefix))
        << "  actual: " << loaded.error().message() << "\nexpected: " << c.prefix << "...";
  }
}

TEST(ConfigErrors, SyntaxAndStructure) { expect_errors(kSyntaxAndStructure); }
TEST(ConfigErrors, Server) { expect_errors(kServer); }
TEST(ConfigErrors, Clusters) { expect_errors(kClusters); }
TEST(ConfigErrors, Routes) { expect_errors(kRoutes); }
TEST(ConfigErrors, Logging) { expect_errors(kLogging); }
TEST(ConfigErrors, Prices) { expect_errors(kPrices); }
TEST(ConfigErrors, GovernanceAdminJwt) { expect_errors(kGovernanceAdminJwt); }
TEST(ConfigErrors, GovernanceRedis) { expect_errors(kGovernanceRedis); }
TEST(ConfigErrors, Observability) { expect_errors(kObservability); }
TEST(ConfigErrors, Tracing) { expect_errors(kTracing); }
TEST(ConfigErrors, Alerts) { expect_errors(kAlerts); }

// A fresh directory per test under /tmp, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("nexus_config_err_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_ / "certs");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& relative, const std::string& text) const {
    std::ofstream(path_ / relative) << text;
    return (path_ / relative).string();
  }

 private:
  std::filesystem::path path_;
};

constexpr const char* kTlsConfig = R"(server:
  listen:
    - "127.0.0.1:8080"
    - address: "127.0.0.1:8443"
      tls:
        certificates:
          - { cert: certs/a.pem, key: certs/a.key }
          - cert: certs/b.pem
            key: certs/b.key
routes: [{ match: {}, direct_response: {} }]
)";

TEST(ConfigErrors, MissingKeyFileNamesTheKey) {
  TempDir dir;
  dir.write("certs/a.pem", "x");
  dir.write("certs/a.key", "x");
  dir.write("certs/b.pem", "x");
  std::string file = dir.write("nexus.yaml", kTlsConfig);
  auto loaded = load_config_file(file);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().message().starts_with(
      file + ":9: server.listen[1].tls.certificates[1].key: cannot read file 'certs/b.key'"))
      << loaded.error().message();
  EXPECT_NE(loaded.error().message().find("No such file or directory"), std::string::npos);
}

TEST(ConfigErrors, MissingCertFileNamesTheKey) {
  TempDir dir;
  std::string file = dir.write("nexus.yaml", kTlsConfig);
  auto loaded = load_config_file(file);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().message().starts_with(
      file + ":7: server.listen[1].tls.certificates[0].cert: cannot read file 'certs/a.pem'"))
      << loaded.error().message();
}

TEST(ConfigErrors, CertIsADirectory) {
  TempDir dir;
  std::filesystem::create_directories(std::filesystem::path(dir.write("x", "")).parent_path() /
                                      "certs/a.pem");
  std::string file = dir.write("nexus.yaml", kTlsConfig);
  auto loaded = load_config_file(file);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message().find("certificates[0].cert: cannot read file 'certs/a.pem'"),
            std::string::npos)
      << loaded.error().message();
  EXPECT_NE(loaded.error().message().find("not a regular file"), std::string::npos);
}

TEST(ConfigErrors, UnreadableCertFile) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root can read any file";
  }
  TempDir dir;
  for (const char* name : {"certs/a.pem", "certs/a.key", "certs/b.pem", "certs/b.key"}) {
    dir.write(name, "x");
  }
  ::chmod(dir.write("certs/a.key", "x").c_str(), 0);
  auto loaded = load_config_file(dir.write("nexus.yaml", kTlsConfig));
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message().find(
                ":7: server.listen[1].tls.certificates[0].key: cannot read file 'certs/a.key'"),
            std::string::npos)
      << loaded.error().message();
  EXPECT_NE(loaded.error().message().find("Permission denied"), std::string::npos);
}

TEST(ConfigErrors, MissingConfigFile) {
  auto loaded = load_config_file("/nonexistent/nexus.yaml");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(loaded.error().message(),
            "/nonexistent/nexus.yaml: cannot read: No such file or directory");
}

TEST(ConfigErrors, ConfigPathIsADirectory) {
  auto loaded = load_config_file("/tmp");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_TRUE(loaded.error().message().starts_with("/tmp: cannot read"))
      << loaded.error().message();
}

}  // namespace
}  // namespace nexus::control

// The `server` section: listeners, workers, limits and timeouts.
#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "control/config/address.h"
#include "control/config/sections.h"

namespace nexus::control::config_internal {
namespace {

constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxWorkers = 1024;

Result<void> parse_certificate(const Reader& r, const Field& field, config::TlsCertificate& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"cert", "key"}));
  Field cert = r.child(field, "cert");
  Field key = r.child(field, "key");
  NEXUS_CONFIG_TRY(r.require(cert));
  NEXUS_CONFIG_TRY(r.require(key));
  auto cert_file = r.readable_file(cert);
  if (!cert_file) {
    return std::unexpected(std::move(cert_file.error()));
  }
  auto key_file = r.readable_file(key);
  if (!key_file) {
    return std::unexpected(std::move(key_file.error()));
  }
  out.cert_file = std::move(*cert_file);
  out.key_file = std::move(*key_file);
  return {};
}

}  // namespace

Result<void> parse_listener_tls(const Reader& r, const Field& field, config::ListenerTls& out) {
  static constexpr std::array<std::string_view, 2> kVersions = {"1.2", "1.3"};
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"certificates", "min_version"}));
  Field certificates = r.child(field, "certificates");
  NEXUS_CONFIG_TRY(r.require(certificates));
  auto items = r.items(certificates, /*non_empty=*/true);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  for (const Field& item : *items) {
    NEXUS_CONFIG_TRY(parse_certificate(r, item, out.certificates.emplace_back()));
  }
  if (Field version = r.child(field, "min_version"); version.present) {
    auto value = r.one_of(version, kVersions);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out.min_version = std::move(*value);
  }
  return {};
}

// A listener is either "IP:port" or { address: "IP:port", tls: {...}, http2: bool }.
Result<void> parse_listener(const Reader& r, const Field& field, config::Listener& out) {
  const bool is_map = field.node.IsMap();
  if (!is_map && !field.node.IsScalar()) {
    return r.error(field, "expected \"IP:port\" or a mapping with address (and tls)");
  }
  const Field address = is_map ? r.child(field, "address") : field;
  if (is_map) {
    NEXUS_CONFIG_TRY(r.check_mapping(field, {"address", "tls", "http2"}));
    NEXUS_CONFIG_TRY(r.require(address));
    if (Field tls = r.child(field, "tls"); tls.present) {
      NEXUS_CONFIG_TRY(parse_listener_tls(r, tls, out.tls.emplace()));
    }
    out.http2 = out.tls.has_value();
    NEXUS_CONFIG_TRY(r.read(field, "http2", out.http2));
  }
  auto text = r.string(address);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  auto parsed = parse_listen_address(*text);
  if (!parsed) {
    return r.error(address, parsed.error());
  }
  out.host = std::move(parsed->host);
  out.port = parsed->port;
  return {};
}

namespace {

Result<void> parse_listeners(const Reader& r, const Field& field,
                             std::vector<config::Listener>& out) {
  NEXUS_CONFIG_TRY(r.require(field));
  auto items = r.items(field, /*non_empty=*/true);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  std::set<std::pair<std::string, uint16_t>> seen;
  for (const Field& item : *items) {
    config::Listener& listener = out.emplace_back();
    NEXUS_CONFIG_TRY(parse_listener(r, item, listener));
    if (!seen.emplace(listener.host, listener.port).second) {
      bool v6 = listener.host.find(':') != std::string::npos;
      std::string shown = v6 ? "[" + listener.host + "]" : listener.host;
      return r.error(item,
                     "duplicate listen address " + shown + ":" + std::to_string(listener.port));
    }
  }
  return {};
}

// "auto" (one worker per core, stored as 0) or 1..kMaxWorkers.
Result<void> parse_workers(const Reader& r, const Field& field, uint32_t& out) {
  if (!field.present) {
    return {};
  }
  auto text = r.string(field);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  if (*text == "auto") {
    out = 0;
    return {};
  }
  auto value = r.integer(field, 1, kMaxWorkers);
  if (!value) {
    return r.error(field, "expected auto or an integer from 1 to " + std::to_string(kMaxWorkers) +
                              ", got '" + *text + "'");
  }
  out = static_cast<uint32_t>(*value);
  return {};
}

Result<void> parse_limits(const Reader& r, const Field& field, config::Limits& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(
      field,
      {"max_request_line_bytes", "max_request_head_bytes", "max_header_count", "max_body_bytes",
       "max_requests_per_connection", "max_connections", "max_in_flight", "max_memory"}));
  NEXUS_CONFIG_TRY(
      r.read_size(field, "max_request_line_bytes", out.max_request_line_bytes, 1, kMaxU32));
  NEXUS_CONFIG_TRY(
      r.read_size(field, "max_request_head_bytes", out.max_request_head_bytes, 1, kMaxU32));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_header_count", out.max_header_count, 1, kMaxU32));
  NEXUS_CONFIG_TRY(r.read_size(field, "max_body_bytes", out.max_body_bytes, 1,
                               std::numeric_limits<uint64_t>::max()));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_requests_per_connection",
                                  out.max_requests_per_connection, 0, kMaxU32));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_connections", out.max_connections, 1, kMaxU32));
  NEXUS_CONFIG_TRY(r.read_integer(field, "max_in_flight", out.max_in_flight, 0, kMaxU32));
  NEXUS_CONFIG_TRY(
      r.read_size(field, "max_memory", out.max_memory, 0, std::numeric_limits<uint64_t>::max()));
  // The request line is part of the head, so a larger line limit could never be reached.
  if (out.max_request_line_bytes > out.max_request_head_bytes) {
    Field line = r.child(field, "max_request_line_bytes");
    return r.error(line, "must not exceed max_request_head_bytes (" +
                             std::to_string(out.max_request_head_bytes) + " bytes)");
  }
  return {};
}

Result<void> parse_server_timeouts(const Reader& r, const Field& field,
                                   config::ServerTimeouts& out) {
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"header", "body", "idle", "drain"}));
  NEXUS_CONFIG_TRY(r.read(field, "header", out.header));
  NEXUS_CONFIG_TRY(r.read(field, "body", out.body));
  NEXUS_CONFIG_TRY(r.read(field, "idle", out.idle));
  NEXUS_CONFIG_TRY(r.read(field, "drain", out.drain));
  return {};
}

// Window sizes are bounded by RFC 9113 §6.9.1 (2^31-1); below 64 KiB a connection window would
// be smaller than the default the client starts with.
Result<void> parse_http2(const Reader& r, const Field& field, config::Http2& out) {
  constexpr uint64_t kMaxWindow = (uint64_t{1} << 31) - 1;
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"max_concurrent_streams", "initial_stream_window", "connection_window"}));
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "max_concurrent_streams", out.max_concurrent_streams, 1, 100000));
  NEXUS_CONFIG_TRY(
      r.read_size(field, "initial_stream_window", out.initial_stream_window, 1024, kMaxWindow));
  NEXUS_CONFIG_TRY(
      r.read_size(field, "connection_window", out.connection_window, 65535, kMaxWindow));
  return {};
}

}  // namespace

Result<void> parse_server(const Reader& r, const Field& field, config::Server& out) {
  NEXUS_CONFIG_TRY(r.require(field));
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"listen", "workers", "limits", "timeouts", "http2"}));
  NEXUS_CONFIG_TRY(parse_listeners(r, r.child(field, "listen"), out.listen));
  NEXUS_CONFIG_TRY(parse_workers(r, r.child(field, "workers"), out.workers));
  NEXUS_CONFIG_TRY(parse_limits(r, r.child(field, "limits"), out.limits));
  NEXUS_CONFIG_TRY(parse_server_timeouts(r, r.child(field, "timeouts"), out.timeouts));
  NEXUS_CONFIG_TRY(parse_http2(r, r.child(field, "http2"), out.http2));
  return {};
}

}  // namespace nexus::control::config_internal

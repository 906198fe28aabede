// TLS contexts: server side (certificates chosen by SNI, ALPN) and client side (upstreams,
// verified against the system CA store or a configured CA file).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "nexus/config/config.h"
#include "nexus/core/result.h"

namespace nexus::net {

// The TLS setup of one listener. Immutable after creation; shared by all workers (OpenSSL
// contexts are safe to use from several threads once configured).
class ServerTls {
 public:
  ServerTls() = default;  // use create()
  // `http2`: ALPN offers h2 before http/1.1.
  static Result<std::unique_ptr<ServerTls>> create(const config::ListenerTls& tls, bool http2);

  // The context new connections start with; SNI may switch them to another certificate's.
  boost::asio::ssl::context& default_context() { return *contexts_.front().context; }

 private:
  struct Certificate {
    std::unique_ptr<boost::asio::ssl::context> context;
    std::vector<std::string> names;  // DNS SANs (or the CN), lower case; "*.x" wildcards kept
  };
  static int on_server_name(SSL* ssl, int* alert, void* arg);
  [[nodiscard]] SSL_CTX* find(std::string_view server_name) const;

  std::vector<Certificate> contexts_;
};

// A client context for connections to one cluster's endpoints; ALPN offers h2 when `http2`,
// else http/1.1.
Result<std::unique_ptr<boost::asio::ssl::context>> make_client_tls(const config::UpstreamTls& tls,
                                                                   bool http2);

// Prepares a client SSL object before its handshake: SNI and the name to verify.
// `host` is the endpoint host (a DNS name or an IP literal); `sni` overrides it when not empty.
Result<void> prepare_client_ssl(SSL* ssl, const config::UpstreamTls& tls, const std::string& host);

// Whether ALPN chose "h2" on this (handshaken) connection.
bool negotiated_h2(SSL* ssl);

}  // namespace nexus::net

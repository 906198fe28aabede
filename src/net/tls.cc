#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstring>

#include "http/http1/message.h"

namespace nexus::net {
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  ERR_clear_error();
  return buf.data();
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// The DNS names a certificate is valid for: its subjectAltName DNS entries, or its CN.
std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
      if (name->type == GEN_DNS) {
        const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
        names.push_back(lower({reinterpret_cast<const char*>(data),
                               static_cast<size_t>(ASN1_STRING_length(name->d.dNSName))}));
      }
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    std::array<char, 256> cn{};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(),
                                  static_cast<int>(cn.size())) > 0) {
      names.push_back(lower(cn.data()));
    }
  }
  return names;
}

bool name_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) {
    const std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.ends_with(suffix) &&
           host.substr(0, host.size() - suffix.size()).find('.') == std::string_view::npos;
  }
  return pattern == host;
}

// ALPN protocol lists in our order of preference.
constexpr unsigned char kHttp11Only[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr unsigned char kH2AndHttp11[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// ALPN: h2 when the listener allows it and the client offers it, else HTTP/1.1. A client
// offering only other protocols continues without ALPN rather than failing the handshake.
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
                const unsigned char* in, unsigned int in_len, void* arg) {
  const bool http2 = arg != nullptr;
  const unsigned char* ours = http2 ? kH2AndHttp11 : kHttp11Only;
  const unsigned int ours_len = http2 ? sizeof kH2AndHttp11 : sizeof kHttp11Only;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, ours, ours_len, in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

Result<std::unique_ptr<ssl::context>> make_server_context(const config::TlsCertificate& cert,
                                                          const std::string& min_version,
                                                          bool http2) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_min_proto_version(native, min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(native, cert.cert_file.c_str()) != 1) {
    return fail(ErrorCode::kInvalidConfig,
                "cannot load certificate " + cert.cert_file + ": " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(native, cert.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(ErrorCode::kInvalidConfig,
                "cannot load private key " + cert.key_file + ": " + openssl_error());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(ErrorCode::kInvalidConfig,
                "private key " + cert.key_file + " does not match " + cert.cert_file);
  }
  // The callback only tests its argument for null: no pointer is followed.
  static char http2_marker = 0;
  SSL_CTX_set_alpn_select_cb(native, select_alpn, http2 ? &http2_marker : nullptr);
  return context;
}

}  // namespace

Result<std::unique_ptr<ServerTls>> ServerTls::create(const config::ListenerTls& tls, bool http2) {
  auto server = std::make_unique<ServerTls>();
  for (const auto& cert : tls.certificates) {
    auto context = make_server_context(cert, tls.min_version, http2);
    if (!context) {
      return std::unexpected(context.error());
    }
    X509* leaf = SSL_CTX_get0_certificate((*context)->native_handle());
    server->contexts_.push_back({std::move(*context), certificate_names(leaf)});
  }
  if (server->contexts_.empty()) {
    return fail(ErrorCode::kInvalidConfig, "a TLS listener needs at least one certificate");
  }
  SSL_CTX* first = server->contexts_.front().context->native_handle();
  SSL_CTX_set_tlsext_servername_callback(first, on_server_name);
  SSL_CTX_set_tlsext_servername_arg(first, server.get());
  return server;
}

SSL_CTX* ServerTls::find(std::string_view server_name) const {
  const std::string host = lower(server_name);
  for (const auto& cert : contexts_) {
    for (const auto& pattern : cert.names) {
      if (name_matches(pattern, host)) {
        return cert.context->native_handle();
      }
    }
  }
  return nullptr;
}

int ServerTls::on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) {
    return SSL_TLSEXT_ERR_NOACK;  // no SNI: keep the default certificate
  }
  SSL_CTX* chosen = static_cast<const ServerTls*>(arg)->find(name);
  if (chosen != nullptr && chosen != SSL_get_SSL_CTX(ssl)) {
    SSL_set_SSL_CTX(ssl, chosen);
  }
  return SSL_TLSEXT_ERR_OK;
}

Result<std::unique_ptr<ssl::context>> make_client_tls(const config::UpstreamTls& tls, bool http2) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (tls.verify) {
    const int loaded = tls.ca_file.empty()
                           ? SSL_CTX_set_default_verify_paths(native)
                           : SSL_CTX_load_verify_locations(native, tls.ca_file.c_str(), nullptr);
    if (loaded != 1) {
      return fail(ErrorCode::kInvalidConfig,
                  "cannot load CA certificates " + tls.ca_file + ": " + openssl_error());
    }
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  }
  // An h2 cluster offers only h2: an upstream that cannot speak it fails the handshake (or
  // negotiates nothing, which open() reports) instead of getting HTTP/2 frames it cannot read.
  if (http2) {
    static constexpr unsigned char kH2[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(native, kH2, sizeof kH2);
  } else {
    SSL_CTX_set_alpn_protos(native, kHttp11Only, sizeof kHttp11Only);
  }
  return context;
}

Result<void> prepare_client_ssl(SSL* ssl, const config::UpstreamTls& tls, const std::string& host) {
  const std::string& name = tls.sni.empty() ? host : tls.sni;
  boost::system::error_code ip_error;
  static_cast<void>(boost::asio::ip::make_address(name, ip_error));
  const bool is_ip = !ip_error;
  // RFC 6066: literal IP addresses are not sent as SNI.
  if (!is_ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    return fail(ErrorCode::kInternal, "cannot set SNI: " + openssl_error());
  }
  if (tls.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (ok != 1) {
      return fail(ErrorCode::kInternal, "cannot set the name to verify: " + openssl_error());
    }
  }
  return {};
}

bool negotiated_h2(SSL* ssl) {
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl, &protocol, &length);
  return length == 2 && protocol[0] == 'h' && protocol[1] == '2';
}

}  // namespace nexus::net

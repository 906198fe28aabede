// Boost.Beast over Asio on a private io_context, one step at a time: each step is spawned and
// the loop run until it completes or its time is up, so that a step that does not answer (a
// black-holed address, a silent resolver) ends the target's checks instead of hanging them.
#include "cli/diagnose/endpoint_checks.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <ctime>
#include <optional>

#include "cli/diagnose/verdicts.h"
#include "net/tls.h"

namespace nexus::cli::diagnose {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How long past a step's own deadline the loop still runs: the streams' deadlines end their
// operations; this ends the one that has none (the resolver).
constexpr std::chrono::milliseconds kBackstop{200};

std::chrono::microseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

std::string lower_first(std::string text) {
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// "5s", "250ms".
std::string timeout_text(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) {
    return std::to_string(timeout.count() / 1000) + "s";
  }
  return std::to_string(timeout.count()) + "ms";
}

// "1.24 ms".
std::string millis_text(std::chrono::microseconds time) {
  const auto hundredths = time.count() / 10;
  std::string text = std::to_string(hundredths / 100) + ".";
  const auto rest = hundredths % 100;
  text += rest < 10 ? "0" + std::to_string(rest) : std::to_string(rest);
  return text + " ms";
}

std::string address_text(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

std::string name_entry(const X509_NAME* name, int nid) {
  char text[256];
  const int size = X509_NAME_get_text_by_NID(name, nid, text, sizeof text);
  return size > 0 ? std::string(text, static_cast<size_t>(size)) : std::string();
}

std::optional<std::chrono::system_clock::time_point> not_after(const X509* certificate) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &parts) != 1) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

struct DnsAnswer {
  boost::system::error_code error;
  std::vector<tcp::endpoint> endpoints;
};

struct ConnectOutcome {
  std::optional<tcp::endpoint> connected;
  std::chrono::microseconds connect_time{0};
  std::vector<std::string> failures;  // "10.0.0.1:443: connection refused", in the order tried
};

struct ProbeAnswer {
  boost::system::error_code error;
  int status = 0;
};

class EndpointCheck {
 public:
  EndpointCheck(const Target& target, const NetworkOptions& options)
      : target_(target), options_(options), tcp_(io_) {}

  std::vector<CheckResult> run() {
    const bool resolved = resolve();
    const bool connected = resolved && connect();
    const bool usable = target_.tls ? handshake(connected) : connected;
    probe(usable);
    return std::move(results_);
  }

 private:
  CheckResult start(std::string name) const {
    CheckResult result;
    result.name = std::move(name);
    result.target = target_.name();
    return result;
  }
  void finish(CheckResult result, Status status, std::string detail) {
    result.status = status;
    result.detail = std::move(detail);
    results_.push_back(std::move(result));
  }
  [[nodiscard]] std::string error_text(const boost::system::error_code& error) const {
    return error == beast::error::timeout ? "timed out after " + timeout_text(options_.timeout)
                                          : lower_first(error.message());
  }

  // Runs `step` to completion or until its time is up (nullopt). After a step that did not end,
  // the loop still holds it: no other step may run on it.
  template <typename T>
  std::optional<T> run_step(asio::awaitable<T> step) {
    std::optional<T> outcome;
    if (stalled_) {
      return outcome;
    }
    io_.restart();
    asio::co_spawn(io_, std::move(step),
                   [this, &outcome](const std::exception_ptr& failure, T value) {
                     if (failure) {
                       std::rethrow_exception(failure);  // out of run_for, to the job's edge
                     }
                     outcome = std::move(value);
                     // Done: return now, not when the loop's last timer (a stream's deadline
                     // that is still armed) runs out.
                     io_.stop();
                   });
    io_.run_for(options_.timeout + kBackstop);
    stalled_ = !outcome.has_value();
    return outcome;
  }

  bool resolve();
  bool connect();
  bool handshake(bool connected);
  void describe_session(CheckResult& result, const boost::system::error_code& error);
  void probe(bool usable);

  asio::awaitable<DnsAnswer> lookup() {
    tcp::resolver resolver(io_);
    auto [error, entries] =
        co_await resolver.async_resolve(target_.host, std::to_string(target_.port), kNoThrow);
    DnsAnswer answer{error, {}};
    for (const auto& entry : entries) {
      answer.endpoints.push_back(entry.endpoint());
    }
    co_return answer;
  }

  // The addresses in the order resolved, as the data plane tries them, within one deadline.
  asio::awaitable<ConnectOutcome> connect_in_turn() {
    ConnectOutcome outcome;
    const auto deadline = Clock::now() + options_.timeout;
    for (const tcp::endpoint& endpoint : endpoints_) {
      const auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) {
        outcome.failures.push_back(address_text(endpoint) + ": not tried (out of time)");
        continue;
      }
      tcp_.close();  // after a failed attempt; the next address may be of the other family
      tcp_.expires_after(left);
      const auto started = Clock::now();
      auto [error] = co_await tcp_.async_connect(endpoint, kNoThrow);
      if (!error) {
        outcome.connected = endpoint;
        outcome.connect_time = since(started);
        co_return outcome;
      }
      outcome.failures.push_back(address_text(endpoint) + ": " + error_text(error));
    }
    co_return outcome;
  }

  asio::awaitable<boost::system::error_code> shake() {
    if (!tls_) {
      co_return asio::error::not_connected;
    }
    auto [error] = co_await tls_->async_handshake(asio::ssl::stream_base::client, kNoThrow);
    co_return error;
  }

  // Sends the probe request and reads the answer's head (its body, if any, is not wanted).
  template <typename Stream>
  asio::awaitable<ProbeAnswer> exchange(Stream& stream) {
    if (!target_.probe_request) {
      co_return ProbeAnswer{asio::error::invalid_argument, 0};
    }
    const std::string& probe = *target_.probe_request;
    beast::get_lowest_layer(stream).expires_after(options_.timeout);
    auto [write_error, written] = co_await asio::async_write(stream, asio::buffer(probe), kNoThrow);
    if (write_error) {
      co_return ProbeAnswer{write_error, 0};
    }
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    auto [read_error, read] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    if (read_error) {
      co_return ProbeAnswer{read_error, 0};
    }
    co_return ProbeAnswer{{}, static_cast<int>(parser.get().result_int())};
  }

  const Target& target_;
  NetworkOptions options_;
  asio::io_context io_;  // before the streams: destroyed after them, with any step it still holds
  bool stalled_ = false;
  std::vector<tcp::endpoint> endpoints_;
  beast::tcp_stream tcp_;
  std::unique_ptr<asio::ssl::context> tls_context_;  // before tls_, which uses it
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
  };
  std::unique_ptr<X509, X509Free> peer_certificate_;  // as the verify callback saw it
  std::vector<CheckResult> results_;
};

bool EndpointCheck::resolve() {
  CheckResult result = start("dns");
  boost::system::error_code not_literal;
  const auto literal = asio::ip::make_address(target_.host, not_literal);
  if (!not_literal) {
    endpoints_.emplace_back(literal, target_.port);
    finish(std::move(result), Status::kSkip, "an IP address: nothing to resolve");
    return true;
  }
  const auto started = Clock::now();
  auto answer = run_step(lookup());
  result.duration = since(started);
  if (!answer) {
    finish(std::move(result), Status::kFail, "no answer within " + timeout_text(options_.timeout));
    return false;
  }
  if (answer->error || answer->endpoints.empty()) {
    const std::string why = answer->error ? lower_first(answer->error.message()) : "no address";
    finish(std::move(result), Status::kFail, "cannot resolve " + target_.host + ": " + why);
    return false;
  }
  endpoints_ = std::move(answer->endpoints);
  std::vector<std::string> addresses;
  std::string detail = std::to_string(endpoints_.size()) + " address(es):";
  for (const tcp::endpoint& endpoint : endpoints_) {
    addresses.push_back(endpoint.address().to_string());
    detail += ' ';
    detail += addresses.back();
  }
  result.facts.emplace_back("addresses", std::move(addresses));
  finish(std::move(result), Status::kOk, std::move(detail));
  return true;
}

bool EndpointCheck::connect() {
  CheckResult result = start("tcp_connect");
  const auto started = Clock::now();
  auto outcome = run_step(connect_in_turn());
  result.duration = since(started);
  if (!outcome) {
    finish(std::move(result), Status::kFail,
           "no connection within " + timeout_text(options_.timeout));
    return false;
  }
  std::string failures;
  for (const std::string& failure : outcome->failures) {
    failures += failures.empty() ? "" : "; ";
    failures += failure;
  }
  if (!outcome->connected) {
    finish(std::move(result), Status::kFail, std::move(failures));
    return false;
  }
  const std::string address = address_text(*outcome->connected);
  result.facts.emplace_back("address", address);
  result.facts.emplace_back("connect_us", static_cast<int64_t>(outcome->connect_time.count()));
  std::string detail = "connected to " + address + " in " + millis_text(outcome->connect_time);
  if (failures.empty()) {
    finish(std::move(result), Status::kOk, std::move(detail));
  } else {
    finish(std::move(result), Status::kWarn, detail + " after failing: " + failures);
  }
  return true;
}

bool EndpointCheck::handshake(bool connected) {
  CheckResult result = start("tls");
  if (!connected) {
    finish(std::move(result), Status::kSkip, "not connected");
    return false;
  }
  if (!target_.tls) {
    finish(std::move(result), Status::kSkip, "no TLS");
    return false;
  }
  const auto& tls_settings = *target_.tls;
  // The data plane's own client context and SNI/name settings (net/tls.h).
  auto context = net::make_client_tls(tls_settings, target_.http2);
  if (!context) {
    finish(std::move(result), Status::kFail, context.error().message());
    return false;
  }
  tls_context_ = std::move(*context);
  auto& stream = tls_.emplace(std::move(tcp_), *tls_context_);
  if (auto prepared = net::prepare_client_ssl(stream.native_handle(), tls_settings, target_.host);
      !prepared) {
    finish(std::move(result), Status::kFail, prepared.error().message());
    return false;
  }
  // Keeps the peer's certificate even when verification rejects it (OpenSSL then drops it), so
  // that an expired one still shows its date; the verdict is OpenSSL's own, unchanged.
  stream.set_verify_callback([this](bool preverified, asio::ssl::verify_context& context) {
    X509_STORE_CTX* store = context.native_handle();
    if (X509_STORE_CTX_get_error_depth(store) == 0 && peer_certificate_ == nullptr) {
      X509* leaf = X509_STORE_CTX_get_current_cert(store);
      if (leaf != nullptr && X509_up_ref(leaf) == 1) {
        peer_certificate_.reset(leaf);
      }
    }
    return preverified;
  });
  beast::get_lowest_layer(stream).expires_after(options_.timeout);
  const auto started = Clock::now();
  auto error = run_step(shake());
  result.duration = since(started);
  if (!error) {
    finish(std::move(result), Status::kFail,
           "no handshake within " + timeout_text(options_.timeout));
    return false;
  }
  describe_session(result, *error);
  const bool ok = !*error;
  results_.push_back(std::move(result));
  return ok;
}

// The session (protocol, ALPN, verification) and the peer's certificate, which a failed
// verification still received (an expired one, for instance).
void EndpointCheck::describe_session(CheckResult& result, const boost::system::error_code& error) {
  if (!tls_ || !target_.tls) {
    return;
  }
  SSL* ssl = tls_->native_handle();
  const bool verify = target_.tls->verify;
  if (error) {
    const long verified = SSL_get_verify_result(ssl);
    result.status = Status::kFail;
    result.detail = verified != X509_V_OK ? std::string("certificate rejected: ") +
                                                X509_verify_cert_error_string(verified)
                                          : "handshake failed: " + error_text(error);
  } else {
    const unsigned char* alpn = nullptr;
    unsigned int alpn_size = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_size);
    result.detail = SSL_get_version(ssl);
    result.detail += ", ALPN ";
    result.detail += alpn_size == 0 ? std::string("none")
                                    : std::string(reinterpret_cast<const char*>(alpn), alpn_size);
    result.detail += verify ? ", verified" : ", not verified (tls.verify: false)";
  }
  const X509* certificate =
      peer_certificate_ != nullptr ? peer_certificate_.get() : SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) {
    return;
  }
  const std::string subject = name_entry(X509_get_subject_name(certificate), NID_commonName);
  const std::string issuer = name_entry(X509_get_issuer_name(certificate), NID_commonName);
  result.facts.emplace_back("subject", subject);
  result.facts.emplace_back("issuer", issuer);
  result.detail += "; certificate ";
  result.detail += subject.empty() ? std::string("(no CN)") : subject;
  result.detail += " from ";
  result.detail += issuer.empty() ? std::string("(no CN)") : issuer;
  const auto expiry = not_after(certificate);
  if (!expiry) {
    return;
  }
  const CertificateVerdict verdict = certificate_verdict(*expiry, std::chrono::system_clock::now());
  result.facts.emplace_back("days_left", verdict.days_left);
  result.facts.emplace_back("not_after", utc_text(*expiry));
  result.detail += ' ';
  result.detail += verdict.text;
  if (!error) {
    result.status = verdict.status;
  }
}

void EndpointCheck::probe(bool usable) {
  if (!target_.probe_request && target_.no_probe_reason.empty()) {
    return;  // not a provider's
  }
  CheckResult result = start("api_probe");
  if (!target_.probe_request) {
    finish(std::move(result), Status::kSkip, target_.no_probe_reason);
    return;
  }
  if (!usable) {
    finish(std::move(result), Status::kSkip, "no connection");
    return;
  }
  const bool h2 = tls_ ? net::negotiated_h2(tls_->native_handle()) : target_.http2;
  if (h2) {
    finish(std::move(result), Status::kSkip, "the connection speaks HTTP/2; the probe HTTP/1.1");
    return;
  }
  const auto started = Clock::now();
  std::optional<ProbeAnswer> answer;
  if (tls_) {
    answer = run_step(exchange(*tls_));
  } else {
    answer = run_step(exchange(tcp_));
  }
  result.duration = since(started);
  const std::string request = "GET " + target_.probe_path + ": ";
  if (!answer) {
    finish(std::move(result), Status::kFail,
           request + "no answer within " + timeout_text(options_.timeout));
    return;
  }
  if (answer->error) {
    finish(std::move(result), Status::kFail, request + error_text(answer->error));
    return;
  }
  const ProbeVerdict verdict = probe_verdict(answer->status);
  result.facts.emplace_back("http_status", static_cast<int64_t>(answer->status));
  finish(std::move(result), verdict.status, request + verdict.text);
}

}  // namespace

std::vector<CheckResult> check_target(const Target& target, const NetworkOptions& options) {
  EndpointCheck check(target, options);
  return check.run();
}

}  // namespace nexus::cli::diagnose

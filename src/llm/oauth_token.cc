// The token request and answer of the OAuth 2 flows providers use (llm/oauth_token.h).
#include "llm/oauth_token.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <charconv>

#include "llm/json_fields.h"
#include "providers/vertex/service_account.h"

namespace nexus::llm {
namespace {

constexpr std::chrono::seconds kMaxRefreshMargin{300};
constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

// The most of an error description quoted back to the client.
constexpr size_t kMaxQuoted = 300;

// expires_in as a number or a numeric string; 0 when it is neither or below one second.
int64_t seconds_of(const boost::json::value& value) {
  if (value.is_int64()) {
    return value.get_int64();
  }
  if (value.is_uint64()) {
    return static_cast<int64_t>(std::min<uint64_t>(value.get_uint64(), INT64_MAX));
  }
  if (value.is_double()) {
    const double seconds = value.get_double();
    return seconds >= 1 && seconds < 1e12 ? static_cast<int64_t>(seconds) : 0;
  }
  if (value.is_string()) {
    const std::string_view text = value.get_string();
    int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    return ec == std::errc{} && end == text.data() + text.size() ? seconds : 0;
  }
  return 0;
}

// Text from the token endpoint, quoted in an error message: printable ASCII only, bounded.
void append_quoted(std::string& out, std::string_view text) {
  for (const char c : text.substr(0, kMaxQuoted)) {
    out += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
  }
}

}  // namespace

void append_form_encoded(std::string& out, std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
}

Result<std::string> token_request_body(const config::OAuthClient& oauth, int64_t now) {
  std::string body = "grant_type=";
  if (oauth.grant == config::TokenGrant::kJwtBearer) {
    auto assertion = providers::vertex::jwt_assertion(oauth.client_email, oauth.private_key,
                                                      oauth.private_key_id, oauth.audience, now);
    if (!assertion) {
      return std::unexpected(std::move(assertion.error()));
    }
    append_form_encoded(body, kJwtBearerGrant);
    body += "&assertion=";
    body += *assertion;  // base64url and dots: nothing to encode
    return body;
  }
  body += "client_credentials&client_id=";
  append_form_encoded(body, oauth.client_id);
  body += "&client_secret=";
  append_form_encoded(body, oauth.client_secret);
  body += "&scope=";
  append_form_encoded(body, oauth.scope);
  return body;
}

void write_token_request_head(const config::OAuthClient& oauth, size_t body_size,
                              std::string& head) {
  head.clear();
  head += "POST ";
  head += oauth.path.empty() ? std::string_view("/") : std::string_view(oauth.path);
  head += " HTTP/1.1\r\nhost: ";
  head += oauth.host;
  head += "\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ";
  head += std::to_string(body_size);
  head += "\r\naccept: application/json\r\n\r\n";
}

Result<AccessToken> parse_token_answer(int status, std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  const boost::json::object* object = ec ? nullptr : parsed.if_object();
  if (status < 200 || status >= 300) {
    std::string message = "the token endpoint answered ";
    message += std::to_string(status);
    const std::string_view error = object != nullptr ? string_field(*object, "error") : "";
    const std::string_view description =
        object != nullptr ? string_field(*object, "error_description") : "";
    if (!error.empty()) {
      message += ": ";
      append_quoted(message, error);
    }
    if (!description.empty()) {
      message += ": ";
      append_quoted(message, description);
    }
    return std::unexpected(upstream_protocol_error(std::move(message)));
  }
  if (object == nullptr) {
    return std::unexpected(upstream_protocol_error("the token endpoint's answer is not JSON"));
  }
  AccessToken token{.value = std::string(string_field(*object, "access_token"))};
  if (token.value.empty() || !std::ranges::all_of(token.value, [](char c) {
        return std::isgraph(static_cast<unsigned char>(c)) != 0;
      })) {
    return std::unexpected(
        upstream_protocol_error("the token endpoint's answer has no usable access_token"));
  }
  const boost::json::value* expires_in = object->if_contains("expires_in");
  if (expires_in == nullptr) {
    token.lifetime = kDefaultTokenLifetime;
    return token;
  }
  const int64_t seconds = seconds_of(*expires_in);
  if (seconds < 1) {
    return std::unexpected(
        upstream_protocol_error("the token endpoint's answer has an invalid expires_in"));
  }
  token.lifetime = std::min(kMaxTokenLifetime, std::chrono::seconds(seconds));
  return token;
}

std::chrono::milliseconds refresh_margin(std::chrono::seconds lifetime) {
  const std::chrono::milliseconds half = std::chrono::milliseconds(lifetime) / 2;
  return std::min<std::chrono::milliseconds>(kMaxRefreshMargin, half);
}

}  // namespace nexus::llm

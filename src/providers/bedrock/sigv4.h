// AWS Signature Version 4 for Bedrock's runtime API (bedrock-runtime.<region>.amazonaws.com),
// with OpenSSL 3's SHA-256 and HMAC: no AWS SDK.
//
// The canonical request follows the non-S3 rule: every segment of the path as sent is
// URI-encoded once more, so a model id sent as "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
// signs as "...v1%253A0". Paths are not normalised (no "." or ".." segments, no "//" folding):
// Bedrock's paths never have them. Tested against the published SigV4 test suite and against
// botocore's signature of a Bedrock request with a session token.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nexus/core/result.h"

namespace nexus::providers::bedrock {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials (STS); empty for long-term keys
};

struct Header {
  std::string name;
  std::string value;
  bool operator==(const Header&) const = default;
};

struct SigningRequest {
  std::string_view method = "POST";
  std::string_view host;  // "bedrock-runtime.us-east-1.amazonaws.com" (sent as Host)
  std::string_view path;  // as sent on the wire, e.g. from append_model_path()
  // Query parameters, not encoded; send them as canonical_query() writes them.
  std::span<const std::pair<std::string, std::string>> query;
  // Headers to sign besides host (which is always signed): content-type, ... Names in any case;
  // values are trimmed and their inner runs of spaces folded, as SigV4 wants. Repeated names are
  // joined with ','.
  std::span<const Header> headers;
  std::string_view body;
  std::string_view region;  // "us-east-1"
  std::string_view service = "bedrock";
  // Also send and sign x-amz-content-sha256 (Bedrock does not need it; S3 does).
  bool content_sha256_header = false;
};

// The headers to add to the request, lower-case names, in this order: x-amz-date,
// x-amz-security-token (with a session token), x-amz-content-sha256 (when asked), authorization.
// All of them but authorization are signed. An error (kInternal) only if OpenSSL fails.
Result<std::vector<Header>> sign(const SigningRequest& request, const Credentials& credentials,
                                 std::chrono::system_clock::time_point now);

// "20150830T123600Z": SigV4's time format (UTC).
std::string amz_date(std::chrono::system_clock::time_point now);

// The path as the canonical request holds it: each segment of `path` URI-encoded again
// (unreserved characters A-Z a-z 0-9 - . _ ~ kept, '/' separating segments); "/" when empty.
std::string canonical_uri(std::string_view path);

// The query sorted by encoded name then value, "a=1&b=2" (each name and value URI-encoded); the
// same string is what the request line must carry after '?'.
std::string canonical_query(std::span<const std::pair<std::string, std::string>> query);

// Appends `text` URI-encoded (everything but the unreserved characters, '/' included).
void append_uri_encoded(std::string_view text, std::string& out);

// "bedrock-runtime.<region>.amazonaws.com".
std::string runtime_host(std::string_view region);

// Appends "/model/<encoded id>/converse" ("/converse-stream" when `stream`): the Converse API's
// path. The model id (a foundation model, an inference profile such as
// "us.anthropic.claude-sonnet-4-20250514-v1:0", or an ARN) is URI-encoded as one segment, so ':'
// becomes %3A and an ARN's '/' %2F.
void append_model_path(std::string_view model_id, bool stream, std::string& path);

// Appends "/model/<encoded id>/invoke" ("/invoke-with-response-stream" when `stream`):
// InvokeModel, which embeddings use.
void append_invoke_path(std::string_view model_id, bool stream, std::string& path);

}  // namespace nexus::providers::bedrock

#include "filters/compression/compression_filter.h"

#include <optional>
#include <string>

#include "filters/compression/decoder.h"
#include "filters/compression/encoder.h"
#include "filters/compression/negotiate.h"
#include "filters/compression/response_rules.h"

namespace nexus::filters {
namespace {

using compression::Coding;
using filter::FilterStatus;

constexpr std::string_view kDecodedCodings = "gzip, deflate, br, zstd";

// Every field named `name` as one list value (a list may be split over several fields, RFC 9110
// §5.3): the only field's value itself, or the fields joined in the exchange's arena; nullopt
// when there is none.
std::optional<std::string_view> joined(filter::Context& ctx, const filter::HeaderMap& headers,
                                       std::string_view name) {
  std::optional<std::string_view> value;
  for (const http1::Header& field : headers.fields()) {
    if (http1::iequals(field.name, name)) {
      value = value ? ctx.keep(std::string(*value) + ", " + std::string(field.value)) : field.value;
    }
  }
  return value;
}

std::optional<uint64_t> parse_length(std::string_view text) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 19) {
    return std::nullopt;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// The single coding a request Content-Encoding names ("identity" elements ignored), or the
// reason it cannot be decoded here.
Result<Coding> request_coding(std::string_view list) {
  std::optional<Coding> found;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view token = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t begin = token.find_first_not_of(" \t");
    if (begin == std::string_view::npos) {
      continue;
    }
    token = token.substr(begin, token.find_last_not_of(" \t") - begin + 1);
    const std::optional<Coding> coding = compression::coding_from_name(token);
    if (!coding) {
      return fail(ErrorCode::kUnsupportedMediaType,
                  "unsupported Content-Encoding '" + std::string(token) +
                      "' (supported: " + std::string(kDecodedCodings) + ")");
    }
    if (*coding == Coding::kIdentity) {
      continue;
    }
    if (found) {  // stacked codings are legal but nobody sends them: refuse, never half-decode
      return fail(ErrorCode::kUnsupportedMediaType,
                  "a request body with more than one content coding is not supported");
    }
    found = coding;
  }
  return found.value_or(Coding::kIdentity);
}

class CompressionFilter final : public filter::Filter {
 public:
  explicit CompressionFilter(const CompressionFactory& factory) : factory_(factory) {}

  FilterStatus on_request_headers(filter::Context& ctx) override {
    filter::HeaderMap* headers = ctx.request_headers();
    if (headers == nullptr) {
      return FilterStatus::kContinue;
    }
    const CompressionConfig& config = factory_.config();
    if (!config.algorithms.empty()) {
      // Negotiated with the response, if it is one to compress: most are not (too small, not
      // text), and parsing the list for each of them would be wasted. The request headers are
      // gone by then, so the value is kept.
      if (const auto accept = joined(ctx, *headers, "accept-encoding")) {
        accept_encoding_ = ctx.keep(*accept);
      }
    }
    const FilterStatus status =
        config.decompress_requests ? start_decoding(ctx, *headers) : FilterStatus::kContinue;
    if (!decoder_) {
      ctx.skip_request_body();  // not encoded: the body streams upstream untouched, uncopied
    }
    return status;
  }

  FilterStatus on_request_body(filter::Context& ctx, std::string& body, bool end) override {
    if (!decoder_) {
      return FilterStatus::kContinue;
    }
    decoded_.clear();
    Result<void> done = decoder_->write(body, decoded_);
    if (done && end) {
      done = decoder_->finish();
    }
    if (!done) {
      decoder_.reset();
      ctx.reply_error(done.error());
      return FilterStatus::kStop;
    }
    body.swap(decoded_);
    return FilterStatus::kContinue;
  }

  FilterStatus on_response_headers(filter::Context& ctx) override;
  FilterStatus on_response_body(filter::Context& ctx, std::string& body, bool end) override;

 private:
  FilterStatus start_decoding(filter::Context& ctx, filter::HeaderMap& headers) {
    const std::optional<std::string_view> encoding = joined(ctx, headers, "content-encoding");
    if (!encoding) {
      return FilterStatus::kContinue;
    }
    Result<Coding> coding = request_coding(*encoding);
    if (coding && *coding == Coding::kIdentity) {
      return FilterStatus::kContinue;
    }
    Result<std::unique_ptr<compression::Decoder>> decoder =
        coding ? compression::make_decoder(*coding, factory_.config().request_limits)
               : std::unexpected(coding.error());
    if (!decoder) {
      filter::LocalReply reply = filter::LocalReply::from_error(decoder.error());
      if (decoder.error().code() == ErrorCode::kUnsupportedMediaType) {
        // RFC 9110 §15.5.16: say which content codings would have been accepted.
        reply.headers.emplace_back("Accept-Encoding", kDecodedCodings);
      }
      ctx.reply(std::move(reply));
      return FilterStatus::kStop;
    }
    decoder_ = std::move(*decoder);
    headers.remove("content-encoding");
    headers.remove("content-length");
    ctx.request_body_length_changes();
    return FilterStatus::kContinue;
  }

  // Whether this response is one to compress (or at least one that varies by Accept-Encoding).
  [[nodiscard]] bool eligible(filter::Context& ctx, const filter::HeaderMap& headers) const;

  const CompressionFactory& factory_;
  std::optional<std::string_view> accept_encoding_;  // in the arena
  Coding coding_ = Coding::kIdentity;
  std::unique_ptr<compression::Decoder> decoder_;
  std::string decoded_;
  std::unique_ptr<compression::Encoder> encoder_;
  bool flush_each_piece_ = false;
  bool encoder_failed_ = false;
  std::string encoded_;
};

bool CompressionFilter::eligible(filter::Context& ctx, const filter::HeaderMap& headers) const {
  const int status = ctx.response_status();
  // 206: the range was cut from the upstream's bytes; compressing it would mix representations.
  if (!compression::response_has_body(status, ctx.request().method) || status == 206 ||
      headers.has("content-range")) {
    return false;
  }
  // The cheapest test first: most API responses are smaller than min_size.
  if (const std::string_view* length = headers.find("content-length"); length != nullptr) {
    const std::optional<uint64_t> size = parse_length(*length);
    if (size && *size < factory_.config().min_size) {
      return false;
    }
  }
  if (const std::string_view* encoding = headers.find("content-encoding");
      encoding != nullptr && !http1::iequals(*encoding, "identity")) {
    return false;  // already encoded: compressing twice gains nothing
  }
  // RFC 9111 §5.2.2.6: an intermediary must not transform a no-transform response.
  if (const std::optional<std::string_view> cache_control = joined(ctx, headers, "cache-control");
      cache_control && compression::list_has_token(*cache_control, "no-transform")) {
    return false;
  }
  const std::string type = compression::media_type(headers.get("content-type"));
  return compression::media_type_matches(type, factory_.config().content_types);
}

FilterStatus CompressionFilter::on_response_headers(filter::Context& ctx) {
  filter::HeaderMap* headers = ctx.response_headers();
  // A local reply's body does not pass through the body hooks: it is never compressed.
  if (headers == nullptr || ctx.local_response() || !eligible(ctx, *headers)) {
    ctx.skip_response_body();  // the body is relayed as it is, without a copy through the chain
    return FilterStatus::kContinue;
  }
  // Caches must key on Accept-Encoding even when this client got identity: another may not.
  if (std::optional<std::string> vary =
          compression::vary_with_accept_encoding(joined(ctx, *headers, "vary").value_or(""))) {
    headers->set("Vary", *vary);
  }
  coding_ = compression::negotiate(accept_encoding_, factory_.config().algorithms);
  if (coding_ == Coding::kIdentity) {
    ctx.skip_response_body();
    return FilterStatus::kContinue;
  }
  Result<std::unique_ptr<compression::Encoder>> encoder =
      compression::make_encoder(coding_, factory_.level(coding_));
  if (!encoder) {
    ctx.skip_response_body();
    return FilterStatus::kContinue;  // out of memory: sending it as is is still correct
  }
  encoder_ = std::move(*encoder);
  const std::string type = compression::media_type(headers->get("content-type"));
  flush_each_piece_ = compression::media_type_matches(type, factory_.config().flush_content_types);
  headers->set("Content-Encoding", compression::coding_name(coding_));
  headers->remove("content-length");
  ctx.response_body_length_changes();
  if (const std::string_view* etag = headers->find("etag"); etag != nullptr) {
    headers->set("ETag", compression::weak_etag(*etag));
  }
  return FilterStatus::kContinue;
}

FilterStatus CompressionFilter::on_response_body(filter::Context& /*ctx*/, std::string& body,
                                                 bool end) {
  if (encoder_failed_) {
    body.clear();  // the head promised an encoding: cut the body short rather than send it raw
    return FilterStatus::kContinue;
  }
  if (!encoder_ || (body.empty() && !end)) {
    return FilterStatus::kContinue;
  }
  const compression::Flush flush = end                 ? compression::Flush::kFinish
                                   : flush_each_piece_ ? compression::Flush::kFlush
                                                       : compression::Flush::kNone;
  encoded_.clear();
  if (!encoder_->write(body, flush, encoded_)) {
    encoder_failed_ = true;
    encoder_.reset();
    body.clear();
    return FilterStatus::kContinue;
  }
  body.swap(encoded_);
  return FilterStatus::kContinue;
}

}  // namespace

uint32_t CompressionFactory::hooks() const {
  uint32_t hooks = filter::kRequestHeadersHook;
  if (!config_.algorithms.empty()) {
    hooks |= filter::kResponseHeadersHook | filter::kResponseBodyHook;
  }
  if (config_.decompress_requests) {
    hooks |= filter::kRequestBodyHook;
  }
  return hooks;
}

filter::ArenaPtr<filter::Filter> CompressionFactory::create(filter::Arena& arena) const {
  return arena.make<CompressionFilter>(*this);
}

int CompressionFactory::level(Coding coding) const {
  switch (coding) {
    case Coding::kBrotli:
      return config_.brotli_level;
    case Coding::kZstd:
      return config_.zstd_level;
    default:
      return config_.gzip_level;
  }
}

}  // namespace nexus::filters

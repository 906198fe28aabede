// The filter hooks of a proxied exchange: the upstream request, the request body on its way up,
// and the response head and body on their way down (serve_exchange runs the request-headers
// hook). With no filter implementing a hook, the proxy skips it (and never copies bodies).
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

asio::awaitable<bool> ProxyExchange::filter_upstream_request() {
  filter::ChainRun& filters = downstream_.filters;
  filter::Verdict verdict = filters.upstream_request(downstream_.state().request.headers);
  if (verdict == filter::Verdict::kPause) {
    verdict = co_await downstream_.settle(verdict);
  }
  if (verdict == filter::Verdict::kReply) {
    filter_reply_ = filters.take_reply();
    co_return false;
  }
  co_return true;
}

asio::awaitable<Result<BodyTake>> ProxyExchange::take_request_body(GatherWriter& gather,
                                                                   bool chunked) {
  filter::ChainRun& filters = downstream_.filters;
  if (!filters.has_hook(filter::kRequestBodyHook) || !filters.wants_request_body()) {
    co_return downstream_.take_body(gather, chunked);
  }
  GatherWriter raw;
  auto taken = downstream_.take_body(raw, /*chunked=*/false);
  if (!taken) {
    co_return taken;
  }
  request_piece_.clear();
  for (const auto& buffer : raw.buffers()) {
    request_piece_.append(static_cast<const char*>(buffer.data()), buffer.size());
  }
  if (request_piece_.empty() && !taken->done) {
    co_return taken;
  }
  filter::Verdict verdict = filters.request_body(request_piece_, taken->done);
  if (verdict == filter::Verdict::kPause) {
    verdict = co_await downstream_.settle(verdict);
  }
  if (verdict == filter::Verdict::kReply) {
    filter_reply_ = filters.take_reply();
    co_return fail(ErrorCode::kBadRequest, "a filter refused the request body");
  }
  if (verdict == filter::Verdict::kTooLarge) {
    co_return fail(ErrorCode::kPayloadTooLarge,
                   "the request body is over the route's buffer_limit for filters");
  }
  gather.add_body(request_piece_, chunked);
  co_return taken;
}

asio::awaitable<bool> ProxyExchange::filter_response_head() {
  filter::ChainRun& filters = downstream_.filters;
  http1::ResponseHead& response = downstream_.state().response;
  filter::Verdict verdict =
      filters.response_headers(response.status, response.headers, /*local=*/false);
  if (verdict == filter::Verdict::kPause) {
    verdict = co_await downstream_.settle(verdict);
  }
  if (verdict == filter::Verdict::kReply) {
    filter_reply_ = filters.take_reply();
    co_return false;
  }
  if (filters.response_body_resized() && response.framing != http1::BodyFraming::kNone) {
    response.framing = http1::BodyFraming::kChunked;  // to an HTTP/1.1 client; no length to h2
    response.content_length = 0;
  }
  co_return true;
}

bool ProxyExchange::filters_response_body() const {
  return downstream_.filters.has_hook(filter::kResponseBodyHook) &&
         downstream_.filters.wants_response_body() &&
         downstream_.state().response.framing != http1::BodyFraming::kNone;
}

asio::awaitable<Result<void>> ProxyExchange::filter_response_body(bool end) {
  filter::Verdict verdict = downstream_.filters.response_body(response_piece_, end);
  if (verdict == filter::Verdict::kPause) {
    verdict = co_await downstream_.settle(verdict);
  }
  if (verdict == filter::Verdict::kTooLarge) {
    co_return fail(ErrorCode::kInternal,
                   "a filter held back more of the response than the route's buffer_limit");
  }
  co_return Result<void>{};
}

asio::awaitable<Outcome> ProxyExchange::reply_for_filter() {
  filter::LocalReply reply = std::move(filter_reply_).value_or(filter::LocalReply{});
  filter_reply_.reset();
  co_return co_await downstream_.reply_filter(std::move(reply));
}

}  // namespace nexus::server

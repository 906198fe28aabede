// The response half of the proxy exchange: relay the upstream's response to the client through
// its codec (see Downstream), event by event for streamed bodies.
#include "http/http1/head_writer.h"
#include "server/io_constants.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;
namespace {

// Trailer fields copied out of the upstream's buffer, which moves on before the body ends.
class TrailerCopy {
 public:
  void add(const http1::Header& field) {
    copies_.emplace_back(field.name, field.value);
    views_.clear();
    for (const auto& [name, value] : copies_) {
      views_.push_back({name, value});
    }
  }
  [[nodiscard]] std::span<const http1::Header> fields() const { return views_; }

 private:
  std::vector<std::pair<std::string, std::string>> copies_;
  std::vector<http1::Header> views_;
};

}  // namespace

asio::awaitable<Outcome> ProxyExchange::relay_response(proxy::UpstreamConnection& upstream,
                                                       size_t head_size, bool& upstream_reusable) {
  ExchangeState& state = downstream_.state();
  const http1::ResponseHead& response = state.response;
  const http1::BodyFraming upstream_framing = response.framing;
  const uint64_t upstream_length = response.content_length;
  const int status = response.status;
  const bool upstream_keep_alive = response.keep_alive;
  if (downstream_.filters.has_hook(filter::kResponseHeadersHook)) {
    if (const bool go_on = co_await filter_response_head(); !go_on) {
      co_return co_await reply_for_filter();  // the upstream's response is dropped, unread
    }
  }
  const bool filtering = filters_response_body();
  const ResponseStart start = downstream_.begin_response();
  http1::BodyDecoder decoder(worker_.snapshot().response_limits, /*is_request=*/false);
  if (upstream_framing == http1::BodyFraming::kChunked) {
    decoder.start_chunked();
  } else if (upstream_framing == http1::BodyFraming::kContentLength) {
    decoder.start_content_length(upstream_length);
  }
  // Body pieces go to the client as they are, or through the filters first.
  auto add_body = [&](GatherWriter& out, std::string_view piece) {
    if (filtering) {
      response_piece_.append(piece);
    } else {
      out.add_body(piece, start.chunk_body);
    }
  };
  upstream.in().consume(head_size);  // the response head's views are dead from here on

  bool done = upstream_framing == http1::BodyFraming::kNone;
  bool head_pending = true;
  GatherWriter gather;
  TrailerCopy trailers;  // of a chunked response, forwarded after the body
  std::string last_chunk;
  for (;;) {
    gather.clear();
    response_piece_.clear();
    if (head_pending) {
      gather.add(start.head);
    }
    const std::string_view available = upstream.in().readable();
    size_t used = 0;
    if (upstream_framing == http1::BodyFraming::kUntilClose) {
      add_body(gather, available);
      used = available.size();
    } else {
      while (!done && !gather.full()) {
        auto step = decoder.decode(available.substr(used));
        if (!step) {
          if (head_pending) {  // nothing reached the client yet: it gets a clean 502
            Error error = std::move(step.error());
            co_return co_await upstream_failed(std::move(error));
          }
          co_return downstream_.cut_short(status, step.error());
        }
        used += step->consumed;
        add_body(gather, step->data);
        if (const std::optional<http1::Header>& trailer = step->trailer; trailer.has_value()) {
          trailers.add(trailer.value_or(http1::Header{}));
        }
        done = decoder.done();
        if (step->consumed == 0) {
          break;
        }
      }
    }
    if (filtering && (done || !response_piece_.empty())) {
      if (auto filtered = co_await filter_response_body(done); !filtered) {
        co_return downstream_.cut_short(status, filtered.error());
      }
      gather.add_body(response_piece_, start.chunk_body);
    }
    if (done && start.chunk_body) {
      http1::write_last_chunk(trailers.fields(), last_chunk);
      gather.add(last_chunk);
    }
    const bool written = co_await downstream_.send_response(gather, done, trailers.fields());
    if (!written) {
      const Error error(ErrorCode::kBadRequest, "the client went away during the response");
      co_return downstream_.cut_short(status, error);
    }
    head_pending = false;
    upstream.in().consume(used);
    if (done) {
      break;
    }
    downstream_.set_deadline(route_.timeouts.idle, Phase::kUpstreamBody);
    const AwaitingUpstream awaiting(downstream_);
    auto [error, n] = co_await upstream.stream().async_read_some(
        upstream.in().prepare(kReadChunk, kMaxBodyBuffer), kAwait);
    if (error) {
      if (upstream_framing == http1::BodyFraming::kUntilClose && error == asio::error::eof) {
        done = true;
        continue;
      }
      const Error failure(downstream_.timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                                      : ErrorCode::kUpstreamReset,
                          "the upstream response was cut short: " + error.message());
      co_return downstream_.cut_short(status, failure);
    }
    upstream.in().commit(n);
  }
  upstream_reusable = upstream_keep_alive && upstream_framing != http1::BodyFraming::kUntilClose &&
                      upstream.in().empty();
  co_return downstream_.end_response(status);
}

}  // namespace nexus::server

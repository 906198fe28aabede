// The body of a provider's answer: read whole (a completion, an error) or relayed as an event
// stream, translated event by event into the client's dialect.
#include <ctime>

#include "http/http1/parser.h"
#include "server/io_constants.h"
#include "server/llm_exchange.h"
#include "server/proxy_exchange.h"
#include "server/worker.h"

namespace nexus::server {
namespace asio = boost::asio;

namespace {

// An upstream's whole answer (a completion or an error body) is held in memory to be
// translated; beyond this it is refused rather than allowed to grow without bound.
constexpr size_t kMaxUpstreamBody = size_t{64} * 1024 * 1024;

// Reads the response body after its head (`body`: its framing, taken from the head) piece by
// piece: `on_piece` gets each decoded piece, `after_read` runs once the pieces of one read are
// taken (before waiting for more: a stream is sent on there); an error from either stops it.
template <typename OnPiece, typename AfterRead>
asio::awaitable<Result<void>> read_body(Downstream& downstream, proxy::UpstreamConnection& upstream,
                                        const UpstreamBody& body, const http1::ParserLimits& limits,
                                        std::chrono::milliseconds idle, OnPiece&& on_piece,
                                        AfterRead&& after_read, bool& reusable) {
  const http1::BodyFraming framing = body.framing;
  http1::BodyDecoder decoder(limits, /*is_request=*/false);
  if (framing == http1::BodyFraming::kChunked) {
    decoder.start_chunked();
  } else if (framing == http1::BodyFraming::kContentLength) {
    decoder.start_content_length(body.content_length);
  }
  upstream.in().consume(body.head_size);  // the head's views die here
  bool done = framing == http1::BodyFraming::kNone;
  while (!done) {
    const std::string_view available = upstream.in().readable();
    size_t used = 0;
    if (framing == http1::BodyFraming::kUntilClose) {
      used = available.size();
      if (auto accepted = on_piece(available); !accepted) {
        co_return accepted;
      }
    } else {
      for (;;) {
        auto step = decoder.decode(available.substr(used));
        if (!step) {
          co_return std::unexpected(std::move(step.error()));
        }
        used += step->consumed;
        if (!step->data.empty()) {
          if (auto accepted = on_piece(step->data); !accepted) {
            co_return accepted;
          }
        }
        done = decoder.done();
        if (done || step->consumed == 0) {
          break;
        }
      }
    }
    upstream.in().consume(used);
    if (auto taken = co_await after_read(); !taken) {
      co_return taken;
    }
    if (done) {
      break;
    }
    downstream.set_deadline(idle, Phase::kUpstreamBody);
    const AwaitingUpstream awaiting(downstream);
    auto [error, n] = co_await upstream.stream().async_read_some(
        upstream.in().prepare(kReadChunk, kMaxBodyBuffer), kAwait);
    if (error) {
      if (framing == http1::BodyFraming::kUntilClose && error == asio::error::eof) {
        break;
      }
      co_return fail(downstream.timed_out(Phase::kUpstreamBody) ? ErrorCode::kUpstreamTimeout
                                                                : ErrorCode::kUpstreamReset,
                     "the provider's response was cut short: " + error.message());
    }
    upstream.in().commit(n);
  }
  reusable = body.keep_alive && framing != http1::BodyFraming::kUntilClose && upstream.in().empty();
  co_return Result<void>{};
}

}  // namespace

asio::awaitable<Result<std::string>> LlmExchange::read_whole_body(
    proxy::UpstreamConnection& upstream, const UpstreamBody& body, bool& reusable) {
  std::string whole;
  auto append = [&](std::string_view piece) -> Result<void> {
    if (whole.size() + piece.size() > kMaxUpstreamBody) {
      return fail(ErrorCode::kUpstreamProtocolError, "the provider's response is too large");
    }
    whole.append(piece);
    return {};
  };
  auto nothing = []() -> asio::awaitable<Result<void>> { co_return Result<void>{}; };
  auto read = co_await read_body(downstream_, upstream, body, worker_.snapshot().response_limits,
                                 route_.timeouts.idle, append, nothing, reusable);
  if (!read) {
    co_return std::unexpected(std::move(read.error()));
  }
  co_return whole;
}

// Upstream SSE -> IR events -> the client's SSE, one read at a time: what arrived is sent on
// before the next read, so the first token reaches the client as soon as it reached Nexus.
// Passthrough: the provider's own bytes go to the client, and are decoded only to notice a
// stream that ends incomplete.
asio::awaitable<Outcome> LlmExchange::relay_stream(proxy::UpstreamConnection& upstream,
                                                   const UpstreamBody& body, llm::Wire wire,
                                                   const ProviderCall& call, bool& reusable) {
  if (const bool started = co_await start_stream(); !started) {
    co_return Outcome::kClose;
  }
  llm::UpstreamStreamDecoder decoder(wire);
  llm::ClientStreamEncoder encoder(dialect_, static_cast<int64_t>(std::time(nullptr)),
                                   call.include_usage);
  std::vector<llm::StreamEvent> events;
  std::string out;
  std::optional<llm::Usage>& usage = downstream_.record.llm.usage;
  // Passthrough with the usage chunk held back: an event's bytes wait here until it is whole
  // and known not to be that chunk.
  const bool hold_usage_chunk = call.passthrough && call.check_stream &&
                                dialect_ == llm::Dialect::kOpenAi && !call.include_usage;
  std::string held;
  std::string answer_id;  // for a provider that names no id
  auto translate = [&](std::string_view piece) -> Result<void> {
    if (call.passthrough && !hold_usage_chunk) {
      out.append(piece);
      if (!call.check_stream) {
        return {};
      }
    }
    for (;;) {
      const std::string_view before = piece;
      events.clear();
      auto next = decoder.next(piece, events);
      if (!next) {
        return std::unexpected(std::move(next.error()));
      }
      const std::string_view consumed = before.substr(0, before.size() - piece.size());
      if (*next == llm::UpstreamStreamDecoder::Step::kNeedMore) {
        if (hold_usage_chunk) {
          held.append(consumed);
          if (decoder.between_events()) {
            out.append(held);
            held.clear();
          }
        }
        return {};
      }
      bool usage_only = !events.empty();
      for (auto& ir_event : events) {
        if (ir_event.kind == llm::StreamEventKind::kUsage) {
          usage = ir_event.usage;
        } else {
          usage_only = false;
          generated_bytes_ += ir_event.text.size();  // to bill a stream cut before its usage
        }
        if (ir_event.kind == llm::StreamEventKind::kMessageStart) {
          name_answer(ir_event, answer_id);
        }
        if (!call.passthrough) {
          encoder.encode(ir_event, out);
        }
      }
      if (hold_usage_chunk) {
        if (!usage_only) {
          out.append(held);
          out.append(consumed);
        }
        held.clear();
      }
    }
  };
  // What one read brought goes out in one write.
  auto send = [&]() -> asio::awaitable<Result<void>> {
    co_return co_await send_stream(out, /*last=*/false);
  };
  auto relayed = co_await read_body(downstream_, upstream, body, worker_.snapshot().response_limits,
                                    route_.timeouts.idle, translate, send, reusable);
  if (relayed && call.check_stream) {
    events.clear();
    relayed = decoder.finish(events);
    for (const auto& ir_event : events) {
      if (!call.passthrough) {
        encoder.encode(ir_event, out);
      }
    }
    out.append(held);  // what followed the last event (a trailing comment)
  }
  if (downstream_.record.client_gone) {
    reusable = false;
    const Error gone(ErrorCode::kBadRequest, "the client went away during the response");
    co_return downstream_.cut_short(200, relayed ? gone : relayed.error());
  }
  if (!relayed) {
    // The client learns why its stream ends early, in its own dialect, before the end.
    reusable = false;
    encoder.encode_error(llm::api_error(relayed.error()), out);
  }
  if (auto sent = co_await send_stream(out, /*last=*/true); !sent) {
    co_return downstream_.cut_short(200, sent.error());
  }
  co_return downstream_.end_response(200);
}

}  // namespace nexus::server

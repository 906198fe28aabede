#include "llm/pricing/price_table.h"

#include <algorithm>
#include <limits>

namespace nexus::llm::pricing {
namespace {

// Token counts are below 2^53 (the decoders refuse more) and rates below 2^40, so one product
// fits 93 bits and a sum of a few of them fits 128: the arithmetic is exact.
using Pico = unsigned __int128;

Pico times(uint64_t tokens, MicroUsdPerMtok rate) {
  return static_cast<Pico>(tokens) * static_cast<uint64_t>(std::max<MicroUsdPerMtok>(rate, 0));
}

Pico fixed_fees(const ModelPrice& price, uint32_t images) {
  const auto per_request = static_cast<uint64_t>(std::max<NanoUsd>(price.per_request, 0));
  const auto per_image = static_cast<uint64_t>(std::max<NanoUsd>(price.per_image, 0));
  return (static_cast<Pico>(per_request) + static_cast<Pico>(per_image) * images) * kPicoPerNano;
}

// Rounded up to whole nano-dollars, once; saturated rather than wrapped.
NanoUsd to_nano(Pico pico) {
  const Pico nano = (pico + kPicoPerNano - 1) / kPicoPerNano;
  constexpr auto kMax = static_cast<Pico>(std::numeric_limits<NanoUsd>::max());
  return static_cast<NanoUsd>(std::min(nano, kMax));
}

bool all_digits(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

NanoUsd cost(const ModelPrice& price, const Usage& usage, uint32_t images) {
  const TokenRates& rates = price.rates_for(usage.input);
  const uint64_t cached = usage.cache_read + usage.cache_write;
  const uint64_t uncached = usage.input > cached ? usage.input - cached : 0;
  const uint64_t reasoning = std::min(usage.reasoning, usage.output);
  const Pico pico = times(uncached, rates.input) +
                    times(usage.cache_read, rates.cache_read_rate()) +
                    times(usage.cache_write, rates.cache_write_rate()) +
                    times(usage.output - reasoning, rates.output) +
                    times(reasoning, rates.reasoning_rate()) + fixed_fees(price, images);
  return to_nano(pico);
}

NanoUsd worst_case(const ModelPrice& price, uint64_t input_tokens, uint64_t output_tokens,
                   uint32_t images) {
  auto input_side = [](const TokenRates& rates) {
    return std::max({rates.input, rates.cache_read_rate(), rates.cache_write_rate()});
  };
  auto output_side = [](const TokenRates& rates) {
    return std::max(rates.output, rates.reasoning_rate());
  };
  MicroUsdPerMtok input_rate = input_side(price.tokens);
  MicroUsdPerMtok output_rate = output_side(price.tokens);
  if (const auto& tier = price.long_context; tier && input_tokens > tier->above_input_tokens) {
    input_rate = std::max(input_rate, input_side(tier->rates));
    output_rate = std::max(output_rate, output_side(tier->rates));
  }
  return to_nano(times(input_tokens, input_rate) + times(output_tokens, output_rate) +
                 fixed_fees(price, images));
}

std::optional<std::string_view> strip_date_suffix(std::string_view model) {
  // "-YYYY-MM-DD" (OpenAI) or "-YYYYMMDD" (Anthropic), after a non-empty name.
  for (const bool dashed : {true, false}) {
    const size_t length = dashed ? 11 : 9;
    if (model.size() <= length || model[model.size() - length] != '-') {
      continue;
    }
    const std::string_view date = model.substr(model.size() - length + 1);
    const bool shaped = dashed
                            ? date[4] == '-' && date[7] == '-' && all_digits(date.substr(0, 4)) &&
                                  all_digits(date.substr(5, 2)) && all_digits(date.substr(8))
                            : all_digits(date);
    if (shaped) {
      return model.substr(0, model.size() - length);
    }
  }
  return std::nullopt;
}

void PriceTable::set(const std::string& provider, const std::string& model, const Entry& entry) {
  entries_[provider].insert_or_assign(model, entry);
}

const PriceTable::Entry* PriceTable::entry(std::string_view provider,
                                           std::string_view model) const {
  const auto models = entries_.find(provider);
  if (models == entries_.end()) {
    return nullptr;
  }
  const auto found = models->second.find(model);
  return found == models->second.end() ? nullptr : &found->second;
}

const ModelPrice* PriceTable::find(std::string_view provider, std::string_view model) const {
  for (const std::string_view kind : {provider, std::string_view()}) {
    if (const Entry* exact = entry(kind, model)) {
      return &exact->price;
    }
  }
  if (const auto undated = strip_date_suffix(model)) {
    for (const std::string_view kind : {provider, std::string_view()}) {
      if (const Entry* family = entry(kind, *undated); family && family->dated_snapshots) {
        return &family->price;
      }
    }
  }
  return nullptr;
}

size_t PriceTable::size() const {
  size_t count = 0;
  for (const auto& [provider, models] : entries_) {
    count += models.size();
  }
  return count;
}

}  // namespace nexus::llm::pricing

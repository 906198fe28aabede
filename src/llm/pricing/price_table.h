// What LLM tokens cost: the price of a model, the exact cost of a request from its normalized
// usage, the most a request can cost, and the table of prices by provider and model.
//
// Prices are data (data/prices.yaml, embedded in the binary, and the config's `prices` section
// and deployments' `price`), never guessed from model names. docs/pricing.md has the semantics.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm/ir/usage.h"
#include "llm/pricing/money.h"

namespace nexus::llm::pricing {

// Rates per kind of token. The cache and reasoning rates are optional because most providers
// do not price them apart: cache reads and writes then cost what input does, reasoning what
// output does.
struct TokenRates {
  MicroUsdPerMtok input = 0;
  MicroUsdPerMtok output = 0;
  std::optional<MicroUsdPerMtok> cache_read;
  std::optional<MicroUsdPerMtok> cache_write;
  std::optional<MicroUsdPerMtok> reasoning;

  [[nodiscard]] MicroUsdPerMtok cache_read_rate() const { return cache_read.value_or(input); }
  [[nodiscard]] MicroUsdPerMtok cache_write_rate() const { return cache_write.value_or(input); }
  [[nodiscard]] MicroUsdPerMtok reasoning_rate() const { return reasoning.value_or(output); }
  bool operator==(const TokenRates&) const = default;
};

// Long-context pricing (Gemini 2.5 Pro, Claude Sonnet 4 with 1M context): a request with more
// than `above_input_tokens` input tokens (cached ones included) is priced wholly at `rates`.
struct LongContextTier {
  uint64_t above_input_tokens = 0;
  TokenRates rates;
  bool operator==(const LongContextTier&) const = default;
};

struct ModelPrice {
  TokenRates tokens;
  NanoUsd per_request = 0;  // added to every request (e.g. a rerank search)
  NanoUsd per_image = 0;    // per image generated or counted by the caller
  std::optional<LongContextTier> long_context;
  // The provider's batch API rates. Stored, listed and documented, but not used: Nexus has no
  // batch endpoint, so every request it serves is priced at `tokens`.
  std::optional<TokenRates> batch;

  // The rates a request with `input_tokens` input tokens is priced at.
  [[nodiscard]] const TokenRates& rates_for(uint64_t input_tokens) const {
    return long_context && input_tokens > long_context->above_input_tokens ? long_context->rates
                                                                           : tokens;
  }
  bool operator==(const ModelPrice&) const = default;
};

// The cost of a request from its normalized usage (llm/ir/usage.h): uncached input
// (input - cache_read - cache_write) at the input rate, cache reads and writes at theirs,
// non-reasoning output (output - reasoning) at the output rate, reasoning at its rate, plus
// per_request and `images` x per_image; summed in pico-dollars and rounded up to nano-dollars
// once, at the end. Parts larger than their whole (a provider bug) are charged as reported, the
// whole's remainder then being 0. Saturates at the largest NanoUsd.
NanoUsd cost(const ModelPrice& price, const Usage& usage, uint32_t images = 0);

// The most a request can cost when it uses at most `input_tokens` and `output_tokens` (what a
// budget reserves before the call): every input token at the highest input-side rate (input,
// cache read, cache write), every output token at the higher of output and reasoning, the
// long-context tier's rates too when `input_tokens` is above its threshold, plus per_request
// and `images` x per_image. cost() of any consistent usage within the bounds is never more.
NanoUsd worst_case(const ModelPrice& price, uint64_t input_tokens, uint64_t output_tokens,
                   uint32_t images = 0);

// A dated snapshot id's undated name: "gpt-4o-2024-08-06" -> "gpt-4o",
// "claude-sonnet-4-20250514" -> "claude-sonnet-4"; nullopt without such a suffix.
std::optional<std::string_view> strip_date_suffix(std::string_view model);

// Prices by provider kind ("openai", "anthropic", "gemini", "vertex", "bedrock", an
// openai_compatible preset such as "groq"; see provider_kind in deployment_price.h) and model id.
// Built once per config and then only read (entries never move once added).
class PriceTable {
 public:
  struct Entry {
    ModelPrice price;
    // The entry also prices the model's dated snapshots ("<model>-YYYY-MM-DD",
    // "<model>-YYYYMMDD") that have no entry of their own.
    bool dated_snapshots = false;
  };
  // provider ("" = any provider) -> model -> entry.
  using Entries = std::map<std::string, std::map<std::string, Entry, std::less<>>, std::less<>>;

  // Adds the entry, or replaces the one with the same provider and model.
  void set(const std::string& provider, const std::string& model, const Entry& entry);

  // The price of `model` at `provider`: the entry (provider, model); else the provider-less
  // entry of `model`; else, for a dated snapshot id, the same two lookups of the undated name,
  // taking only entries with dated_snapshots. Null when none: the model is unpriced.
  [[nodiscard]] const ModelPrice* find(std::string_view provider, std::string_view model) const;

  [[nodiscard]] const Entries& entries() const { return entries_; }
  [[nodiscard]] size_t size() const;

  // Where the entries came from, in the order they were applied ("data/prices.yaml (built in),
  // version 2025-12-01", a file's path and version, the config's section), for messages and
  // `nexus prices list`.
  void add_source(std::string source) { sources_.push_back(std::move(source)); }
  [[nodiscard]] const std::vector<std::string>& sources() const { return sources_; }

 private:
  [[nodiscard]] const Entry* entry(std::string_view provider, std::string_view model) const;

  Entries entries_;
  std::vector<std::string> sources_;
};

}  // namespace nexus::llm::pricing

// Prices (docs/pricing.md): the price table shipped in the binary (data/prices.yaml), the
// `prices` section that overrides or extends it, and the rate keys a deployment's own `price`
// shares with every table entry. Amounts are read from their decimal text exactly
// (llm/pricing/money.h), never through a double.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "control/config/loader.h"
#include "control/config/sections.h"
#include "llm/pricing/builtin_prices.h"
#include "llm/pricing/price_table.h"

namespace nexus::control {
namespace config_internal {
namespace {

using llm::pricing::MicroUsdPerMtok;
using llm::pricing::NanoUsd;
using llm::pricing::PriceTable;
using llm::pricing::TokenRates;

constexpr int64_t kMaxUsdPerMtok = 10000;  // dearer than any model, low enough to catch typos
constexpr int64_t kMaxUsdPerCall = 1000;   // per_request, per_image
constexpr uint64_t kMaxTokens = uint64_t{1} << 40;

constexpr std::array<std::string_view, 5> kRateKeys = {"input", "output", "cache_read",
                                                       "cache_write", "reasoning"};
// The keys of a price: a deployment's `price`, and every table entry besides its names.
constexpr std::array<std::string_view, 9> kPriceKeys = {
    "input",       "output",    "cache_read",   "cache_write", "reasoning",
    "per_request", "per_image", "long_context", "batch"};
constexpr std::array<std::string_view, 4> kEntryNameKeys = {"provider", "model", "aliases",
                                                            "dated_snapshots"};

// A decimal amount at `field`, in units of 10^-decimals of its unit, from 0 to max_whole units;
// `unit` names one such unit in the message about too many decimal places.
Result<int64_t> decimal(const Reader& r, const Field& field, int decimals, int64_t max_whole,
                        std::string_view unit) {
  auto text = r.string(field);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) {
    scale *= 10;
  }
  if (auto value = llm::pricing::parse_decimal(*text, decimals, max_whole * scale)) {
    return *value;
  }
  std::string message = "expected a number from 0 to " + std::to_string(max_whole);
  // A well-formed number that would have to be rounded says so (the table is exact or nothing).
  const size_t point = text->find('.');
  if (point != std::string::npos && text->size() - point - 1 > static_cast<size_t>(decimals) &&
      llm::pricing::parse_decimal(std::string_view(*text).substr(0, point + 1 + decimals), decimals,
                                  max_whole * scale)
          .has_value() &&
      std::ranges::all_of(text->substr(point + 1), [](char c) { return c >= '0' && c <= '9'; })) {
    message += " with at most " + std::to_string(decimals) + " decimal places (";
    message += unit;
    message += ")";
  }
  return r.error(field, message + ", got '" + *text + "'");
}

Result<void> read_rate(const Reader& r, const Field& map, std::string_view key,
                       std::optional<MicroUsdPerMtok>& out) {
  const Field field = r.child(map, key);
  if (!field.present) {
    return {};
  }
  auto value = decimal(r, field, llm::pricing::kPriceDecimals, kMaxUsdPerMtok,
                       "a millionth of a dollar per million tokens");
  if (!value) {
    return std::unexpected(std::move(value.error()));
  }
  out = *value;
  return {};
}

Result<void> read_usd(const Reader& r, const Field& map, std::string_view key, NanoUsd& out) {
  const Field field = r.child(map, key);
  if (!field.present) {
    return {};
  }
  auto value =
      decimal(r, field, llm::pricing::kNanoUsdDecimals, kMaxUsdPerCall, "a billionth of a dollar");
  if (!value) {
    return std::unexpected(std::move(value.error()));
  }
  out = *value;
  return {};
}

// input and output (required), and the optional cache and reasoning rates, of `map`.
Result<void> read_rates(const Reader& r, const Field& map, TokenRates& out) {
  NEXUS_CONFIG_TRY(r.require(r.child(map, "input")));
  NEXUS_CONFIG_TRY(r.require(r.child(map, "output")));
  std::optional<MicroUsdPerMtok> input;
  std::optional<MicroUsdPerMtok> output;
  NEXUS_CONFIG_TRY(read_rate(r, map, "input", input));
  NEXUS_CONFIG_TRY(read_rate(r, map, "output", output));
  out.input = input.value_or(0);
  out.output = output.value_or(0);
  NEXUS_CONFIG_TRY(read_rate(r, map, "cache_read", out.cache_read));
  NEXUS_CONFIG_TRY(read_rate(r, map, "cache_write", out.cache_write));
  NEXUS_CONFIG_TRY(read_rate(r, map, "reasoning", out.reasoning));
  return {};
}

Result<void> parse_long_context(const Reader& r, const Field& field,
                                llm::pricing::ModelPrice& out) {
  std::vector<std::string_view> keys(kRateKeys.begin(), kRateKeys.end());
  keys.emplace_back("above_input_tokens");
  NEXUS_CONFIG_TRY(r.check_mapping(field, keys));
  NEXUS_CONFIG_TRY(r.require(r.child(field, "above_input_tokens")));
  llm::pricing::LongContextTier& tier = out.long_context.emplace();
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "above_input_tokens", tier.above_input_tokens, 1, kMaxTokens));
  return read_rates(r, field, tier.rates);
}

// The price keys of `field` (a mapping), after `check_mapping` by the caller.
Result<void> read_price(const Reader& r, const Field& field, llm::pricing::ModelPrice& out) {
  NEXUS_CONFIG_TRY(read_rates(r, field, out.tokens));
  NEXUS_CONFIG_TRY(read_usd(r, field, "per_request", out.per_request));
  NEXUS_CONFIG_TRY(read_usd(r, field, "per_image", out.per_image));
  if (const Field tier = r.child(field, "long_context"); tier.present) {
    NEXUS_CONFIG_TRY(parse_long_context(r, tier, out));
  }
  if (const Field batch = r.child(field, "batch"); batch.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(batch, kRateKeys));
    NEXUS_CONFIG_TRY(read_rates(r, batch, out.batch.emplace()));
  }
  return {};
}

// `provider`: one kind or a list of them; absent: the entry is for any provider ("").
Result<std::vector<std::string>> entry_providers(const Reader& r, const Field& entry) {
  const Field field = r.child(entry, "provider");
  if (!field.present) {
    return std::vector<std::string>{""};
  }
  auto check = [&](const Field& item, std::string& text) -> Result<void> {
    if (text.empty()) {
      return r.error(item, "the provider kind cannot be empty");
    }
    return {};
  };
  if (field.node.IsSequence()) {
    return r.strings(field, /*non_empty=*/true, check);
  }
  auto kind = r.string(field);
  if (!kind) {
    return std::unexpected(std::move(kind.error()));
  }
  NEXUS_CONFIG_TRY(check(field, *kind));
  return std::vector<std::string>{std::move(*kind)};
}

// One entry of a table's `models` list, added to `table` under every provider and name it has.
Result<void> parse_entry(const Reader& r, const Field& item, PriceTable& table) {
  std::vector<std::string_view> keys(kPriceKeys.begin(), kPriceKeys.end());
  keys.insert(keys.end(), kEntryNameKeys.begin(), kEntryNameKeys.end());
  NEXUS_CONFIG_TRY(r.check_mapping(item, keys));
  NEXUS_CONFIG_TRY(r.require(r.child(item, "model")));
  std::string model;
  NEXUS_CONFIG_TRY(r.read(item, "model", model));
  if (model.empty()) {
    return r.error(r.child(item, "model"), "the model id cannot be empty");
  }
  auto aliases = r.strings(r.child(item, "aliases"), /*non_empty=*/false);
  if (!aliases) {
    return std::unexpected(std::move(aliases.error()));
  }
  auto providers = entry_providers(r, item);
  if (!providers) {
    return std::unexpected(std::move(providers.error()));
  }
  PriceTable::Entry entry;
  NEXUS_CONFIG_TRY(r.read(item, "dated_snapshots", entry.dated_snapshots));
  NEXUS_CONFIG_TRY(read_price(r, item, entry.price));
  // Aliases are exact ids: only the model's own name stands for its dated snapshots.
  PriceTable::Entry alias = entry;
  alias.dated_snapshots = false;
  for (const std::string& provider : *providers) {
    table.set(provider, model, entry);
    for (const std::string& name : *aliases) {
      table.set(provider, name, alias);
    }
  }
  return {};
}

Result<void> parse_entries(const Reader& r, const Field& field, PriceTable& table) {
  auto items = r.items(field, /*non_empty=*/false);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  for (const Field& item : *items) {
    NEXUS_CONFIG_TRY(parse_entry(r, item, table));
  }
  return {};
}

// A price file (data/prices.yaml's shape): `version` and `models`, applied onto `table`.
Result<void> parse_price_file(const Reader& r, const YAML::Node& document,
                              const std::string& source_name, PriceTable& table) {
  const Field root = r.root(document);
  NEXUS_CONFIG_TRY(r.check_mapping(root, {"version", "models"}));
  NEXUS_CONFIG_TRY(r.require(r.child(root, "version")));
  std::string version;
  NEXUS_CONFIG_TRY(r.read(root, "version", version));
  NEXUS_CONFIG_TRY(parse_entries(r, r.child(root, "models"), table));
  table.add_source(source_name + ", version " + version);
  return {};
}

Result<void> load_price_file(std::string_view text, const std::string& source_name,
                             const std::filesystem::path& base_dir, PriceTable& table) {
  return parse_yaml_document(text, source_name, base_dir,
                             [&](const Reader& r, const YAML::Node& document) {
                               return parse_price_file(r, document, source_name, table);
                             });
}

}  // namespace

Result<void> parse_deployment_price(const Reader& r, const Field& field,
                                    std::shared_ptr<const llm::pricing::ModelPrice>& out) {
  if (!field.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, kPriceKeys));
  auto price = std::make_shared<llm::pricing::ModelPrice>();
  NEXUS_CONFIG_TRY(read_price(r, field, *price));
  out = std::move(price);
  return {};
}

Result<void> parse_prices(const Reader& r, const Field& field,
                          std::shared_ptr<const llm::pricing::PriceTable>& out) {
  auto builtin = builtin_price_table();
  if (!builtin) {
    return std::unexpected(std::move(builtin.error()));
  }
  if (!field.present) {
    out = std::move(*builtin);
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"builtin", "file", "models"}));
  bool use_builtin = true;
  NEXUS_CONFIG_TRY(r.read(field, "builtin", use_builtin));
  auto table =
      use_builtin ? std::make_shared<PriceTable>(**builtin) : std::make_shared<PriceTable>();
  if (const Field file = r.child(field, "file"); file.present) {
    auto path = r.readable_file(file);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    auto text = read_text_file(*path);
    if (!text) {
      return r.error(file, text.error().message());
    }
    NEXUS_CONFIG_TRY(
        load_price_file(*text, *path, std::filesystem::path(*path).parent_path(), *table));
  }
  if (const Field models = r.child(field, "models"); models.present) {
    NEXUS_CONFIG_TRY(parse_entries(r, models, *table));
    table->add_source(r.source_name() + ", prices.models");
  }
  out = std::move(table);
  return {};
}

}  // namespace config_internal

Result<std::shared_ptr<const llm::pricing::PriceTable>> builtin_price_table() {
  // Parsed once: the text is part of the binary, so the result never changes.
  static const Result<std::shared_ptr<const llm::pricing::PriceTable>> kTable =
      []() -> Result<std::shared_ptr<const llm::pricing::PriceTable>> {
    auto table = std::make_shared<llm::pricing::PriceTable>();
    const std::string name = "data/prices.yaml (built in)";
    NEXUS_CONFIG_TRY(
        config_internal::load_price_file(llm::pricing::builtin_prices_yaml(), name, {}, *table));
    return table;
  }();
  return kTable;
}

}  // namespace nexus::control

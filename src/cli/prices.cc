#include "cli/prices.h"

#include <iostream>
#include <optional>
#include <string_view>

#include "control/config/loader.h"
#include "llm/pricing/deployment_price.h"

namespace nexus::cli {
namespace {

using llm::pricing::format_decimal;
using llm::pricing::kPriceDecimals;
using llm::pricing::MicroUsdPerMtok;

std::string rate(std::optional<MicroUsdPerMtok> value) {
  return value ? format_decimal(*value, kPriceDecimals) : "-";
}

// "in 2.5 out 10 cache_read 1.25": the rates that are set.
std::string rates(const llm::pricing::TokenRates& rates) {
  std::string out = "in " + rate(rates.input) + " out " + rate(rates.output);
  for (const auto& [name, value] :
       {std::pair{"cache_read", rates.cache_read}, std::pair{"cache_write", rates.cache_write},
        std::pair{"reasoning", rates.reasoning}}) {
    if (value) {
      out += ' ';
      out += name;
      out += ' ';
      out += rate(value);
    }
  }
  return out;
}

}  // namespace

size_t write_unpriced(const config::Config& config, std::ostream& out) {
  size_t unpriced = 0;
  for (const config::Model& group : config.models) {
    for (const config::Deployment& deployment : group.deployments) {
      if (llm::pricing::deployment_price(config, deployment) != nullptr) {
        continue;
      }
      const auto provider = config.providers.find(deployment.provider);
      const std::string kind =
          provider == config.providers.end() ? std::string() : provider->second.kind;
      out << "model " << group.name << ": provider " << deployment.provider << " (" << kind
          << "), model " << deployment.model << ": no price\n";
      ++unpriced;
    }
  }
  return unpriced;
}

void write_price_table(const llm::pricing::PriceTable& table, std::ostream& out) {
  for (const std::string& source : table.sources()) {
    out << "# " << source << "\n";
  }
  out << "# USD per million tokens; provider '*': any provider\n";
  for (const auto& [provider, models] : table.entries()) {
    for (const auto& [model, entry] : models) {
      const llm::pricing::ModelPrice& price = entry.price;
      out << (provider.empty() ? std::string_view("*") : std::string_view(provider)) << ' ' << model
          << (entry.dated_snapshots ? " (and its dated snapshots)" : "") << ": "
          << rates(price.tokens);
      if (price.per_request != 0) {
        out << " per_request " << llm::pricing::format_usd(price.per_request);
      }
      if (price.per_image != 0) {
        out << " per_image " << llm::pricing::format_usd(price.per_image);
      }
      if (price.long_context) {
        out << "; above " << price.long_context->above_input_tokens
            << " input tokens: " << rates(price.long_context->rates);
      }
      if (price.batch) {
        out << "; batch: " << rates(*price.batch);
      }
      out << "\n";
    }
  }
}

int prices_check(const std::string& config_path) {
  auto config = control::load_config_file(config_path);
  if (!config) {
    std::cerr << config.error().message() << "\n";
    return 1;
  }
  const size_t unpriced = write_unpriced(*config, std::cout);
  if (unpriced != 0) {
    std::cout << config_path << ": " << unpriced << " deployment(s) without a price\n";
    return 1;
  }
  std::cout << config_path << ": every deployment has a price\n";
  return 0;
}

int prices_list(const std::string& config_path) {
  std::shared_ptr<const llm::pricing::PriceTable> table;
  if (config_path.empty()) {
    auto builtin = control::builtin_price_table();
    if (!builtin) {
      std::cerr << builtin.error().message() << "\n";
      return 1;
    }
    table = *builtin;
  } else {
    auto config = control::load_config_file(config_path);
    if (!config) {
      std::cerr << config.error().message() << "\n";
      return 1;
    }
    table = config->prices;
  }
  write_price_table(*table, std::cout);
  return 0;
}

}  // namespace nexus::cli

// `nexus prices check` and `nexus prices list` (docs/pricing.md).
#pragma once

#include <ostream>
#include <string>

#include "llm/pricing/price_table.h"
#include "nexus/config/config.h"

namespace nexus::cli {

// Writes one line per deployment of `config` that has no price (neither its own nor the
// table's), naming its model group, provider (and provider kind) and upstream model; returns
// how many there were.
size_t write_unpriced(const config::Config& config, std::ostream& out);

// Writes the table: its sources, then one line per entry (provider kind, model and rates in
// USD per million tokens; "-" for a rate that defaults to another).
void write_price_table(const llm::pricing::PriceTable& table, std::ostream& out);

// The subcommands: exit status 0, or 1 when the config does not load (message on stderr) or,
// for check, when some deployment is unpriced. An empty `config_path` lists the built-in table.
int prices_check(const std::string& config_path);
int prices_list(const std::string& config_path);

}  // namespace nexus::cli

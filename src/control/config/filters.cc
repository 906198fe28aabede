// The `filters` lists: the global chain and each route's own entries, merged into the route's
// effective chain (docs/filters.md). A filter's own keys are parsed by its type's parser, so a
// mistake there is reported with file, line and key like every other config error.
#include <algorithm>
#include <charconv>
#include <set>

#include "control/config/sections.h"
#include "filters/registry.h"

namespace nexus::control::config_internal {
namespace {

constexpr std::array<std::string_view, 3> kCommonKeys = {"name", "priority", "disabled"};

bool is_common_key(std::string_view key) {
  return std::ranges::find(kCommonKeys, key) != kCommonKeys.end();
}

std::string known_types() {
  std::string names;
  for (const auto& type : filters::builtin_filter_types()) {
    names += names.empty() ? "" : ", ";
    names += type.name;
  }
  return names;
}

Result<void> parse_priority(const Reader& r, const Field& field, int& out) {
  auto text = r.string(field);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  int value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || value < -1000 || value > 1000) {
    return r.error(field, "expected an integer from -1000 to 1000, got '" + *text + "'");
  }
  out = value;
  return {};
}

// One entry: `- <type>: {config}` plus optional name, priority and (in routes) disabled.
Result<config::FilterEntry> parse_entry(const Reader& r, const Field& field, bool in_route) {
  if (!field.node.IsMap()) {
    return r.error(field, "expected a mapping like '- cors: {...}' (one filter type as key)");
  }
  auto pairs = r.entries(field);
  if (!pairs) {
    return std::unexpected(std::move(pairs.error()));
  }
  config::FilterEntry entry;
  const Field* config = nullptr;
  for (const auto& [key, value] : *pairs) {
    if (is_common_key(key)) {
      continue;
    }
    if (config != nullptr) {
      return r.error(value, "one filter per entry: '" + entry.type + "' and '" + key + "'");
    }
    entry.type = key;
    config = &value;
  }
  if (config == nullptr) {
    return r.error(field, "missing the filter type (one of " + known_types() + ")");
  }
  const auto types = filters::builtin_filter_types();
  const auto type =
      std::ranges::find(types, std::string_view(entry.type), &filters::FilterType::name);
  if (type == types.end()) {
    return r.error(*config, "unknown filter type '" + entry.type + "' (expected one of " +
                                known_types() + ")");
  }
  entry.name = entry.type;
  NEXUS_CONFIG_TRY(r.read(field, "name", entry.name));
  if (Field priority = r.child(field, "priority"); priority.present) {
    NEXUS_CONFIG_TRY(parse_priority(r, priority, entry.priority));
  }
  Field disabled = r.child(field, "disabled");
  if (disabled.present && !in_route) {
    return r.error(disabled, "only in a route's filters (to turn a global filter off)");
  }
  NEXUS_CONFIG_TRY(r.read(field, "disabled", entry.disabled));
  if (entry.disabled) {
    return entry;  // only turns the global entry off: its config is not needed (`auth: {}`)
  }
  auto factory = type->parse(r, *config);
  if (!factory) {
    return std::unexpected(std::move(factory.error()));
  }
  entry.factory = std::move(*factory);
  return entry;
}

void sort_by_priority(std::vector<config::FilterEntry>& entries) {
  std::ranges::stable_sort(entries, std::ranges::greater{}, &config::FilterEntry::priority);
}

config::FilterChain chain_of(const std::vector<config::FilterEntry>& entries) {
  config::FilterChain chain;
  for (const auto& entry : entries) {
    if (entry.factory) {
      chain.push_back(entry.factory);
    }
  }
  return chain;
}

}  // namespace

Result<void> parse_filter_list(const Reader& r, const Field& field, bool in_route,
                               std::vector<config::FilterEntry>& out) {
  auto items = r.items(field, /*non_empty=*/false);
  if (!items) {
    return std::unexpected(std::move(items.error()));
  }
  std::set<std::string, std::less<>> names;
  for (const Field& item : *items) {
    auto entry = parse_entry(r, item, in_route);
    if (!entry) {
      return std::unexpected(std::move(entry.error()));
    }
    if (!names.insert(entry->name).second) {
      return r.error(item, "two filters named '" + entry->name +
                               "' in one list (give one of them another name)");
    }
    out.push_back(std::move(*entry));
  }
  sort_by_priority(out);
  return {};
}

config::FilterChain merge_filters(const std::vector<config::FilterEntry>& global,
                                  const std::vector<config::FilterEntry>& route) {
  std::vector<config::FilterEntry> merged = global;
  for (const auto& own : route) {
    auto same = std::ranges::find(merged, own.name, &config::FilterEntry::name);
    if (same != merged.end()) {
      *same = own;  // replaces (or, disabled, removes) the global entry in place
    } else {
      merged.push_back(own);
    }
  }
  sort_by_priority(merged);
  return chain_of(merged);
}

config::FilterChain global_chain(const std::vector<config::FilterEntry>& global) {
  return chain_of(global);
}

}  // namespace nexus::control::config_internal

// ${VAR} and ${VAR:-default} substitution inside one YAML scalar.
//
// Applied per scalar after YAML parsing (never to the raw text), so line numbers in messages stay
// those of the file and a value can never inject YAML structure.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace nexus::control::config_internal {

// Returns the value of an environment variable, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (std::getenv).
std::optional<std::string> getenv_lookup(const std::string& name);

// Replaces every ${NAME} and ${NAME:-default} in `text`; "$$" is a literal "$" and any other "$"
// is kept as it is (so regexes such as "^a$" need no escaping). As in the shell, the default is
// used when NAME is unset or empty. The error (without file or line) names the variable.
std::expected<std::string, std::string> interpolate(std::string_view text,
                                                    const EnvLookup& lookup = getenv_lookup);

}  // namespace nexus::control::config_internal

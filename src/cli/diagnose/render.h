// The report of `nexus diagnose` in its three forms: text for a terminal (aligned columns,
// coloured only when asked to), JSON for scripts, Markdown for an issue or a wiki.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/diagnose/check_result.h"

namespace nexus::cli::diagnose {

enum class Format { kText, kJson, kMarkdown };

// "text", "json", "markdown"; nullopt for anything else.
std::optional<Format> parse_format(std::string_view name);

struct Report {
  std::string config_path;
  std::vector<CheckResult> results;  // in the order they are shown
};

// "0.42 ms", "12.3 ms", "1.20 s".
std::string duration_text(std::chrono::microseconds duration);

// One line per check under a header, then the counts. `color`: ANSI colours on the status.
void render_text(const Report& report, std::ostream& out, bool color);
// {"config", "status" (the worst), "summary": {ok, warn, fail, skip}, "checks": [{name, target,
// status, duration_ms, detail, facts}]}, on one line.
void render_json(const Report& report, std::ostream& out);
// A heading, a table and the counts.
void render_markdown(const Report& report, std::ostream& out);

void render(Format format, const Report& report, std::ostream& out, bool color);

}  // namespace nexus::cli::diagnose

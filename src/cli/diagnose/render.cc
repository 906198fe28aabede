#include "cli/diagnose/render.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>

namespace nexus::cli::diagnose {
namespace {

namespace json = boost::json;

constexpr std::string_view kReset = "\x1b[0m";

std::string_view color_of(Status status) {
  switch (status) {
    case Status::kOk:
      return "\x1b[32m";  // green
    case Status::kWarn:
      return "\x1b[33m";  // yellow
    case Status::kFail:
      return "\x1b[1;31m";  // bold red
    case Status::kSkip:
      return "\x1b[2m";  // dim
  }
  return "";
}

// The worst status of a run: fail, then warn, then ok (skips alone are ok).
Status overall(const Summary& summary) {
  if (summary.fail != 0) {
    return Status::kFail;
  }
  return summary.warn != 0 ? Status::kWarn : Status::kOk;
}

std::string counts_text(const std::vector<CheckResult>& results) {
  const Summary summary = summarize(results);
  return std::to_string(results.size()) + " checks: " + std::to_string(summary.ok) + " ok, " +
         std::to_string(summary.warn) + " warn, " + std::to_string(summary.fail) + " fail, " +
         std::to_string(summary.skip) + " skipped";
}

void pad(std::ostream& out, size_t written, size_t width) {
  for (size_t column = written; column < width; ++column) {
    out << ' ';
  }
}

json::value fact_json(const FactValue& value) {
  return std::visit(
      [](const auto& held) -> json::value {
        using Held = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<Held, std::vector<std::string>>) {
          json::array items;
          for (const std::string& item : held) {
            items.emplace_back(item);
          }
          return items;
        } else {
          return json::value(held);
        }
      },
      value);
}

// A Markdown table cell: pipes escaped, line breaks flattened.
std::string cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  if (name == "text") {
    return Format::kText;
  }
  if (name == "json") {
    return Format::kJson;
  }
  if (name == "markdown") {
    return Format::kMarkdown;
  }
  return std::nullopt;
}

std::string duration_text(std::chrono::microseconds duration) {
  const auto micros = static_cast<double>(duration.count());
  char text[32];
  if (micros < 1000) {
    std::snprintf(text, sizeof text, "%.2f ms", micros / 1000);
  } else if (micros < 1'000'000) {
    std::snprintf(text, sizeof text, "%.1f ms", micros / 1000);
  } else {
    std::snprintf(text, sizeof text, "%.2f s", micros / 1'000'000);
  }
  return text;
}

void render_text(const Report& report, std::ostream& out, bool color) {
  constexpr std::string_view kStatus = "STATUS";
  constexpr std::string_view kCheck = "CHECK";
  constexpr std::string_view kTarget = "TARGET";
  constexpr std::string_view kTime = "TIME";
  size_t check_width = kCheck.size();
  size_t target_width = kTarget.size();
  size_t time_width = kTime.size();
  for (const CheckResult& result : report.results) {
    check_width = std::max(check_width, result.name.size());
    target_width = std::max(target_width, result.target.size());
    time_width = std::max(time_width, duration_text(result.duration).size());
  }
  constexpr size_t kGap = 2;
  const size_t status_width = kStatus.size() + kGap;
  check_width += kGap;
  target_width += kGap;
  out << "nexus diagnose " << report.config_path << "\n\n";
  out << kStatus;
  pad(out, kStatus.size(), status_width);
  out << kCheck;
  pad(out, kCheck.size(), check_width);
  out << kTarget;
  pad(out, kTarget.size(), target_width);
  pad(out, kTime.size(), time_width);
  out << kTime << "  DETAIL\n";
  for (const CheckResult& result : report.results) {
    const std::string_view status = status_name(result.status);
    if (color) {
      out << color_of(result.status) << status << kReset;
    } else {
      out << status;
    }
    pad(out, status.size(), status_width);
    out << result.name;
    pad(out, result.name.size(), check_width);
    out << result.target;
    pad(out, result.target.size(), target_width);
    const std::string time = duration_text(result.duration);
    pad(out, time.size(), time_width);  // right-aligned
    out << time << "  " << result.detail << "\n";
  }
  out << "\n" << counts_text(report.results) << "\n";
}

void render_json(const Report& report, std::ostream& out) {
  const Summary summary = summarize(report.results);
  json::array checks;
  for (const CheckResult& result : report.results) {
    json::object facts;
    for (const auto& [key, value] : result.facts) {
      facts[key] = fact_json(value);
    }
    json::object check;
    check["name"] = result.name;
    check["target"] = result.target;
    check["status"] = status_name(result.status);
    check["duration_ms"] = static_cast<double>(result.duration.count()) / 1000;
    check["detail"] = result.detail;
    check["facts"] = std::move(facts);
    checks.emplace_back(std::move(check));
  }
  json::object document;
  document["config"] = report.config_path;
  document["status"] = status_name(overall(summary));
  document["summary"] = json::object{
      {"ok", summary.ok}, {"warn", summary.warn}, {"fail", summary.fail}, {"skip", summary.skip}};
  document["checks"] = std::move(checks);
  out << json::serialize(document) << "\n";
}

void render_markdown(const Report& report, std::ostream& out) {
  out << "## nexus diagnose `" << report.config_path << "`\n\n";
  out << "| status | check | target | time | detail |\n|---|---|---|--:|---|\n";
  for (const CheckResult& result : report.results) {
    const std::string_view status = status_name(result.status);
    // Failures and warnings in bold: they are what a reader scans the table for.
    const bool stands_out = result.status == Status::kFail || result.status == Status::kWarn;
    out << "| " << (stands_out ? "**" : "") << status << (stands_out ? "**" : "") << " | "
        << cell(result.name) << " | " << cell(result.target) << " | "
        << duration_text(result.duration) << " | " << cell(result.detail) << " |\n";
  }
  out << "\n" << counts_text(report.results) << "\n";
}

void render(Format format, const Report& report, std::ostream& out, bool color) {
  switch (format) {
    case Format::kText:
      render_text(report, out, color);
      return;
    case Format::kJson:
      render_json(report, out);
      return;
    case Format::kMarkdown:
      render_markdown(report, out);
      return;
  }
}

}  // namespace nexus::cli::diagnose

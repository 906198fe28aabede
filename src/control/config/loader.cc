// Entry points: YAML text -> located tree -> validated config::Config.
//
// yaml-cpp reports syntax errors by throwing; this file is the only place that catches, and turns
// every exception into an Error so nothing escapes the loader.
#include "control/config/loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "control/config/sections.h"
#include "filters/access_log/config.h"

namespace nexus::control {
namespace {

using config_internal::Field;
using config_internal::Reader;

}  // namespace

namespace config_internal {

Result<void> parse_logging(const Reader& r, const Field& field, config::Logging& out) {
  static constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug",    "info", "warn",
                                                              "error", "critical", "off"};
  static constexpr std::array<std::string_view, 2> kFormats = {"json", "text"};
  NEXUS_CONFIG_TRY(r.check_mapping(field, {"level", "format", "access_log"}));
  if (Field level = r.child(field, "level"); level.present) {
    auto value = r.one_of(level, kLevels);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out.level = std::move(*value);
  }
  if (Field format = r.child(field, "format"); format.present) {
    auto value = r.one_of(format, kFormats);
    if (!value) {
      return std::unexpected(std::move(value.error()));
    }
    out.format = std::move(*value);
  }
  Field access = r.child(field, "access_log");
  NEXUS_CONFIG_TRY(r.check_mapping(access, {"enabled", "path"}));
  NEXUS_CONFIG_TRY(r.read(access, "enabled", out.access_log.enabled));
  NEXUS_CONFIG_TRY(r.read(access, "path", out.access_log.path));
  if (out.access_log.path.empty()) {
    return r.error(r.child(access, "path"), "expected stdout, stderr or a file path");
  }
  if (out.access_log.path != "stdout" && out.access_log.path != "stderr") {
    out.access_log.path = r.resolve_path(out.access_log.path);
  }
  return {};
}

}  // namespace config_internal

namespace {

// `logging.access_log` is a shorthand for an access_log filter first in the global chain, used
// unless the global chain has one of its own.
void add_default_access_log(config::Config& config) {
  if (!config.logging.access_log.enabled ||
      std::ranges::any_of(config.filters, [](const auto& e) { return e.type == "access_log"; })) {
    return;
  }
  config::FilterEntry entry{.type = "access_log",
                            .name = "access_log",
                            .priority = 1000,
                            .factory = filters::default_access_log(config.logging.access_log.path)};
  config.filters.insert(config.filters.begin(), std::move(entry));
}

Result<config::Config> parse_document(const Reader& r, const YAML::Node& document,
                                      const std::string& source_name) {
  Field root = r.root(document);
  if (!document.IsNull() && !document.IsMap()) {
    return r.error(root, "expected a mapping with server, clusters, routes, filters, logging");
  }
  NEXUS_CONFIG_TRY(
      r.check_mapping(root, {"server", "clusters", "providers", "models", "prices", "routes",
                             "filters", "logging", "governance", "observability"}));
  config::Config out;
  out.source_file = source_name;
  NEXUS_CONFIG_TRY(config_internal::parse_server(r, r.child(root, "server"), out.server));
  NEXUS_CONFIG_TRY(config_internal::parse_clusters(r, r.child(root, "clusters"), out.clusters));
  std::set<std::string> left_out;
  NEXUS_CONFIG_TRY(config_internal::parse_providers(r, r.child(root, "providers"), out.clusters,
                                                    out.providers, left_out));
  NEXUS_CONFIG_TRY(config_internal::parse_models(r, r.child(root, "models"), out.providers,
                                                 left_out, out.models));
  NEXUS_CONFIG_TRY(config_internal::parse_prices(r, r.child(root, "prices"), out.prices));
  NEXUS_CONFIG_TRY(config_internal::parse_logging(r, r.child(root, "logging"), out.logging));
  NEXUS_CONFIG_TRY(
      config_internal::parse_governance(r, r.child(root, "governance"), out.governance));
  NEXUS_CONFIG_TRY(config_internal::parse_observability(r, r.child(root, "observability"), out,
                                                        out.observability));
  NEXUS_CONFIG_TRY(config_internal::parse_filter_list(r, r.child(root, "filters"),
                                                      /*in_route=*/false, out.filters));
  add_default_access_log(out);
  out.global_filters = config_internal::global_chain(out.filters);
  NEXUS_CONFIG_TRY(config_internal::parse_routes(r, r.child(root, "routes"), out.clusters,
                                                 out.filters, out.routes));
  NEXUS_CONFIG_TRY(config_internal::parse_alerts(
      r, r.child(r.child(root, "observability"), "alerts"), out, out.observability.alerts));
  for (const config::Route& route : out.routes) {
    if (route.llm && out.models.empty()) {
      return r.error(r.child(root, "models"),
                     route.name + " serves the LLM API, but no model is configured");
    }
  }
  return out;
}

int line_of(const YAML::Mark& mark) { return mark.is_null() ? 1 : mark.line + 1; }

// Counts documents without building them. yaml-cpp 0.7's LoadAll never returns on some inputs
// (a lone ",": the parser reports a document without consuming anything), so the loader loads
// the first document with Load and asks this, a bounded number of times, whether a second one
// follows.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    previous_start_ = last_start_;
    last_start_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

  [[nodiscard]] const YAML::Mark& last_start() const { return last_start_; }
  // The parser reported a "document" without moving on (the yaml-cpp bug above).
  [[nodiscard]] bool stuck() const { return previous_start_.pos == last_start_.pos; }

 private:
  YAML::Mark previous_start_ = YAML::Mark::null_mark();
  YAML::Mark last_start_ = YAML::Mark::null_mark();
};

// The line of a second document in `yaml`, or 0 when there is at most one.
int second_document_line(const std::string& yaml) {
  std::istringstream stream(yaml);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts) || starts.stuck()) {
    return 0;
  }
  return line_of(starts.last_start());
}

Result<config::Config> load(std::string_view yaml, const std::string& source_name,
                            const std::filesystem::path& base_dir) {
  config::Config out;
  auto parsed = config_internal::parse_yaml_document(
      yaml, source_name, base_dir,
      [&](const Reader& reader, const YAML::Node& document) -> Result<void> {
        auto config = parse_document(reader, document, source_name);
        if (!config) {
          return std::unexpected(std::move(config.error()));
        }
        out = std::move(*config);
        return {};
      });
  if (!parsed) {
    return std::unexpected(std::move(parsed.error()));
  }
  return out;
}

}  // namespace

namespace config_internal {

Result<void> parse_yaml_document(std::string_view yaml, const std::string& source_name,
                                 const std::filesystem::path& base_dir,
                                 const DocumentParser& parse) {
  Reader reader(source_name, base_dir);
  try {
    const std::string text(yaml);
    const YAML::Node document = YAML::Load(text);
    if (const int line = second_document_line(text); line > 0) {
      // The second document would be ignored silently; a stray "---" is more likely a mistake.
      return reader.error(line, "", "only one YAML document is allowed");
    }
    return parse(reader, document);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kInvalidConfig,
                source_name + ":" + std::to_string(line_of(e.mark)) + ": syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidConfig, source_name + ": cannot load: " + e.what());
  }
}

Result<std::string> read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorCode::kInvalidConfig, path + ": cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kInvalidConfig, path + ": cannot read: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorCode::kInvalidConfig, path + ": cannot read: " + std::strerror(errno));
  }
  return text.str();
}

}  // namespace config_internal

Result<config::Config> load_config_file(const std::string& path) {
  auto text = config_internal::read_text_file(path);
  if (!text) {
    return std::unexpected(std::move(text.error()));
  }
  // Relative paths inside the file (certificates, CA, log file) are relative to the file itself.
  return load(*text, path, std::filesystem::path(path).parent_path());
}

Result<config::Config> load_config_text(std::string_view yaml, const std::string& source_name) {
  return load(yaml, source_name, {});
}

}  // namespace nexus::control

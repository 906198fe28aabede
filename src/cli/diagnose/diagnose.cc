#include "cli/diagnose/diagnose.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli/diagnose/endpoint_checks.h"
#include "cli/diagnose/local_checks.h"
#include "cli/diagnose/runner.h"
#include "cli/diagnose/targets.h"
#include "control/config/units.h"

namespace nexus::cli::diagnose {
namespace {

constexpr size_t kMaxParallel = 256;

// "5s", "500ms", or whole seconds ("5"); nullopt otherwise, and for 0 (a check needs some time).
std::optional<std::chrono::milliseconds> parse_timeout(const std::string& text) {
  std::optional<std::chrono::milliseconds> timeout;
  if (const auto seconds = control::config_internal::parse_uint(text)) {
    timeout = std::chrono::seconds(*seconds);
  } else {
    timeout = control::config_internal::parse_duration(text);
  }
  if (!timeout || timeout->count() == 0) {
    return std::nullopt;
  }
  return timeout;
}

std::vector<CheckResult> one(CheckResult result) {
  std::vector<CheckResult> results;
  results.push_back(std::move(result));
  return results;
}

// The local checks that need the config, then one job per network target.
void add_config_jobs(const config::Config& config, const std::vector<Target>& targets,
                     const Options& options, std::vector<Job>& jobs) {
  for (const config::Listener& listener : config.server.listen) {
    jobs.push_back(
        {"listener", [&listener] { return one(check_listen_port(listener, "listener")); }});
  }
  if (config.governance.enabled && config.governance.admin.listen) {
    const config::Listener& admin = *config.governance.admin.listen;
    jobs.push_back(
        {"admin listener", [&admin] { return one(check_listen_port(admin, "admin listener")); }});
  }
  // libpq takes whole seconds.
  const auto seconds =
      std::max(std::chrono::ceil<std::chrono::seconds>(options.timeout), std::chrono::seconds(1));
  jobs.push_back(
      {"storage", [&config, seconds] { return one(check_storage(config.governance, seconds)); }});
  jobs.push_back({"pepper_file", [&config] { return one(check_pepper_file(config.governance)); }});
  const NetworkOptions network{options.timeout};
  for (const Target& target : targets) {
    jobs.push_back({target.name(), [&target, network] { return check_target(target, network); }});
  }
}

}  // namespace

int run_diagnose(const Options& options, std::ostream& out, bool color) {
  LoadedConfig loaded = check_config(options.config_path);
  std::vector<Job> jobs;
  jobs.push_back({"process", [] { return one(check_fd_limit()); }});
  std::vector<Target> targets;  // outlives the jobs, which refer to them
  if (loaded.config) {
    targets = network_targets(*loaded.config, options.probe);
    add_config_jobs(*loaded.config, targets, options, jobs);
  }
  Report report{options.config_path, one(std::move(loaded.result))};
  for (CheckResult& result : run_jobs(jobs, options.parallel)) {
    report.results.push_back(std::move(result));
  }
  render(options.format, report, out, color);
  if (!loaded.config) {
    return kExitUsage;
  }
  return exit_status(report.results) == 0 ? kExitOk : kExitFailed;
}

struct DiagnoseCommand::Flags {
  Options options;
  std::string format = "text";
  std::string timeout = "5s";
};

DiagnoseCommand::DiagnoseCommand(CLI::App& app) : flags_(std::make_unique<Flags>()) {
  command_ = app.add_subcommand(
      "diagnose",
      "Check what the gateway depends on: config, storage, ports, fd limit, and per cluster and "
      "provider DNS, TCP, TLS (exit 0 ok/warn, 1 a check failed, 2 usage or config error)");
  command_->add_option("-c,--config", flags_->options.config_path, "YAML configuration file")
      ->capture_default_str();
  command_->add_option("--format", flags_->format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  command_->add_flag("--probe", flags_->options.probe,
                     "Also call each provider's model list with its configured key");
  command_
      ->add_option("--timeout", flags_->timeout,
                   "Each network step's limit: 5s, 500ms, or whole seconds")
      ->check(CLI::Validator(
          [](const std::string& text) {
            return parse_timeout(text) ? std::string() : "expected a duration like 5s or 500ms";
          },
          "DURATION"))
      ->capture_default_str();
  command_->add_option("--parallel", flags_->options.parallel, "Checks running at once")
      ->check(CLI::Range(size_t{1}, kMaxParallel))
      ->capture_default_str();
}

DiagnoseCommand::~DiagnoseCommand() = default;

bool DiagnoseCommand::given() const { return command_->parsed(); }

std::optional<int> DiagnoseCommand::run() {
  if (!command_->parsed()) {
    return std::nullopt;
  }
  Options options = flags_->options;
  options.format = parse_format(flags_->format).value_or(Format::kText);  // checked by CLI11
  options.timeout = parse_timeout(flags_->timeout).value_or(options.timeout);
  // Colour only for a person at a terminal; https://no-color.org turns it off there too.
  const bool color = ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
  return run_diagnose(options, std::cout, color);
}

}  // namespace nexus::cli::diagnose

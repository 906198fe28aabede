#include "cli/cli.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/admin_commands.h"
#include "cli/diagnose/diagnose.h"
#include "cli/prices.h"
#include "control/config/loader.h"
#include "obs/logging.h"
#include "server/server.h"

#ifndef NEXUS_VERSION
#define NEXUS_VERSION "0.0.0-dev"
#endif

namespace nexus::cli {
namespace {

int serve(const std::string& config_path, const std::string& log_level) {
  auto config = control::load_config_file(config_path);
  if (!config) {
    std::cerr << "nexus: " << config.error().message() << "\n";
    return 1;
  }
  const std::string level = log_level.empty() ? config->logging.level : log_level;
  if (auto logging = obs::init_logging(level, config->logging.format); !logging) {
    std::cerr << "nexus: " << logging.error().message() << "\n";
    return 1;
  }
  auto result = server::run_server(std::move(*config));
  if (!result) {
    spdlog::error("{}", result.error().message());
  }
  obs::shutdown_logging();
  return result ? 0 : 1;
}

int validate(const std::string& config_path) {
  auto config = control::load_config_file(config_path);
  if (!config) {
    std::cerr << config.error().message() << "\n";
    return 1;
  }
  std::cout << config_path << ": OK (" << config->server.listen.size() << " listener(s), "
            << config->clusters.size() << " cluster(s), " << config->routes.size()
            << " route(s))\n";
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"Nexus: a fast, safe gateway for LLM providers and HTTP services", "nexus"};
  app.require_subcommand(1);
  std::string config_path;
  std::string log_level;

  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  serve_cmd->add_option("-c,--config", config_path, "YAML configuration file")->required();
  serve_cmd->add_option("--log-level", log_level,
                        "trace, debug, info, warn, error, critical or off (overrides the config)");

  auto* validate_cmd = app.add_subcommand("validate", "Check a configuration file and exit");
  validate_cmd->add_option("-c,--config", config_path, "YAML configuration file")->required();

  auto* version_cmd = app.add_subcommand("version", "Print the version and exit");
  AdminCommands admin_commands(app);
  diagnose::DiagnoseCommand diagnose_command(app);

  auto* prices_cmd = app.add_subcommand("prices", "The price table (docs/pricing.md)");
  prices_cmd->require_subcommand(1);
  auto* check_cmd = prices_cmd->add_subcommand(
      "check", "List the deployments without a price (exit 1 when there are any)");
  check_cmd->add_option("-c,--config", config_path, "YAML configuration file")->required();
  auto* list_cmd = prices_cmd->add_subcommand(
      "list", "Print the price table (the built-in one, or a config's with its overrides)");
  list_cmd->add_option("-c,--config", config_path, "YAML configuration file");

  try {  // CLI11 reports usage errors by exception; this is the process boundary
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    // diagnose's contract: 2 for a usage error (--help is not one).
    return diagnose_command.given() && status != 0 ? diagnose::kExitUsage : status;
  }
  if (*version_cmd) {
    std::cout << "nexus " << NEXUS_VERSION << "\n";
    return 0;
  }
  if (*validate_cmd) {
    return validate(config_path);
  }
  if (*check_cmd) {
    return prices_check(config_path);
  }
  if (*list_cmd) {
    return prices_list(config_path);
  }
  if (const std::optional<int> exit_code = diagnose_command.run()) {
    return *exit_code;
  }
  if (const std::optional<int> exit_code = admin_commands.run()) {
    return *exit_code;
  }
  return serve(config_path, log_level);
}

}  // namespace nexus::cli

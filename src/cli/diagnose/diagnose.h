// `nexus diagnose [--config FILE] [--format text|json|markdown] [--probe] [--timeout 5s]
// [--parallel N]`: checks what a gateway with this configuration depends on, locally (the config,
// storage, ports, fd limit, key pepper) and over the network (per cluster endpoint and provider:
// DNS, TCP connect, TLS and its certificate, and with --probe the provider's key), and prints a
// report (docs/observability.md, "Diagnose").
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "cli/diagnose/render.h"

namespace nexus::cli::diagnose {

// Exit statuses: 0 every check ok or warn, 1 some check failed, 2 a usage or config error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct Options {
  std::string config_path = "nexus.yaml";
  Format format = Format::kText;
  bool probe = false;                       // call each provider's model list with its key
  std::chrono::milliseconds timeout{5000};  // each network step
  size_t parallel = 16;                     // checks running at once
};

// Runs every check and writes the report to `out`; returns the exit status. A config that does
// not load is reported (with the checks that need none) and returns kExitUsage.
int run_diagnose(const Options& options, std::ostream& out, bool color);

// The subcommand's declaration and its run, for cli.cc.
class DiagnoseCommand {
 public:
  explicit DiagnoseCommand(CLI::App& app);  // adds `diagnose` to `app`
  ~DiagnoseCommand();
  DiagnoseCommand(const DiagnoseCommand&) = delete;
  DiagnoseCommand& operator=(const DiagnoseCommand&) = delete;

  // Whether argv names `diagnose`, also when its options failed to parse (usage errors exit 2).
  [[nodiscard]] bool given() const;
  // After parsing: the exit status of `nexus diagnose`, or nullopt when it was not given.
  std::optional<int> run();

 private:
  struct Flags;
  CLI::App* command_ = nullptr;
  std::unique_ptr<Flags> flags_;
};

}  // namespace nexus::cli::diagnose

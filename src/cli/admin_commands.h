// `nexus keys create|list|revoke|rotate` and `nexus usage`: commands that call the admin API
// over HTTP and print tables for people (or the API's JSON with --json, for scripts).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>

namespace nexus::cli {

class AdminCommands {
 public:
  // Adds the subcommands to `app`.
  explicit AdminCommands(CLI::App& app);
  ~AdminCommands();
  AdminCommands(const AdminCommands&) = delete;
  AdminCommands& operator=(const AdminCommands&) = delete;

  // After parsing: the exit code of the admin command that was given, or nullopt if none was.
  std::optional<int> run();

  struct Options;

 private:
  std::unique_ptr<Options> options_;
};

}  // namespace nexus::cli

// The `nexus` command line: serve, validate, version, prices check|list, diagnose, and the admin
// API's commands (keys, usage).
#pragma once

namespace nexus::cli {

// Parses argv, runs the chosen subcommand and returns the process exit code.
int run(int argc, char** argv);

}  // namespace nexus::cli

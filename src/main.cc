// The only file not linked into the tests.
#include "cli/cli.h"

int main(int argc, char** argv) { return nexus::cli::run(argc, argv); }

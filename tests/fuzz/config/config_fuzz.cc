// Fuzzes the YAML config loader (yaml-cpp parsing, interpolation, units, validation): any input
// must give a config or an error whose message names the source, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = nexus::control::load_config_text(text, "fuzz.yaml");
  if (!config && config.error().message().rfind("fuzz.yaml", 0) != 0) {
    std::abort();  // every error must name the file it came from
  }
  return 0;
}

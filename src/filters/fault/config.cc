#include "filters/fault/config.h"

#include "filters/fault/fault_filter.h"

namespace nexus::filters {
namespace {

Result<void> read_percentage(const Reader& r, const Field& map, double& out) {
  return r.read_number(map, "percentage", out, 0, 100);
}

}  // namespace

Result<std::shared_ptr<filter::FilterFactory>> parse_fault_filter(const Reader& r,
                                                                  const Field& field) {
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"delay", "abort", "header_control", "max_header_delay"}));
  FaultConfig config;
  if (Field delay = r.child(field, "delay"); delay.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(delay, {"duration", "percentage"}));
    NEXUS_CONFIG_TRY(r.require(r.child(delay, "duration")));
    FaultDelay& out = config.delay.emplace();
    NEXUS_CONFIG_TRY(r.read(delay, "duration", out.duration));
    NEXUS_CONFIG_TRY(read_percentage(r, delay, out.percentage));
  }
  if (Field abort = r.child(field, "abort"); abort.present) {
    NEXUS_CONFIG_TRY(r.check_mapping(abort, {"status", "percentage"}));
    FaultAbort& out = config.abort.emplace();
    if (Field status = r.child(abort, "status"); status.present) {
      auto value = r.integer(status, 200, 599);
      if (!value) {
        return std::unexpected(std::move(value.error()));
      }
      out.status = static_cast<int>(*value);
    }
    NEXUS_CONFIG_TRY(read_percentage(r, abort, out.percentage));
  }
  NEXUS_CONFIG_TRY(r.read(field, "header_control", config.header_control));
  NEXUS_CONFIG_TRY(r.read(field, "max_header_delay", config.max_header_delay));
  if (!config.delay && !config.abort && !config.header_control) {
    return r.error(field, "expected at least one of delay, abort and header_control");
  }
  return std::make_shared<FaultFactory>(config);
}

}  // namespace nexus::filters

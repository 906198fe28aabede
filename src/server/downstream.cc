#include "server/downstream.h"

namespace nexus::server {

void log_exchange(obs::AccessLog* log, Downstream& downstream, int status, const Error* error) {
  if (log == nullptr) {
    return;
  }
  const ExchangeState& state = downstream.state();
  const ExchangeRecord& record = downstream.record;
  obs::AccessRecord entry;
  entry.method = state.log_method;
  entry.target = state.log_target;
  entry.client = downstream.client_ip();
  entry.upstream = record.upstream_name != nullptr ? std::string_view(*record.upstream_name) : "";
  entry.error = error != nullptr ? error->code_name() : std::string_view{};
  entry.status = status;
  entry.bytes_received = record.body_bytes_received;
  entry.bytes_sent = record.bytes_sent;
  entry.duration_ms =
      std::chrono::duration<double, std::milli>(ExchangeRecord::Clock::now() - record.start)
          .count();
  entry.upstream_duration_ms = record.upstream_ms;
  log->write(entry);
}

}  // namespace nexus::server

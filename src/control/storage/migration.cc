#include "control/storage/migration.h"

#include <string>

namespace nexus::storage {

std::string migration_operation(const Migration& migration) {
  std::string operation = "schema migration ";
  operation += std::to_string(migration.version);
  operation += " (";
  operation += migration.what;
  operation += ")";
  return operation;
}

std::unexpected<Error> newer_than_binary(int64_t version, int64_t known) {
  std::string message = "the database's schema is at version ";
  message += std::to_string(version);
  message += ", newer than this binary's (";
  message += std::to_string(known);
  message += "): it was written by a later Nexus; run that version or restore a backup";
  return fail(ErrorCode::kInvalidConfig, std::move(message));
}

}  // namespace nexus::storage

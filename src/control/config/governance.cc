// The `governance` section: virtual keys, budgets and the usage ledger (docs/governance.md).
#include <array>

#include "control/config/sections.h"
#include "governance/periods.h"

namespace nexus::control::config_internal {
namespace {

bool is_postgres_url(std::string_view store) {
  return store.starts_with("postgres://") || store.starts_with("postgresql://");
}

}  // namespace

Result<void> parse_governance(const Reader& r, const Field& field, config::Governance& out) {
  if (!field.present) {
    return {};
  }
  out.enabled = true;
  if (field.node.IsNull()) {
    return {};  // `governance:` alone: every default
  }
  NEXUS_CONFIG_TRY(
      r.check_mapping(field, {"store", "pepper_file", "time_zone", "default_max_tokens",
                              "key_refresh", "ledger_queue", "ledger_batch", "admin"}));
  if (const Field store = r.child(field, "store"); store.present) {
    auto text = r.string(store);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    if (text->starts_with("sqlite:") && text->size() > 7) {
      out.store = "sqlite:" + r.resolve_path(text->substr(7));
    } else if (is_postgres_url(*text)) {
      out.store = std::move(*text);  // libpq reads it as is (it may hold a password)
    } else {
      return r.error(store,
                     "expected sqlite:<path to the database file> or "
                     "postgres://<user>:<password>@<host>:<port>/<database>");
    }
  }
  const Field pepper = r.child(field, "pepper_file");
  if (pepper.present) {
    auto path = r.readable_file(pepper);
    if (!path) {
      return std::unexpected(std::move(path.error()));
    }
    out.pepper_file = std::move(*path);
  } else if (is_postgres_url(out.store)) {
    // A generated pepper lives next to a SQLite file; instances sharing a PostgreSQL store must
    // hash keys with one pepper, so it is theirs to provide.
    return r.error(field.line, join_path(field.path, "pepper_file"),
                   "required with a postgres store (every instance sharing it must use the same "
                   "pepper: a file of at least 16 random characters)");
  }
  if (const Field zone = r.child(field, "time_zone"); zone.present) {
    auto name = r.string(zone);
    if (!name) {
      return std::unexpected(std::move(name.error()));
    }
    if (auto loaded = governance::TimeZone::load(*name); !loaded) {
      return r.error(zone, loaded.error().message());
    }
    out.time_zone = std::move(*name);
  }
  NEXUS_CONFIG_TRY(
      r.read_integer(field, "default_max_tokens", out.default_max_tokens, 1, 10'000'000));
  NEXUS_CONFIG_TRY(r.read(field, "key_refresh", out.key_refresh));
  if (out.key_refresh.count() < 100) {
    return r.error(r.child(field, "key_refresh"), "expected at least 100ms");
  }
  NEXUS_CONFIG_TRY(r.read_integer(field, "ledger_queue", out.ledger_queue, 1, 10'000'000));
  NEXUS_CONFIG_TRY(r.read_integer(field, "ledger_batch", out.ledger_batch, 1, 100'000));
  const Field admin = r.child(field, "admin");
  if (!admin.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(admin, {"listen", "key_sha256"}));
  NEXUS_CONFIG_TRY(r.require(r.child(admin, "listen")));
  NEXUS_CONFIG_TRY(parse_listener(r, r.child(admin, "listen"), out.admin.listen.emplace()));
  const Field key = r.child(admin, "key_sha256");
  NEXUS_CONFIG_TRY(r.require(key));
  auto hex = r.string(key);
  if (!hex) {
    return std::unexpected(std::move(hex.error()));
  }
  // Empty (an unset variable): no admin key; only users' virtual keys with an admin role.
  if (!hex->empty() && (hex->size() != 64 ||
                        hex->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
    return r.error(
        key, "expected the admin key's SHA-256 as 64 hex digits (printf %s \"$KEY\" | sha256sum)");
  }
  out.admin.key_sha256 = std::move(*hex);
  return {};
}

}  // namespace nexus::control::config_internal

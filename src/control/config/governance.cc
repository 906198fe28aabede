// The `governance` section: virtual keys, budgets and the usage ledger (docs/governance.md).
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <utility>

#include "control/config/sections.h"
#include "governance/periods.h"

namespace nexus::control::config_internal {
namespace {

bool is_postgres_url(std::string_view store) {
  return store.starts_with("postgres://") || store.starts_with("postgresql://");
}

// A number from 0 to `max`, all digits.
std::optional<uint64_t> number_of(std::string_view text, uint64_t max) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

// redis://[[user]:password@]host[:port][/db], read by Boost.URL (user and password may be
// percent-encoded); the error says what is wrong.
Result<config::Governance::Redis> parse_redis_url(std::string_view text) {
  auto bad = [](std::string_view why) {
    return fail(ErrorCode::kInvalidConfig,
                std::string("expected redis://[:password@]host[:port][/db]: ") + std::string(why));
  };
  const auto url = boost::urls::parse_uri(text);
  if (!url) {
    // Boost.URL says only that the grammar failed; a bad escape is the likely slip worth naming.
    if (!boost::urls::make_pct_string_view(text)) {
      return bad("a bad %-escape (% must be followed by two hex digits)");
    }
    return bad("not a URL");
  }
  if (url->scheme() != "redis") {
    return bad("the scheme must be redis:// (TLS is not supported)");
  }
  if (!url->has_authority() || url->host_address().empty()) {
    return bad("no host");
  }
  if (url->has_query() || url->has_fragment()) {
    return bad("text after the host (a query or fragment)");
  }
  config::Governance::Redis out;
  out.host = url->host_address();
  if (url->has_userinfo()) {
    out.username = url->user();
    out.password = url->password();
    if (!url->has_password()) {
      out.password = std::exchange(out.username, {});  // redis://secret@host: the password alone
    }
  }
  if (url->has_port()) {
    const auto port = number_of(url->port(), 65535);
    if (!port || *port == 0) {
      return bad("the port must be a number from 1 to 65535");
    }
    out.port = static_cast<uint16_t>(*port);
  }
  if (std::string_view db = url->encoded_path(); !db.empty()) {
    db.remove_prefix(1);  // an authority's path is empty or starts with '/'
    const auto value = number_of(db, 1'000'000);
    if (!db.empty() && !value) {
      return bad("the database (after /) must be a number");
    }
    out.db = static_cast<uint32_t>(value.value_or(0));
  }
  out.display = "redis://" +
                (out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host) + ":" +
                std::to_string(out.port) + "/" + std::to_string(out.db);
  return out;
}

Result<void> parse_redis(const Reader& r, const Field& field, config::Governance& out) {
  if (const Field url = r.child(field, "redis"); url.present) {
    auto text = r.string(url);
    if (!text) {
      return std::unexpected(std::move(text.error()));
    }
    auto redis = parse_redis_url(*text);
    if (!redis) {
      return r.error(url, redis.error().message());
    }
    out.redis = std::move(*redis);
  }
  NEXUS_CONFIG_TRY(r.read(field, "redis_timeout", out.redis_timeout));
  if (out.redis_timeout.count() < 1 || out.redis_timeout.count() > 60'000) {
    return r.error(r.child(field, "redis_timeout"), "expected from 1ms to 60s");
  }
  NEXUS_CONFIG_TRY(r.read(field, "redis_lease", out.redis_lease));
  if (out.redis_lease.count() < 1000) {
    return r.error(r.child(field, "redis_lease"), "expected at least 1s");
  }
  if (const Field policy = r.child(field, "rate_limits_without_redis"); policy.present) {
    static constexpr std::array<std::string_view, 2> kChoices{"closed", "open"};
    auto choice = r.one_of(policy, kChoices);
    if (!choice) {
      return std::unexpected(std::move(choice.error()));
    }
    out.rate_limits_without_redis =
        *choice == "open" ? config::Governance::Outage::kOpen : config::Governance::Outage::kClosed;
  }
  return {};
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
  NEXUS_CONFIG_TRY(r.check_mapping(
      field, {"store", "pepper_file", "time_zone", "default_max_tokens", "key_refresh",
              "ledger_queue", "ledger_batch", "redis", "redis_timeout", "redis_lease",
              "rate_limits_without_redis", "admin"}));
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
  NEXUS_CONFIG_TRY(parse_redis(r, field, out));
  const Field admin = r.child(field, "admin");
  if (!admin.present) {
    return {};
  }
  NEXUS_CONFIG_TRY(r.check_mapping(admin, {"listen", "key_sha256", "jwt"}));
  NEXUS_CONFIG_TRY(r.require(r.child(admin, "listen")));
  NEXUS_CONFIG_TRY(parse_listener(r, r.child(admin, "listen"), out.admin.listen.emplace()));
  const Field jwt = r.child(admin, "jwt");
  if (jwt.present) {
    NEXUS_CONFIG_TRY(parse_admin_jwt(r, jwt, out.admin.jwt.emplace()));
  }
  const Field key = r.child(admin, "key_sha256");
  if (!key.present && jwt.present) {
    return {};  // callers bring a JWT or a user's virtual key; there is no admin key
  }
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

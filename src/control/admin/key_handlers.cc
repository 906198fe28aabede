// Virtual keys: created with their secret shown once, listed by prefix, rotated with a grace
// period, revoked.
#include "control/admin/handlers.h"
#include "control/admin/time_text.h"
#include "core/cidr.h"
#include "governance/key_secret.h"

namespace nexus::control::admin {
namespace {

using governance::Page;
using governance::VirtualKey;

constexpr size_t kMaxMetadata = size_t{16} * 1024;
constexpr int64_t kMaxGraceSeconds = int64_t{366} * 86400;

ApiResult<void> read_allowed_ips(const FieldReader& fields, VirtualKey& key) {
  auto ips = fields.strings("allowed_ips");
  if (!ips) {
    return std::unexpected(ips.error());
  }
  std::optional<std::vector<std::string>>& list = *ips;
  if (!list) {
    return {};
  }
  for (size_t i = 0; i < list->size(); ++i) {
    if (auto range = parse_cidr((*list)[i]); !range) {
      return std::unexpected(
          bad_request(fields.path("allowed_ips") + "[" + std::to_string(i) + "]", range.error()));
    }
  }
  key.allowed_ips = std::move(*list);
  return {};
}

ApiResult<void> read_metadata(const FieldReader& fields, VirtualKey& key) {
  const json::value* metadata = fields.find("metadata");
  if (metadata == nullptr) {
    return {};
  }
  if (metadata->is_null()) {
    key.metadata = "{}";
    return {};
  }
  if (!metadata->is_object()) {
    return std::unexpected(bad_request("metadata", "expected an object (tags and metadata)"));
  }
  std::string text = to_text(*metadata);
  if (text.size() > kMaxMetadata) {
    return std::unexpected(bad_request("metadata", "at most 16 KiB of JSON"));
  }
  key.metadata = std::move(text);
  return {};
}

// What every key body may carry besides its placement: name, models, addresses, metadata,
// expiry and controls.
ApiResult<void> read_key_settings(const Context& context, const FieldReader& fields,
                                  VirtualKey& key) {
  if (auto renamed = read_new_name(fields, "name", key.name); !renamed) {
    return renamed;
  }
  auto models = fields.strings("allowed_models");
  auto expires_at = fields.time("expires_at");
  if (!models || !expires_at) {
    return std::unexpected(!models ? models.error() : expires_at.error());
  }
  if (std::optional<std::vector<std::string>>& list = *models; list) {
    key.allowed_models = std::move(*list);
  }
  if (const std::optional<UnixMillis>& expiry = *expires_at; expiry) {
    if (*expiry != 0 && *expiry <= context.now) {
      return std::unexpected(bad_request("expires_at", "must be in the future"));
    }
    key.expires_at = *expiry;
  }
  if (auto ips = read_allowed_ips(fields, key); !ips) {
    return ips;
  }
  if (auto metadata = read_metadata(fields, key); !metadata) {
    return metadata;
  }
  return read_controls(fields, key.controls);
}

// Sets the key's organization, team and user from the body's org_id, team_id and user_id (a
// user fixes the team and organization; a team the organization), defaulting to the caller's.
ApiResult<void> place_key(const Context& context, const FieldReader& fields, VirtualKey& key) {
  auto org_id = fields.string("org_id");
  auto team_id = fields.string("team_id");
  auto user_id = fields.string("user_id");
  if (!org_id || !team_id || !user_id) {
    return std::unexpected(!org_id ? org_id.error() : !team_id ? team_id.error() : user_id.error());
  }
  key.org_id = org_id->value_or("");
  key.team_id = team_id->value_or("");
  key.user_id = user_id->value_or("");
  if (key.user_id.empty() && context.caller.role == Role::kMember) {
    key.user_id = context.caller.user_id;  // a member's keys are its own
  }
  if (!key.user_id.empty()) {
    auto user = context.store.get_user(key.user_id);
    if (!user) {
      return std::unexpected(store_failure(user.error()));
    }
    const std::optional<governance::User>& owner = *user;
    if (!owner) {
      return std::unexpected(bad_request("user_id", "user '" + key.user_id + "' does not exist"));
    }
    if ((!key.org_id.empty() && key.org_id != owner->org_id) ||
        (!key.team_id.empty() && key.team_id != owner->team_id)) {
      return std::unexpected(bad_request("user_id", "the user is in another organization or team"));
    }
    key.org_id = owner->org_id;
    key.team_id = owner->team_id;
    return {};
  }
  if (!key.team_id.empty()) {
    auto team = context.store.get_team(key.team_id);
    if (!team) {
      return std::unexpected(store_failure(team.error()));
    }
    const std::optional<governance::Team>& found = *team;
    if (!found || (!key.org_id.empty() && key.org_id != found->org_id)) {
      return std::unexpected(
          bad_request("team_id", "no team '" + key.team_id + "' in the key's organization"));
    }
    key.org_id = found->org_id;
    return {};
  }
  if (key.org_id.empty()) {
    key.org_id = context.caller.org_id;
  }
  if (key.org_id.empty()) {
    return std::unexpected(bad_request("org_id", "required: the key's organization"));
  }
  auto org = context.store.get_org(key.org_id);
  if (!org) {
    return std::unexpected(store_failure(org.error()));
  }
  if (!*org) {
    return std::unexpected(
        bad_request("org_id", "organization '" + key.org_id + "' does not exist"));
  }
  return {};
}

// A new secret for `key`: its hash and prefix are set; the secret is returned, once.
std::string new_secret(const Context& context, VirtualKey& key) {
  std::string secret = governance::generate_key_secret();
  key.hash = governance::hash_key_secret(context.settings.credentials.pepper, secret);
  key.prefix = std::string(governance::key_display_prefix(secret));
  return secret;
}

json::object key_detail(const VirtualKey& key, UnixMillis now) {
  json::object detail = key_json(key, now);
  detail.erase("status");
  return detail;
}

}  // namespace

ApiResult<Reply> list_keys(const Context& context) {
  auto page = page_of(context.request);
  if (!page) {
    return std::unexpected(page.error());
  }
  const std::string org_id = listed_org_id(context);
  const std::string team_id = query_value(context.request, "team_id");
  const std::string user_id = query_value(context.request, "user_id");
  const auto keep = [&](const VirtualKey& key) {
    return (team_id.empty() || key.team_id == team_id) &&
           (user_id.empty() || key.user_id == user_id) &&
           allowed(context.caller, Resource::kKey, Access::kRead, owner_of(key));
  };
  auto keys = collect<VirtualKey>(
      [&](const Page& from) { return context.store.list_keys(org_id, from); }, keep, *page);
  if (!keys) {
    return std::unexpected(keys.error());
  }
  return list_reply(*keys,
                    [&context](const VirtualKey& key) { return key_json(key, context.now); });
}

ApiResult<Reply> create_key(const Context& context) {
  auto body = body_with_only(
      context.request, {"name", "org_id", "team_id", "user_id", "allowed_models", "allowed_ips",
                        "metadata", "expires_at", "limits", "model_limits", "budget"});
  if (!body) {
    return std::unexpected(body.error());
  }
  const FieldReader fields(*body, "");
  VirtualKey key{.id = governance::generate_id("key"), .metadata = "{}", .created_at = context.now};
  auto name = required_name(fields, "name");
  if (!name) {
    return std::unexpected(name.error());
  }
  if (auto placed = place_key(context, fields, key); !placed) {
    return std::unexpected(placed.error());
  }
  if (auto refused = require(context.caller, Resource::kKey, Access::kWrite, owner_of(key));
      !refused) {
    return std::unexpected(refused.error());
  }
  if (auto read = read_key_settings(context, fields, key); !read) {
    return std::unexpected(read.error());
  }
  const std::string secret = new_secret(context, key);
  if (auto put = context.store.put_key(key); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  json::object out = key_json(key, context.now);
  out["key"] = secret;  // the only time the secret is shown
  return Reply{.status = 201,
               .body = out,
               .action = "key.create",
               .target = key.id,
               .detail = audit_detail(key.org_id, key_detail(key, context.now))};
}

ApiResult<Reply> get_key(const Context& context) {
  auto key = accessible_key(context, Access::kRead);
  if (!key) {
    return std::unexpected(key.error());
  }
  return Reply{.status = 200, .body = key_json(*key, context.now)};
}

ApiResult<Reply> update_key(const Context& context) {
  auto key = accessible_key(context, Access::kWrite);
  if (!key) {
    return std::unexpected(key.error());
  }
  auto body = body_with_only(context.request, {"name", "allowed_models", "allowed_ips", "metadata",
                                               "expires_at", "limits", "model_limits", "budget"});
  if (!body) {
    return std::unexpected(body.error());
  }
  const FieldReader fields(*body, "");
  if (auto read = read_key_settings(context, fields, *key); !read) {
    return std::unexpected(read.error());
  }
  if (auto put = context.store.put_key(*key); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  return Reply{.status = 200,
               .body = key_json(*key, context.now),
               .action = "key.update",
               .target = key->id,
               .detail = audit_detail(key->org_id, *body)};
}

ApiResult<Reply> revoke_key(const Context& context) {
  auto key = accessible_key(context, Access::kWrite);
  if (!key) {
    return std::unexpected(key.error());
  }
  if (key->revoked_at != 0 && key->revoked_at <= context.now) {
    return std::unexpected(conflict("the key is already revoked"));
  }
  key->revoked_at = context.now;
  // Revocation ends every secret of the key, the one a rotation replaced too.
  key->previous_hash.clear();
  key->previous_valid_until = 0;
  if (auto put = context.store.put_key(*key); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  return Reply{.status = 200,
               .body = key_json(*key, context.now),
               .action = "key.revoke",
               .target = key->id,
               .detail = audit_detail(key->org_id, {{"prefix", key->prefix}})};
}

ApiResult<Reply> rotate_key(const Context& context) {
  auto key = accessible_key(context, Access::kWrite);
  if (!key) {
    return std::unexpected(key.error());
  }
  auto body = body_with_only(context.request, {"grace_period"});
  if (!body) {
    return std::unexpected(body.error());
  }
  auto grace = FieldReader(*body, "").count("grace_period", kMaxGraceSeconds);
  if (!grace) {
    return std::unexpected(grace.error());
  }
  // A future revoked_at is a key an older Nexus rotated into a new one: it is on its way out.
  if (key->revoked_at != 0) {
    return std::unexpected(conflict("the key is revoked or scheduled to be revoked"));
  }
  if (key->expires_at != 0 && key->expires_at <= context.now) {
    return std::unexpected(conflict("the key has expired: create a new one"));
  }
  // Same id, so the key's counters, budget and ledger rows go on; only the secret changes. The
  // secret being replaced lasts the grace period; a secret replaced earlier (a second rotation
  // within a grace period) dies now: a key has at most two secrets.
  const auto grace_seconds = static_cast<int64_t>(grace->value_or(0));  // <= kMaxGraceSeconds
  key->previous_hash = key->hash;
  key->previous_valid_until = context.now + grace_seconds * UnixMillis{1000};
  const std::string previous_prefix = key->prefix;
  const std::string secret = new_secret(context, *key);
  if (auto put = context.store.put_key(*key); !put) {
    return std::unexpected(store_failure(put.error()));
  }
  json::object out = key_json(*key, context.now);
  out["key"] = secret;  // the only time the secret is shown
  json::object detail{{"prefix", key->prefix},
                      {"previous_prefix", previous_prefix},
                      {"grace_period", grace_seconds}};
  return Reply{.status = 200,
               .body = out,
               .action = "key.rotate",
               .target = key->id,
               .detail = audit_detail(key->org_id, detail)};
}

}  // namespace nexus::control::admin

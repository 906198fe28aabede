#include "cli/admin_commands.h"

#include <boost/json.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <utility>

#include "cli/admin_client.h"
#include "control/admin/json_io.h"
#include "control/admin/time_text.h"

namespace nexus::cli {

namespace json = boost::json;

struct AdminCommands::Options {
  std::string url = "http://127.0.0.1:8081";
  std::string key;
  bool json = false;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* revoke = nullptr;
  CLI::App* rotate = nullptr;
  CLI::App* usage = nullptr;
  // keys create, and the filters of keys list and usage
  std::string name, org, team, user, key_id, models, ips, expires, budget, period = "monthly";
  // keys revoke / rotate
  std::string id, grace;
  // usage
  std::string group_by = "day", from, to;
};

namespace {

constexpr int kMaxPages = 1000;

using Options = AdminCommands::Options;

void add_connection_options(CLI::App* command, Options& options) {
  command->add_option("--admin-url", options.url, "The admin API's base URL")
      ->capture_default_str();
  command->add_option("--admin-key", options.key,
                      "The admin key or a virtual key (default: $NEXUS_ADMIN_KEY)");
  command->add_flag("--json", options.json, "Print the API's JSON instead of a table");
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) {
      items.push_back(text.substr(start, comma - start));
    }
    start = comma + 1;
  }
  return items;
}

// "param: message" of an OpenAI-shaped error body (the body itself if it is not one).
std::string error_text(const json::value& body) {
  const json::value* error = body.is_object() ? body.get_object().if_contains("error") : nullptr;
  if (error == nullptr || !error->is_object()) {
    return control::admin::to_text(body);
  }
  const json::object& fields = error->get_object();
  std::string text;
  if (const auto* param = fields.if_contains("param"); param != nullptr && param->is_string()) {
    text += param->get_string();
    text += ": ";
  }
  const auto* message = fields.if_contains("message");
  text += message != nullptr && message->is_string() ? std::string(message->get_string())
                                                     : control::admin::to_text(body);
  return text;
}

// A called API's JSON, or nullopt after printing why not (connection, status, body).
std::optional<json::value> call(const Options& options, std::string_view method,
                                const std::string& target, const std::string& body) {
  const AdminCall spec{
      .base_url = options.url, .key = options.key, .timeout = std::chrono::seconds(30)};
  auto reply = call_admin(spec, method, target, body);
  if (!reply) {
    std::cerr << "nexus: cannot reach the admin API at " << options.url << ": "
              << reply.error().message() << "\n";
    return std::nullopt;
  }
  boost::system::error_code error;
  json::value parsed = json::parse(reply->body, error);
  if (reply->status >= 300) {
    std::cerr << "nexus: " << (error ? reply->body : error_text(parsed)) << " (HTTP "
              << reply->status << ")\n";
    return std::nullopt;
  }
  if (error) {
    std::cerr << "nexus: the admin API answered something other than JSON\n";
    return std::nullopt;
  }
  return parsed;
}

std::string text_of(const json::value* value) {
  if (value == nullptr || value->is_null()) {
    return "-";
  }
  if (value->is_string()) {
    return std::string(value->get_string());
  }
  return control::admin::to_text(*value);
}

// Prints rows as aligned columns, the header first.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    std::cout << line << "\n";
  }
}

// Every page of a list, following `next`; nullopt after a failed call.
std::optional<json::array> all_pages(const Options& options, boost::urls::url target) {
  json::array data;
  for (int page = 0; page < kMaxPages; ++page) {
    auto reply = call(options, "GET", std::string(target.buffer()), "");
    if (!reply || !reply->is_object()) {
      return std::nullopt;
    }
    const json::object& body = reply->get_object();
    if (const auto* items = body.if_contains("data"); items && items->is_array()) {
      data.insert(data.end(), items->get_array().begin(), items->get_array().end());
    }
    const json::value* next = body.if_contains("next");
    if (next == nullptr || !next->is_string()) {
      break;
    }
    target.params().set("after", next->get_string());
  }
  return data;
}

// Prints a called API's reply as its JSON; 0.
int print_json(const json::value& reply) {
  std::cout << control::admin::to_text(reply) << "\n";
  return 0;
}

// Prints every page of the list at `target`: {"data": [...]} with --json, else a table with a
// column per field of `columns` (header, field name).
int print_list(const Options& options, const boost::urls::url& target,
               std::initializer_list<std::pair<std::string_view, std::string_view>> columns) {
  auto items = all_pages(options, target);
  if (!items) {
    return 1;
  }
  if (options.json) {
    return print_json(json::object{{"data", *items}});
  }
  std::vector<std::vector<std::string>> rows(1);
  for (const auto& [header, field] : columns) {
    rows.front().emplace_back(header);
  }
  for (const json::value& item : *items) {
    const json::object& object = item.get_object();
    std::vector<std::string>& row = rows.emplace_back();
    for (const auto& [header, field] : columns) {
      row.push_back(text_of(object.if_contains(field)));
    }
  }
  print_table(rows);
  return 0;
}

// Shows a new secret, the one time it is shown.
void print_secret(const json::object& key) {
  std::cout << "\n\n  " << text_of(key.if_contains("key"))
            << "\n\nKeep it now: it is stored only as a hash and will not be shown again.\n";
}

void add_filter(boost::urls::url& target, std::string_view name, const std::string& value) {
  if (!value.empty()) {
    target.params().append({name, value});
  }
}

int keys_create(const Options& options) {
  json::object body{{"name", options.name}};
  for (const auto& [field, value] :
       {std::pair{"org_id", &options.org}, std::pair{"team_id", &options.team},
        std::pair{"user_id", &options.user}}) {
    if (!value->empty()) {
      body[field] = *value;
    }
  }
  if (!options.models.empty()) {
    const auto models = split_list(options.models);
    body["allowed_models"] = json::array(models.begin(), models.end());
  }
  if (!options.ips.empty()) {
    const auto ips = split_list(options.ips);
    body["allowed_ips"] = json::array(ips.begin(), ips.end());
  }
  if (!options.expires.empty()) {
    const auto seconds = control::admin::parse_duration_seconds(options.expires);
    if (!seconds || *seconds == 0) {
      std::cerr << "nexus: --expires: expected a duration such as 30d, 12h or 90m\n";
      return 2;
    }
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    body["expires_at"] = control::admin::format_time((now / 1000 + *seconds) * 1000);
  }
  if (!options.budget.empty()) {
    char* end = nullptr;
    const double usd = std::strtod(options.budget.c_str(), &end);
    if (end == options.budget.c_str() || *end != '\0' || usd <= 0) {
      std::cerr << "nexus: --budget: expected an amount of USD such as 10 or 2.5\n";
      return 2;
    }
    body["budget"] = json::object{{"hard_usd", usd}, {"period", options.period}};
  }
  auto reply = call(options, "POST", "/admin/v1/keys", control::admin::to_text(body));
  if (!reply) {
    return 1;
  }
  if (options.json) {
    return print_json(*reply);
  }
  const json::object& key = reply->get_object();
  std::cout << "Created key " << text_of(key.if_contains("id")) << " ("
            << text_of(key.if_contains("name")) << ").";
  print_secret(key);
  return 0;
}

int keys_list(const Options& options) {
  boost::urls::url target("/admin/v1/keys");
  target.params().append({"limit", "1000"});
  add_filter(target, "org_id", options.org);
  add_filter(target, "team_id", options.team);
  add_filter(target, "user_id", options.user);
  return print_list(options, target,
                    {{"ID", "id"},
                     {"PREFIX", "prefix"},
                     {"NAME", "name"},
                     {"STATUS", "status"},
                     {"USER", "user_id"},
                     {"TEAM", "team_id"},
                     {"EXPIRES", "expires_at"}});
}

// "/admin/v1/keys/<id>/<action>", the id percent-encoded.
std::string key_action(const std::string& id, std::string_view action) {
  boost::urls::url target("/admin/v1/keys");
  target.segments().push_back(id);
  target.segments().push_back(action);
  return std::string(target.buffer());
}

int keys_revoke(const Options& options) {
  auto reply = call(options, "POST", key_action(options.id, "revoke"), "");
  if (!reply) {
    return 1;
  }
  if (options.json) {
    return print_json(*reply);
  }
  std::cout << "Revoked key " << options.id << ".\n";
  return 0;
}

int keys_rotate(const Options& options) {
  json::object body;
  if (!options.grace.empty()) {
    const auto seconds = control::admin::parse_duration_seconds(options.grace);
    if (!seconds) {
      std::cerr << "nexus: --grace: expected a duration such as 1h, 30m or 0\n";
      return 2;
    }
    body["grace_period"] = *seconds;
  }
  auto reply =
      call(options, "POST", key_action(options.id, "rotate"), control::admin::to_text(body));
  if (!reply) {
    return 1;
  }
  if (options.json) {
    return print_json(*reply);
  }
  const json::object& key = reply->get_object();
  // The id stays; previous_valid_until is null when the grace period was 0.
  const json::value* until = key.if_contains("previous_valid_until");
  std::cout << "Rotated key " << text_of(key.if_contains("id")) << ": a new secret; the old one ";
  if (until == nullptr || until->is_null()) {
    std::cout << "no longer works";
  } else {
    std::cout << "works until " << text_of(until);
  }
  std::cout << ".";
  print_secret(key);
  return 0;
}

int usage(const Options& options) {
  boost::urls::url target("/admin/v1/usage");
  target.params().append({"group_by", options.group_by});
  target.params().append({"limit", "1000"});
  add_filter(target, "from", options.from);
  add_filter(target, "to", options.to);
  add_filter(target, "org_id", options.org);
  add_filter(target, "team_id", options.team);
  add_filter(target, "user_id", options.user);
  add_filter(target, "key_id", options.key_id);
  return print_list(options, target,
                    {{"GROUP", "group"},
                     {"REQUESTS", "requests"},
                     {"INPUT TOKENS", "input_tokens"},
                     {"OUTPUT TOKENS", "output_tokens"},
                     {"COST (USD)", "cost_usd"}});
}

}  // namespace

AdminCommands::AdminCommands(CLI::App& app) : options_(std::make_unique<Options>()) {
  Options& options = *options_;
  auto* keys = app.add_subcommand("keys", "Manage virtual keys through the admin API");
  keys->require_subcommand(1);
  options.create = keys->add_subcommand("create", "Create a key; its secret is printed once");
  options.create->add_option("--name", options.name, "A name for the key")->required();
  options.create->add_option("--org", options.org, "Its organization (default: yours)");
  options.create->add_option("--team", options.team, "Its team");
  options.create->add_option("--user", options.user, "Its user (sets the team and organization)");
  options.create->add_option("--models", options.models, "Allowed models, comma-separated");
  options.create->add_option("--ips", options.ips, "Allowed addresses or CIDR ranges");
  options.create->add_option("--expires", options.expires, "Lifetime: 30d, 12h, 90m");
  options.create->add_option("--budget", options.budget, "A hard budget in USD");
  options.create->add_option("--period", options.period, "daily, weekly, monthly or total")
      ->capture_default_str();
  options.list = keys->add_subcommand("list", "List keys (never their secrets)");
  options.list->add_option("--org", options.org, "Only this organization's");
  options.list->add_option("--team", options.team, "Only this team's");
  options.list->add_option("--user", options.user, "Only this user's");
  options.revoke = keys->add_subcommand("revoke", "Revoke a key now");
  options.revoke->add_option("id", options.id, "The key's id (key_...)")->required();
  options.rotate =
      keys->add_subcommand("rotate", "A new secret, same key; the old secret lasts --grace");
  options.rotate->add_option("id", options.id, "The key's id (key_...)")->required();
  options.rotate->add_option("--grace", options.grace, "How long the old secret works: 1h, 0");
  options.usage = app.add_subcommand("usage", "Usage and spend through the admin API");
  options.usage->add_option("--group-by", options.group_by, "key, user, team, org, model or day")
      ->capture_default_str();
  options.usage->add_option("--from", options.from, "From this time or date (RFC 3339)");
  options.usage->add_option("--to", options.to, "Until this time or date, exclusive");
  options.usage->add_option("--org", options.org, "Only this organization's");
  options.usage->add_option("--team", options.team, "Only this team's");
  options.usage->add_option("--user", options.user, "Only this user's");
  options.usage->add_option("--key", options.key_id, "Only this key's");
  for (CLI::App* command :
       {options.create, options.list, options.revoke, options.rotate, options.usage}) {
    add_connection_options(command, options);
  }
}

AdminCommands::~AdminCommands() = default;

std::optional<int> AdminCommands::run() {
  Options& options = *options_;
  const bool chosen =
      *options.create || *options.list || *options.revoke || *options.rotate || *options.usage;
  if (!chosen) {
    return std::nullopt;
  }
  if (options.key.empty()) {
    if (const char* key = std::getenv("NEXUS_ADMIN_KEY"); key != nullptr) {
      options.key = key;
    }
  }
  if (options.key.empty()) {
    std::cerr << "nexus: no key for the admin API: pass --admin-key or set NEXUS_ADMIN_KEY\n";
    return 2;
  }
  if (*options.create) {
    return keys_create(options);
  }
  if (*options.list) {
    return keys_list(options);
  }
  if (*options.revoke) {
    return keys_revoke(options);
  }
  if (*options.rotate) {
    return keys_rotate(options);
  }
  return usage(options);
}

}  // namespace nexus::cli

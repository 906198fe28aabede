// A real SQLite store in a temporary directory behind an AdminApi with a hand-moved clock: what
// the admin API's tests call, as a client would, without sockets.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "control/admin/admin_api.h"
#include "control/admin/time_text.h"
#include "core/encoding.h"
#include "governance/periods.h"
#include "governance/store.h"

namespace nexus::control::admin::testing {

namespace json = boost::json;

inline constexpr std::string_view kAdminKey = "the-admin-key-for-tests";
inline constexpr std::string_view kPepper = "pepper-for-tests";

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "nexus-admin-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = governance::open_sqlite_store((dir_ / "nexus.db").string());
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    auto zone = governance::TimeZone::load("UTC");
    ASSERT_TRUE(zone) << zone.error().message();
    const Sha256 admin_hash = sha256(kAdminKey);
    AdminSettings settings{
        .credentials = {.pepper = std::string(kPepper),
                        .admin_key_sha256 = to_hex(admin_hash.data(), admin_hash.size())},
        .time_zone = *zone};
    configure(settings);
    api_ = std::make_unique<AdminApi>(
        *store_, std::move(settings), [this] { return now_; }, [this] { ++changes_; });
  }

  // Called by SetUp before the API is made (dir_ exists by then): fixtures add to the settings.
  virtual void configure(AdminSettings& settings) {}

  void TearDown() override {
    api_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  AdminResponse call(std::string_view method, std::string_view target, std::string_view body,
                     std::string_view key, std::string_view ip = "127.0.0.1") {
    AdminRequest request;
    request.method = std::string(method);
    EXPECT_TRUE(parse_target(target, request)) << target;
    request.body = std::string(body);
    request.bearer = std::string(key);
    request.client_ip = std::string(ip);
    return api_->handle(request);
  }

  // The JSON of a call that must answer `status`.
  json::value expect(int status, std::string_view method, std::string_view target,
                     std::string_view body = "", std::string_view key = kAdminKey) {
    const AdminResponse response = call(method, target, body, key);
    EXPECT_EQ(response.status, status) << method << " " << target << " " << body << "\n"
                                       << response.body;
    boost::system::error_code error;
    json::value parsed = json::parse(response.body, error);
    EXPECT_FALSE(error) << response.body;
    return parsed;
  }

  std::string create(std::string_view target, std::string_view body,
                     std::string_view key = kAdminKey) {
    const json::value created = expect(201, "POST", target, body, key);
    if (!created.is_object() || !created.as_object().contains("id")) {
      return {};
    }
    return std::string(created.at("id").as_string());
  }

  // A user of `org` (and `team`, if any) with `role`, and a key of theirs: its secret.
  std::string user_with_key(const std::string& name, const std::string& org,
                            const std::string& team, std::string_view role) {
    std::string body = R"({"name":")" + name + R"(","org_id":")" + org + R"(","role":")" +
                       std::string(role) + "\"";
    if (!team.empty()) {
      body += R"(,"team_id":")" + team + "\"";
    }
    body += "}";
    const std::string user = create("/admin/v1/users", body);
    const json::value key =
        expect(201, "POST", "/admin/v1/keys", R"({"name":"k","user_id":")" + user + "\"}");
    users_[name] = user;
    return key.is_object() ? std::string(key.at("key").as_string()) : std::string{};
  }

  // A time the test writes as text.
  static UnixMillis at(std::string_view text) {
    const std::optional<UnixMillis> time = parse_time(text);
    EXPECT_TRUE(time.has_value()) << text;
    return time.value_or(0);
  }

  // The stored key, or an empty one after a failure.
  governance::VirtualKey stored_key(const std::string& id) {
    auto found = store_->get_key(id);
    const std::optional<governance::VirtualKey> key = found ? *found : std::nullopt;
    if (!key) {
      ADD_FAILURE() << "no key " << id;
      return {};
    }
    return *key;
  }

  static std::string error_type(const json::value& body) {
    const auto* error = body.is_object() ? body.as_object().if_contains("error") : nullptr;
    return error != nullptr ? std::string(error->at("type").as_string()) : std::string{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<governance::Store> store_;
  std::unique_ptr<AdminApi> api_;
  UnixMillis now_ = at("2026-03-15T12:00:00Z");
  int changes_ = 0;
  std::map<std::string, std::string> users_;  // name -> id
};

}  // namespace nexus::control::admin::testing

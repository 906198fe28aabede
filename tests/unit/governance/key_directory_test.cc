// The data plane's key directory after a rotation: the key's current and previous secrets open
// the same grant (same id, same scopes and counters), the previous one only until the end of its
// grace period, checked at authenticate time.
#include <gtest/gtest.h>

#include <chrono>

#include "../control/storage/store_test_support.h"
#include "governance/governance.h"
#include "governance/key_secret.h"

namespace nexus::governance {
namespace {

constexpr std::string_view kPepper = "pepper-for-the-key-directory-test";

UnixMillis wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class KeyDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_store(dir_.file("nexus.db"));
    ASSERT_TRUE(store) << store.error().message();
    ASSERT_TRUE((*store)->put_org({.id = "org_a", .name = "Acme", .created_at = 1}));
    store_ = store->get();
    config::Governance config;
    config.enabled = true;
    auto opened = Governance::open(config, std::move(*store), std::string(kPepper));
    ASSERT_TRUE(opened) << opened.error().message();
    governance_ = std::move(*opened);
  }

  // Puts a key with the secrets' hashes and reloads the directory.
  void put_key(const std::string& secret, const std::string& previous_secret,
               UnixMillis previous_valid_until) {
    VirtualKey key{.id = "key_a",
                   .hash = hash_key_secret(kPepper, secret),
                   .prefix = std::string(key_display_prefix(secret)),
                   .name = "k",
                   .org_id = "org_a",
                   .metadata = "{}",
                   .controls = {.limits = {.rpm = 10}},
                   .created_at = 1};
    if (!previous_secret.empty()) {
      key.previous_hash = hash_key_secret(kPepper, previous_secret);
      key.previous_valid_until = previous_valid_until;
    }
    ASSERT_TRUE(store_->put_key(key));
    ASSERT_TRUE(governance_->reload_keys());
  }

  Result<std::shared_ptr<const Grant>> authenticate(const std::string& secret, UnixMillis now) {
    return governance_->authenticate(secret, "127.0.0.1", now);
  }

  storage::testing::TempDir dir_;
  Store* store_ = nullptr;  // owned by governance_
  std::unique_ptr<Governance> governance_;
};

TEST_F(KeyDirectoryTest, BothSecretsOpenTheSameGrantUntilTheGracePeriodEnds) {
  const std::string old_secret = generate_key_secret();
  const std::string new_secret = generate_key_secret();
  const UnixMillis until = wall_now() + 3'600'000;
  put_key(new_secret, old_secret, until);

  auto by_new = authenticate(new_secret, until - 1);
  auto by_old = authenticate(old_secret, until - 1);
  ASSERT_TRUE(by_new) << by_new.error().message();
  ASSERT_TRUE(by_old) << by_old.error().message();
  EXPECT_EQ(by_new->get(), by_old->get()) << "one grant: the same scopes and counters";
  EXPECT_EQ((*by_old)->key_id, "key_a");
  ASSERT_FALSE((*by_old)->scopes.empty());
  EXPECT_EQ((*by_old)->scopes.front(), governance_->scope(ScopeKind::kKey, "key_a"));

  auto late = authenticate(old_secret, until);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kUnauthorized);
  EXPECT_NE(late.error().message().find("rotation"), std::string::npos) << late.error().message();
  EXPECT_EQ(late.error().message().find(std::string(key_display_prefix(new_secret))),
            std::string::npos)
      << "the new secret's prefix is not told to the old secret's holder";
  EXPECT_TRUE(authenticate(new_secret, until)) << "the new secret goes on";
}

TEST_F(KeyDirectoryTest, APreviousSecretWhoseGraceEndedIsNotInTheDirectory) {
  const std::string old_secret = generate_key_secret();
  const std::string new_secret = generate_key_secret();
  const UnixMillis ended = wall_now() - 1;
  put_key(new_secret, old_secret, ended);
  auto by_old = authenticate(old_secret, ended - 1'000);
  ASSERT_FALSE(by_old) << "left out at reload, whatever time a caller passes later";
  EXPECT_EQ(by_old.error().code(), ErrorCode::kUnauthorized);
  EXPECT_TRUE(authenticate(new_secret, wall_now()));
}

TEST_F(KeyDirectoryTest, AKeyWithoutRotationHasOneSecret) {
  const std::string secret = generate_key_secret();
  put_key(secret, "", 0);
  EXPECT_TRUE(authenticate(secret, wall_now()));
  EXPECT_FALSE(authenticate(generate_key_secret(), wall_now()));
}

}  // namespace
}  // namespace nexus::governance

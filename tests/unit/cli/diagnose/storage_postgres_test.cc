// diagnose's storage check on a real PostgreSQL server (postgres_server.h): connected and
// read-write, a read-only session, and a server that is not there.
#include <gtest/gtest.h>

#include "../../control/storage/postgres_server.h"
#include "cli/diagnose/local_checks.h"

namespace nexus::cli::diagnose {
namespace {

using storage::testing::PostgresServer;

TEST(DiagnoseStoragePostgres, ConnectedReadWrite) {
  PostgresServer& server = PostgresServer::shared();
  ASSERT_TRUE(server.ok()) << server.error();
  config::Governance governance;
  governance.enabled = true;
  governance.store = server.url("postgres");
  const CheckResult result = check_storage(governance, std::chrono::seconds(5));
  EXPECT_EQ(result.status, Status::kOk) << result.detail;
  // As logs show it (store_for_logs): postgres://user@host:port/database.
  EXPECT_EQ(result.target,
            "postgres://nexus@127.0.0.1:" + std::to_string(server.port()) + "/postgres");
  EXPECT_NE(result.detail.find("), read-write"), std::string::npos) << result.detail;
}

TEST(DiagnoseStoragePostgres, ReadOnlySessionFails) {
  PostgresServer& server = PostgresServer::shared();
  ASSERT_TRUE(server.ok()) << server.error();
  config::Governance governance;
  governance.enabled = true;
  // What a standby (or a read-only role) looks like to a session.
  governance.store = server.url("postgres") + "?options=-c%20default_transaction_read_only%3Don";
  const CheckResult result = check_storage(governance, std::chrono::seconds(5));
  EXPECT_EQ(result.status, Status::kFail);
  EXPECT_NE(result.detail.find("read-only server"), std::string::npos) << result.detail;
}

TEST(DiagnoseStoragePostgres, NoServerFailsWithinTheTimeout) {
  config::Governance governance;
  governance.enabled = true;
  governance.store = "postgresql://nexus:secret@127.0.0.1:1/postgres";
  const CheckResult result = check_storage(governance, std::chrono::seconds(2));
  EXPECT_EQ(result.status, Status::kFail);
  EXPECT_TRUE(result.detail.starts_with("cannot connect: ")) << result.detail;
  EXPECT_EQ(result.target.find("secret"), std::string::npos) << result.target;
  EXPECT_EQ(result.detail.find("secret"), std::string::npos) << result.detail;
}

}  // namespace
}  // namespace nexus::cli::diagnose

// diagnose's local checks: the config, the fd limit verdict, the listen ports, the governance
// store and the key pepper, on temporary files and loopback sockets.
#include "cli/diagnose/local_checks.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <limits>

#include "control/storage/sqlite_store.h"

namespace nexus::cli::diagnose {
namespace {

namespace fs = std::filesystem;
using boost::asio::ip::tcp;

class DiagnoseLocalChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nexus-diagnose-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text, fs::perms mode) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    fs::permissions(path, mode);
    return path;
  }

  fs::path dir_;
};

TEST_F(DiagnoseLocalChecks, ConfigErrorsNameTheFileLineAndKey) {
  const fs::path path =
      write("nexus.yaml", "server:\n  listen: [\"127.0.0.1:8080\"]\n  wrokers: 2\n",
            fs::perms::owner_read | fs::perms::owner_write);
  const LoadedConfig loaded = check_config(path.string());
  EXPECT_FALSE(loaded.config.has_value());
  EXPECT_EQ(loaded.result.name, "config");
  EXPECT_EQ(loaded.result.status, Status::kFail);
  EXPECT_NE(loaded.result.detail.find("nexus.yaml:3: server: unknown key 'wrokers'"),
            std::string::npos)
      << loaded.result.detail;
}

TEST_F(DiagnoseLocalChecks, ValidConfigIsSummarized) {
  const fs::path path = write("nexus.yaml",
                              "server: { listen: [\"127.0.0.1:8080\"] }\n"
                              "routes: [{ match: { prefix: / }, direct_response: { status: 200 } "
                              "}]\n",
                              fs::perms::owner_read | fs::perms::owner_write);
  const LoadedConfig loaded = check_config(path.string());
  ASSERT_TRUE(loaded.config.has_value()) << loaded.result.detail;
  EXPECT_EQ(loaded.result.status, Status::kOk);
  EXPECT_EQ(loaded.result.detail, "1 listener(s), 0 cluster(s), 0 provider(s), 1 route(s)");
}

TEST(DiagnoseFdLimit, WarnsBelow65536WithTheFix) {
  EXPECT_EQ(fd_limit_verdict(65536, 65536).status, Status::kOk);
  const uint64_t unlimited = std::numeric_limits<uint64_t>::max();
  const CheckResult ok = fd_limit_verdict(unlimited, unlimited);
  EXPECT_EQ(ok.status, Status::kOk);
  EXPECT_EQ(ok.detail, "soft limit unlimited, hard limit unlimited");

  const CheckResult soft = fd_limit_verdict(1024, 1048576);
  EXPECT_EQ(soft.status, Status::kWarn);
  EXPECT_NE(soft.detail.find("ulimit -n 65536"), std::string::npos) << soft.detail;
  EXPECT_NE(soft.detail.find("LimitNOFILE=65536"), std::string::npos) << soft.detail;

  const CheckResult hard = fd_limit_verdict(1024, 4096);
  EXPECT_EQ(hard.status, Status::kWarn);
  EXPECT_NE(hard.detail.find("hard limit is too low"), std::string::npos) << hard.detail;
}

TEST(DiagnoseListenPort, APortSomeoneListensOnIsInUse) {
  boost::asio::io_context io;
  tcp::acceptor holder(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = holder.local_endpoint().port();
  const CheckResult result =
      check_listen_port({"127.0.0.1", port, std::nullopt, false}, "listener");
  EXPECT_EQ(result.name, "listen_port");
  EXPECT_EQ(result.target, "listener 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(result.status, Status::kWarn);
  EXPECT_NE(result.detail.find("in use: expected while nexus runs"), std::string::npos)
      << result.detail;
}

TEST(DiagnoseListenPort, FreeAndForeignAddresses) {
  // Port 0 binds whatever port is free: the bind itself is what is checked.
  EXPECT_EQ(check_listen_port({"127.0.0.1", 0, std::nullopt, false}, "listener").status,
            Status::kOk);
  // TEST-NET-1 (RFC 5737) is no address of this host.
  const CheckResult foreign =
      check_listen_port({"192.0.2.1", 8080, std::nullopt, false}, "admin listener");
  EXPECT_EQ(foreign.status, Status::kFail);
  EXPECT_EQ(foreign.target, "admin listener 192.0.2.1:8080");
  EXPECT_EQ(foreign.detail, "192.0.2.1 is not an address of this host");
}

TEST_F(DiagnoseLocalChecks, StorageWithoutGovernanceIsSkipped) {
  const config::Governance governance;  // enabled = false
  EXPECT_EQ(check_storage(governance, std::chrono::seconds(1)).status, Status::kSkip);
  EXPECT_EQ(check_pepper_file(governance).status, Status::kSkip);
}

TEST_F(DiagnoseLocalChecks, SqliteStoreNotMadeYetIsOkWhenItsDirectoryCanBe) {
  config::Governance governance;
  governance.enabled = true;
  governance.store = "sqlite:" + (dir_ / "data" / "nexus.db").string();
  const CheckResult result = check_storage(governance, std::chrono::seconds(1));
  EXPECT_EQ(result.status, Status::kOk) << result.detail;
  EXPECT_NE(result.detail.find("does not exist yet"), std::string::npos) << result.detail;
  EXPECT_FALSE(fs::exists(dir_ / "data")) << "diagnose must not create the store";
  const CheckResult pepper = check_pepper_file(governance);
  EXPECT_EQ(pepper.status, Status::kSkip) << pepper.detail;
}

TEST_F(DiagnoseLocalChecks, ExistingSqliteStoreIsReadReadOnly) {
  const fs::path file = dir_ / "nexus.db";
  ASSERT_TRUE(storage::SqliteStore::open(file.string()).has_value());
  const auto before = fs::last_write_time(file);
  config::Governance governance;
  governance.enabled = true;
  governance.store = "sqlite:" + file.string();
  const CheckResult result = check_storage(governance, std::chrono::seconds(1));
  EXPECT_EQ(result.status, Status::kOk) << result.detail;
  EXPECT_NE(result.detail.find("schema version"), std::string::npos) << result.detail;
  EXPECT_EQ(fs::last_write_time(file), before);

  write("not.db", "this is not a database, just text long enough to be read as a header",
        fs::perms::owner_read | fs::perms::owner_write);
  governance.store = "sqlite:" + (dir_ / "not.db").string();
  EXPECT_EQ(check_storage(governance, std::chrono::seconds(1)).status, Status::kFail);
}

TEST_F(DiagnoseLocalChecks, PepperFile) {
  config::Governance governance;
  governance.enabled = true;
  governance.pepper_file =
      write("pepper", "0123456789abcdefXYZ\n", fs::perms::owner_read | fs::perms::owner_write)
          .string();
  const CheckResult ok = check_pepper_file(governance);
  EXPECT_EQ(ok.status, Status::kOk) << ok.detail;
  EXPECT_EQ(ok.detail.find("0123456789"), std::string::npos) << "the pepper is never printed";

  fs::permissions(governance.pepper_file, fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  const CheckResult shared = check_pepper_file(governance);
  EXPECT_EQ(shared.status, Status::kWarn);
  EXPECT_NE(shared.detail.find("chmod 600"), std::string::npos) << shared.detail;

  governance.pepper_file =
      write("short", "tooshort\n", fs::perms::owner_read | fs::perms::owner_write).string();
  EXPECT_EQ(check_pepper_file(governance).status, Status::kFail);
  governance.pepper_file = (dir_ / "missing").string();
  EXPECT_EQ(check_pepper_file(governance).status, Status::kFail);
}

}  // namespace
}  // namespace nexus::cli::diagnose

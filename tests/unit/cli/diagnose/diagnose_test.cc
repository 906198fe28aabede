// `nexus diagnose` end to end without the network: the exit status and the report of configs
// with no cluster.
#include "cli/diagnose/diagnose.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace nexus::cli::diagnose {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using boost::asio::ip::tcp;

class DiagnoseRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nexus-diagnose-run-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A listener port this test holds: diagnose reports it in use (a warning, not a failure).
    holder_.open(tcp::v4());
    holder_.bind(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    holder_.listen();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_config(const std::string& rest) {
    const fs::path path = dir_ / "nexus.yaml";
    std::ofstream(path) << "server: { listen: [\"127.0.0.1:" << holder_.local_endpoint().port()
                        << "\"] }\n"
                        << rest;
    return path.string();
  }

  // The JSON report and the exit status of a run on `config_path`.
  std::pair<json::object, int> run(const std::string& config_path) {
    Options options;
    options.config_path = config_path;
    options.format = Format::kJson;
    std::ostringstream out;
    const int status = run_diagnose(options, out, false);
    return {json::parse(out.str()).as_object(), status};
  }

  static const json::object* check(const json::object& report, std::string_view name) {
    for (const json::value& item : report.at("checks").as_array()) {
      if (item.at("name").as_string() == name) {
        return &item.as_object();
      }
    }
    return nullptr;
  }

  fs::path dir_;
  boost::asio::io_context io_;
  tcp::acceptor holder_{io_};
};

TEST_F(DiagnoseRun, AConfigThatDoesNotLoadIsAUsageError) {
  const auto [report, status] = run(write_config("routes: 5\n"));
  EXPECT_EQ(status, kExitUsage);
  const json::object* config = check(report, "config");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->at("status").as_string(), "fail");
  EXPECT_NE(std::string_view(config->at("detail").as_string()).find("nexus.yaml:2: routes"),
            std::string_view::npos)
      << json::serialize(*config);
  // What needs no config still ran; what needs one did not.
  EXPECT_NE(check(report, "fd_limit"), nullptr);
  EXPECT_EQ(check(report, "listen_port"), nullptr);
}

TEST_F(DiagnoseRun, WarningsAloneExitZero) {
  const auto [report, status] =
      run(write_config("routes: [{ match: { prefix: / }, direct_response: { status: 200 } }]\n"));
  EXPECT_EQ(status, kExitOk) << json::serialize(report);
  const json::object* port = check(report, "listen_port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->at("status").as_string(), "warn");
  const json::object* storage = check(report, "storage");
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->at("status").as_string(), "skip");
}

TEST_F(DiagnoseRun, AFailedCheckExitsOne) {
  std::ofstream(dir_ / "pepper") << "short\n";
  const auto [report, status] =
      run(write_config("routes: [{ match: { prefix: / }, direct_response: { status: 200 } }]\n"
                       "governance: { store: \"sqlite:" +
                       (dir_ / "nexus.db").string() + "\", pepper_file: \"" +
                       (dir_ / "pepper").string() + "\" }\n"));
  EXPECT_EQ(status, kExitFailed) << json::serialize(report);
  const json::object* pepper = check(report, "pepper_file");
  ASSERT_NE(pepper, nullptr);
  EXPECT_EQ(pepper->at("status").as_string(), "fail");
  EXPECT_EQ(report.at("status").as_string(), "fail");
  EXPECT_FALSE(fs::exists(dir_ / "nexus.db")) << "diagnose must not create the store";
}

}  // namespace
}  // namespace nexus::cli::diagnose

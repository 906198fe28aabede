// A real PostgreSQL server for the tests, on loopback: Debian's initdb into a temporary
// directory, pg_ctl start on a free 127.0.0.1 port (its unix socket in that directory too), a
// bounded wait until it accepts connections, and pg_ctl stop -m immediate when the test process
// exits. PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system
// user (runuser), the directory given to it.
//
// One server per test process, started at first use; each test takes a database of its own
// (create_database()). The server runs with fsync=off: these tests check behaviour, not what
// survives a power cut, and each test process starts a cluster.
//
// Missing binaries are a test FAILURE with the reason (setup.sh installs `postgresql`), never a
// silent skip. NEXUS_PG_BINDIR overrides the binaries' directory.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace nexus::storage::testing {

class PostgresServer {
 public:
  // The process's server, started at first use. Check ok() (ASSERT) before using it.
  static PostgresServer& shared() {
    static PostgresServer server;
    return server;
  }

  [[nodiscard]] bool ok() const { return error_.empty(); }
  // Why the server could not be started (with the tail of its log).
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] int port() const { return port_; }

  // The URL of database `name` as the superuser `nexus` (no password: trust on loopback).
  [[nodiscard]] std::string url(std::string_view name) const {
    std::string url = "postgresql://nexus@127.0.0.1:";
    url += std::to_string(port_);
    url += "/";
    url += name;
    return url;
  }

  // A new empty database ("nexus_test_<n>"); its URL. A test failure (and "") if it fails.
  std::string create_database() {
    const std::lock_guard lock(mutex_);
    std::string name = "nexus_test_" + std::to_string(++databases_);
    if (!admin("CREATE DATABASE " + name)) {  // a generated name: no caller text
      return {};
    }
    return url(name);
  }

  // Runs fixed SQL on the `postgres` database (terminating a store's backend, say).
  bool admin(const std::string& sql) const {
    PGconn* conn = PQconnectdb(url("postgres").c_str());
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    const bool succeeded = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!succeeded) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn);
    }
    PQclear(result);
    PQfinish(conn);
    return succeeded;
  }

  // The first column of the first row of fixed SQL on the `postgres` database; -1 on failure.
  [[nodiscard]] int64_t count(const std::string& sql) const {
    PGconn* conn = PQconnectdb(url("postgres").c_str());
    PGresult* result = PQexec(conn, sql.c_str());
    int64_t value = -1;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
      value = std::stoll(PQgetvalue(result, 0, 0));
    } else {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn);
    }
    PQclear(result);
    PQfinish(conn);
    return value;
  }

  ~PostgresServer() {
    if (started_) {
      run("pg_ctl", "-D " + data_dir() + " -m immediate stop", "stop.log");
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  PostgresServer() { error_ = start(); }

  static std::string bin_dir() {
    const char* configured = std::getenv("NEXUS_PG_BINDIR");
    return configured != nullptr ? configured : "/usr/lib/postgresql/15/bin";
  }
  [[nodiscard]] std::string data_dir() const { return (dir_ / "data").string(); }

  // A port nothing listens on now (the kernel's choice); the server binds it a moment later.
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
      port = ntohs(address.sin_port);
    }
    ::close(fd);
    return port;
  }

  // Runs a PostgreSQL program (as `postgres` when we are root), output into `log` in the
  // directory; its exit status.
  int run(const std::string& program, const std::string& arguments, const std::string& log) const {
    std::string command = as_postgres_ ? "runuser -u postgres -- " : "";
    command += bin_dir() + "/" + program + " " + arguments;
    command += " > " + (dir_ / log).string() + " 2>&1";
    return std::system(command.c_str());
  }

  [[nodiscard]] std::string log_tail(const std::string& log) const {
    std::ifstream in(dir_ / log);
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
  }

  std::string start() {
    if (!std::filesystem::exists(bin_dir() + "/initdb")) {
      return "PostgreSQL's binaries are missing (" + bin_dir() +
             "/initdb): install Debian's `postgresql` package (setup.sh does), or set "
             "NEXUS_PG_BINDIR";
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "nexus-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return "mkdtemp failed";
    }
    dir_ = pattern;
    as_postgres_ = ::geteuid() == 0;
    if (as_postgres_) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr || ::chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
        return "running as root, but the `postgres` system user is missing (or chown failed)";
      }
    }
    if (run("initdb", "-D " + data_dir() + " -U nexus --auth=trust -N -E UTF8 --locale=C",
            "initdb.log") != 0) {
      return "initdb failed:\n" + log_tail("initdb.log");
    }
    // A port taken between free_port() and the server's bind: try another.
    for (int attempt = 0; attempt < 3 && !started_; ++attempt) {
      port_ = free_port();
      const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                  " -k " + dir_.string() + " -c fsync=off -c full_page_writes=off";
      started_ = run("pg_ctl",
                     "-D " + data_dir() + " -l " + (dir_ / "server.log").string() +
                         " -w -t 30 -o \"" + options + "\" start",
                     "pg_ctl.log") == 0;
    }
    if (!started_) {
      return "pg_ctl start failed:\n" + log_tail("pg_ctl.log") + log_tail("server.log");
    }
    return wait_until_accepting();
  }

  // pg_ctl -w has waited already; this confirms over TCP, bounded.
  [[nodiscard]] std::string wait_until_accepting() const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (PQping(url("postgres").c_str()) != PQPING_OK) {
      if (std::chrono::steady_clock::now() > deadline) {
        return "the server did not accept connections within 30 s:\n" + log_tail("server.log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return {};
  }

  std::filesystem::path dir_;
  bool as_postgres_ = false;
  bool started_ = false;
  int port_ = 0;
  std::string error_;
  std::mutex mutex_;  // create_database() from several threads
  int databases_ = 0;
};

}  // namespace nexus::storage::testing

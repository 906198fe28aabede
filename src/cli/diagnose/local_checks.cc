#include "cli/diagnose/local_checks.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "control/config/loader.h"
#include "control/storage/migrations.h"
#include "control/storage/pg_connection.h"
#include "control/storage/sqlite_db.h"
#include "governance/store.h"

namespace nexus::cli::diagnose {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

// The pepper governance accepts (src/governance/governance.cc).
constexpr size_t kMinPepperSize = 16;
constexpr std::string_view kSqlitePrefix = "sqlite:";

CheckResult make(std::string name, std::string target) {
  CheckResult result;
  result.name = std::move(name);
  result.target = std::move(target);
  return result;
}

CheckResult& set(CheckResult& result, Status status, std::string detail) {
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

std::string limit_text(uint64_t limit) {
  return limit == std::numeric_limits<uint64_t>::max() ? "unlimited" : std::to_string(limit);
}

std::string host_port(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  std::string text = v6 ? "[" + host + "]" : host;
  text += ':';
  text += std::to_string(port);
  return text;
}

bool is_postgres(const std::string& store) {
  return store.starts_with("postgres://") || store.starts_with("postgresql://");
}

// `path` itself if it exists, else its closest existing parent (what creating it needs to write).
fs::path existing_ancestor(fs::path path) {
  std::error_code error;
  while (!path.empty() && !fs::exists(path, error)) {
    const fs::path parent = path.parent_path();
    if (parent == path) {
      break;
    }
    path = parent;
  }
  return path.empty() ? fs::path(".") : path;
}

bool writable_dir(const fs::path& dir) { return ::access(dir.c_str(), W_OK | X_OK) == 0; }

// The schema version recorded in a SQLite store (0: none applied yet), read without writing.
Result<int64_t> read_schema_version(storage::SqliteDb& db) {
  auto table = db.prepare("find schema_migrations",
                          "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                          "'schema_migrations'");
  if (!table) {
    return std::unexpected(std::move(table.error()));
  }
  if (auto row = table->step(); !row) {
    return std::unexpected(std::move(row.error()));
  }
  if (table->int64(0) == 0) {
    return 0;
  }
  auto version =
      db.prepare("read schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!version) {
    return std::unexpected(std::move(version.error()));
  }
  if (auto row = version->step(); !row) {
    return std::unexpected(std::move(row.error()));
  }
  return version->int64(0);
}

CheckResult check_sqlite_file(CheckResult result, const fs::path& file) {
  auto db = storage::SqliteDb::open_read_only(file.string());
  if (!db) {
    return set(result, Status::kFail, db.error().message());
  }
  auto version = read_schema_version(*db);
  if (!version) {
    return set(result, Status::kFail,
               file.string() + " is not a readable SQLite database: " + version.error().message());
  }
  const auto migrations = storage::sqlite_migrations();
  const int64_t known = migrations.empty() ? 0 : migrations.back().version;
  result.facts.emplace_back("schema_version", *version);
  if (*version > known) {
    return set(result, Status::kFail,
               "schema version " + std::to_string(*version) + " is newer than this binary's (" +
                   std::to_string(known) + "): it was written by a later Nexus");
  }
  if (::access(file.c_str(), W_OK) != 0) {
    return set(result, Status::kFail, file.string() + " is not writable by this user");
  }
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  if (!writable_dir(dir)) {
    return set(result, Status::kFail,
               dir.string() +
                   " is not writable by this user (SQLite makes its -wal and -shm "
                   "files next to the database)");
  }
  return set(result, Status::kOk,
             file.string() + ": schema version " + std::to_string(*version) +
                 " (this binary's: " + std::to_string(known) + "), file and directory writable");
}

CheckResult check_postgres(CheckResult result, const std::string& url,
                           std::chrono::seconds timeout) {
  auto connection = storage::PgConnection::connect(url, timeout);
  if (!connection) {
    return set(result, Status::kFail, "cannot connect: " + connection.error().message());
  }
  auto rows =
      connection->exec("diagnose",
                       "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'),"
                       " current_setting('server_version')");
  if (!rows) {
    return set(result, Status::kFail, rows.error().message());
  }
  const std::string version = rows->text(0, 2);
  result.facts.emplace_back("server_version", version);
  if (rows->boolean(0, 0) || rows->text(0, 1) == "on") {
    return set(result, Status::kFail,
               "connected to a read-only server (PostgreSQL " + version +
                   "): nexus writes keys and the ledger; point governance.store at the primary");
  }
  return set(result, Status::kOk, "connected (PostgreSQL " + version + "), read-write");
}

}  // namespace

LoadedConfig check_config(const std::string& path) {
  LoadedConfig loaded;
  loaded.result = timed([&] {
    CheckResult result = make("config", path);
    auto config = control::load_config_file(path);
    if (!config) {
      return set(result, Status::kFail, config.error().message());
    }
    std::ostringstream detail;
    detail << config->server.listen.size() << " listener(s), " << config->clusters.size()
           << " cluster(s), " << config->providers.size() << " provider(s), "
           << config->routes.size() << " route(s)";
    loaded.config = std::move(*config);
    return set(result, Status::kOk, detail.str());
  });
  return loaded;
}

CheckResult fd_limit_verdict(uint64_t soft, uint64_t hard) {
  CheckResult result = make("fd_limit", "process");
  result.facts.emplace_back(
      "soft", static_cast<int64_t>(std::min<uint64_t>(soft, std::numeric_limits<int64_t>::max())));
  result.facts.emplace_back(
      "hard", static_cast<int64_t>(std::min<uint64_t>(hard, std::numeric_limits<int64_t>::max())));
  const std::string limits = "soft limit " + limit_text(soft) + ", hard limit " + limit_text(hard);
  if (soft >= kRecommendedFdLimit) {
    return set(result, Status::kOk, limits);
  }
  const std::string wanted = std::to_string(kRecommendedFdLimit);
  std::string detail = limits + ": below " + wanted + ", so a busy gateway runs out of sockets";
  if (hard >= kRecommendedFdLimit) {
    detail += "; raise it with `ulimit -n " + wanted +
              "` in the shell that starts nexus, or LimitNOFILE=" + wanted + " in its systemd unit";
  } else {
    detail +=
        "; the hard limit is too low as well: raise both as root (/etc/security/limits.conf"
        ", or LimitNOFILE=" +
        wanted + " in the systemd unit)";
  }
  return set(result, Status::kWarn, std::move(detail));
}

CheckResult check_fd_limit() {
  return timed([] {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
      CheckResult result = make("fd_limit", "process");
      return set(result, Status::kFail, std::string("getrlimit: ") + std::strerror(errno));
    }
    const auto value = [](rlim_t raw) {
      return raw == RLIM_INFINITY ? std::numeric_limits<uint64_t>::max()
                                  : static_cast<uint64_t>(raw);
    };
    return fd_limit_verdict(value(limit.rlim_cur), value(limit.rlim_max));
  });
}

CheckResult check_listen_port(const config::Listener& listener, std::string_view role) {
  return timed([&] {
    const std::string address = host_port(listener.host, listener.port);
    CheckResult result = make("listen_port", std::string(role) + " " + address);
    boost::system::error_code error;
    const auto ip = asio::ip::make_address(listener.host, error);
    if (error) {
      return set(result, Status::kFail, "not an IP address: " + listener.host);
    }
    asio::io_context io;
    tcp::acceptor acceptor(io);
    const tcp::endpoint endpoint(ip, listener.port);
    // Without SO_REUSEPORT (which nexus's own sockets set, so a second one would be let in):
    // SO_REUSEADDR only passes over connections in TIME_WAIT, as a restarted nexus does.
    acceptor.open(endpoint.protocol(), error);
    if (!error) {
      boost::system::error_code ignored;  // without it, a port in TIME_WAIT reads as in use
      acceptor.set_option(tcp::acceptor::reuse_address(true), ignored);
      acceptor.bind(endpoint, error);
    }
    if (!error) {
      return set(result, Status::kOk, "free");
    }
    const std::string port = std::to_string(listener.port);
    if (error == asio::error::address_in_use) {
      return set(result, Status::kWarn,
                 "in use: expected while nexus runs (it holds its own listeners); otherwise "
                 "another process has it (`ss -ltnp 'sport = :" +
                     port + "'` shows which)");
    }
    if (error == asio::error::access_denied) {
      return set(result, Status::kFail,
                 "permission denied: a port below 1024 needs root or CAP_NET_BIND_SERVICE "
                 "(`setcap cap_net_bind_service=+ep nexus`, or AmbientCapabilities= in systemd)");
    }
    if (error == boost::system::errc::address_not_available) {
      return set(result, Status::kFail, listener.host + " is not an address of this host");
    }
    return set(result, Status::kFail, error.message());
  });
}

CheckResult check_storage(const config::Governance& governance, std::chrono::seconds timeout) {
  return timed([&] {
    CheckResult result = make("storage", governance::store_for_logs(governance.store));
    if (!governance.enabled) {
      return set(result, Status::kSkip, "no governance section: nothing is stored");
    }
    if (is_postgres(governance.store)) {
      return check_postgres(std::move(result), governance.store, timeout);
    }
    if (!governance.store.starts_with(kSqlitePrefix)) {
      return set(result, Status::kFail, "expected sqlite:<path> or a postgres:// URL");
    }
    const fs::path file = governance.store.substr(kSqlitePrefix.size());
    result.facts.emplace_back("path", file.string());
    std::error_code error;
    if (fs::exists(file, error)) {
      return check_sqlite_file(std::move(result), file);
    }
    const fs::path ancestor = existing_ancestor(file.parent_path());
    if (!writable_dir(ancestor)) {
      return set(result, Status::kFail,
                 "cannot create " + file.string() + ": " + ancestor.string() +
                     " is not writable by this user");
    }
    return set(result, Status::kOk,
               file.string() + " does not exist yet: nexus creates it at its first start (" +
                   ancestor.string() + " is writable)");
  });
}

CheckResult check_pepper_file(const config::Governance& governance) {
  return timed([&] {
    CheckResult result =
        make("pepper_file", governance.pepper_file.empty() ? std::string("governance.pepper_file")
                                                           : governance.pepper_file);
    if (!governance.enabled) {
      return set(result, Status::kSkip, "no governance section");
    }
    fs::path file = governance.pepper_file;
    if (file.empty()) {
      if (!governance.store.starts_with(kSqlitePrefix)) {
        return set(result, Status::kSkip, "no pepper_file configured");
      }
      file = fs::path(governance.store.substr(kSqlitePrefix.size())).parent_path() / "pepper";
      result.target = file.string();
      std::error_code error;
      if (!fs::exists(file, error)) {
        return set(result, Status::kSkip,
                   "no pepper_file configured, and none made yet: nexus makes " + file.string() +
                       " (mode 0600) next to the database at its first start");
      }
    }
    std::ifstream in(file);
    if (!in.is_open()) {
      return set(result, Status::kFail,
                 "cannot read " + file.string() + ": " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string pepper = text.str();
    while (!pepper.empty() && (pepper.back() == '\n' || pepper.back() == '\r')) {
      pepper.pop_back();
    }
    if (pepper.size() < kMinPepperSize) {
      return set(result, Status::kFail,
                 file.string() + " holds fewer than 16 characters: nexus refuses it");
    }
    struct stat info{};
    if (::stat(file.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      return set(result, Status::kWarn,
                 file.string() + " may be read by others than its owner: `chmod 600 " +
                     file.string() + "` (with the database, it lets keys be tested offline)");
    }
    return set(result, Status::kOk, "readable, owner only");
  });
}

}  // namespace nexus::cli::diagnose

// The admin API alone, for tests/integration/test_admin_api.py: a SQLite store, an AdminApi and
// its HTTP server, without the gateway's listeners (server.cc wires the same pieces from the
// config). Prints "port N" once serving; stops gracefully on SIGTERM or SIGINT.
//
//   nexus_admin_standalone --db PATH --pepper TEXT --admin-key-sha256 HEX [--listen HOST:PORT]
//                          [--time-zone ZONE] [--tls-cert FILE --tls-key FILE]
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "control/admin/admin_api.h"
#include "control/admin/admin_server.h"
#include "governance/periods.h"
#include "governance/store.h"

namespace {

std::map<std::string, std::string> read_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags{
      {"--listen", "127.0.0.1:0"}, {"--time-zone", "UTC"}, {"--tls-cert", ""}, {"--tls-key", ""}};
  for (int i = 1; i + 1 < argc; i += 2) {
    flags[argv[i]] = argv[i + 1];
  }
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  using nexus::control::admin::AdminApi;
  using nexus::control::admin::AdminServer;
  auto flags = read_flags(argc, argv);
  if (flags["--db"].empty() || flags["--pepper"].empty()) {
    std::cerr << "usage: nexus_admin_standalone --db PATH --pepper TEXT --admin-key-sha256 HEX\n";
    return 2;
  }
  // Blocked before any thread starts, so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto store = nexus::governance::open_sqlite_store(flags["--db"]);
  auto zone = nexus::governance::TimeZone::load(flags["--time-zone"]);
  if (!store || !zone) {
    std::cerr << (!store ? store.error().message() : zone.error().message()) << "\n";
    return 1;
  }
  nexus::config::Listener listen;
  const std::string& address = flags["--listen"];
  const size_t colon = address.rfind(':');
  listen.host = address.substr(0, colon);
  listen.port = static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
  if (!flags["--tls-cert"].empty()) {
    listen.tls.emplace();
    listen.tls->certificates.push_back(
        {.cert_file = flags["--tls-cert"], .key_file = flags["--tls-key"]});
  }
  AdminApi api(**store,
               {.credentials = {.pepper = flags["--pepper"],
                                .admin_key_sha256 = flags["--admin-key-sha256"]},
                .time_zone = *zone},
               nexus::control::admin::system_clock(), [] { std::cerr << "changed\n"; });
  auto server = AdminServer::start(listen, api);
  if (!server) {
    std::cerr << server.error().message() << "\n";
    return 1;
  }
  std::cout << "port " << (*server)->port() << "\n" << std::flush;
  int received = 0;
  sigwait(&stop_signals, &received);
  (*server)->stop();
  std::cout << "stopped\n" << std::flush;
  return 0;
}

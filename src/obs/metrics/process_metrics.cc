#include "obs/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nexus::obs::metrics {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The fields of /proc/self/stat after the command name (which may hold spaces and parentheses,
// so the fields start after its last ')'). Field 3 of proc(5) (state) is fields[0].
std::vector<std::string> stat_fields() {
  const std::string stat = read_file("/proc/self/stat");
  std::vector<std::string> fields;
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return fields;
  }
  std::istringstream rest(stat.substr(close + 1));
  for (std::string field; rest >> field;) {
    fields.push_back(std::move(field));
  }
  return fields;
}

double field_number(const std::vector<std::string>& fields, size_t proc_index) {
  const size_t at = proc_index - 3;  // proc(5) numbers fields from 1; ours start at field 3
  if (at >= fields.size()) {
    return 0;
  }
  double value = 0;
  const std::string& text = fields[at];
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

double ticks_per_second() { return static_cast<double>(::sysconf(_SC_CLK_TCK)); }

double cpu_seconds() {
  const auto fields = stat_fields();
  return (field_number(fields, 14) + field_number(fields, 15)) / ticks_per_second();  // utime+stime
}

double resident_bytes() {
  std::istringstream statm(read_file("/proc/self/statm"));
  double pages = 0;
  double resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

double open_fds() {
  std::error_code error;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

double max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 0;
  }
  return static_cast<double>(limit.rlim_cur);
}

// Seconds since the epoch: the boot time (btime in /proc/stat) plus the process's start in
// ticks after boot (field 22 of /proc/self/stat). Read once: it never changes.
double start_time() {
  std::istringstream stat(read_file("/proc/stat"));
  double boot = 0;
  for (std::string line; std::getline(stat, line);) {
    if (line.starts_with("btime ")) {
      std::from_chars(line.data() + 6, line.data() + line.size(), boot);
    }
  }
  return boot + field_number(stat_fields(), 22) / ticks_per_second();
}

}  // namespace

Result<void> add_process_metrics(Registry& registry) {
  const double started = start_time();
  const std::pair<FamilySpec, ReadValue> families[] = {
      {{.name = "process_resident_memory_bytes",
        .help = "Resident memory size in bytes.",
        .unit = "bytes",
        .type = Type::kGauge},
       resident_bytes},
      {{.name = "process_cpu_seconds",
        .help = "Total user and system CPU time spent in seconds.",
        .unit = "seconds",
        .type = Type::kCounter},
       cpu_seconds},
      {{.name = "process_open_fds",
        .help = "Number of open file descriptors.",
        .type = Type::kGauge},
       open_fds},
      {{.name = "process_max_fds",
        .help = "Maximum number of open file descriptors.",
        .type = Type::kGauge},
       max_fds},
      {{.name = "process_start_time_seconds",
        .help = "Start time of the process since unix epoch in seconds.",
        .unit = "seconds",
        .type = Type::kGauge},
       [started] { return started; }},
  };
  for (const auto& [spec, read] : families) {
    if (auto added = registry.add_callback(spec, read); !added) {
      return added;
    }
  }
  return {};
}

}  // namespace nexus::obs::metrics

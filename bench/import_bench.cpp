// File import benchmark (issue 8): "a 5 GB CSV imports with peak RSS under 1 GB and throughput
// at least 0.9x DuckDB's own COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet) on the
// same file, in one run."
//
// A plain program (not Google Benchmark: one long run, not repetitions), run by
// bench/import_bench.sh (`make bench-import`):
// 1. checks the scratch folder's free space and shrinks the file when 5 GiB (plus the copies
//    the run makes) does not fit, saying so;
// 2. generates the CSV with DuckDB: COPY (SELECT ... FROM range(N)) with integers, doubles,
//    timestamps, short and long strings, NULLs and a quoted field holding a comma;
// 3. baseline: the DuckDB C API in this process runs
//    COPY (SELECT * FROM read_csv('f.csv')) TO 'base.parquet' (FORMAT parquet, COMPRESSION zstd)
//    and is timed (the Parquet file is then deleted to give its space back);
// 4. Tributary: starts the real `tributary serve` with imports.dir in the scratch folder, runs
//    `tributary import` (the CLI: upload streamed from disk, confirm, follow the events) and
//    times the upload (until the server answered the upload with its preview) and the
//    conversion (from there until the import is ready) apart; reads the server's peak RSS
//    (VmHWM) before stopping it;
// 5. prints the numbers and a PASS/FAIL line per target (peak RSS < 1 GiB; conversion-only and
//    end-to-end throughput >= 0.9x the baseline).
// Exit status: 0 when every target passes, 1 when one fails, 2 on a setup error.
// Thread-safety: single-threaded (apart from DuckDB's own threads).
#include <duckdb.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

struct Options {
  std::string dir = "build/bench-data/import";
  double size_gib = 5.0;
  std::string binary = "build/tributary";
  bool baseline_only = false;
  bool keep_csv = false;
  double rss_limit_gib = 1.0;
  double min_ratio = 0.9;
};

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "import_bench: error: " << message << "\n";
  std::exit(2);
}

void Log(const std::string& message) {
  std::cerr << "import_bench: " << message << std::endl;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string Fixed(double v, int digits = 1) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << v;
  return out.str();
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (a.rfind(name + "=", 0) == 0) return a.substr(name.size() + 1);
      if (a == name && i + 1 < argc) return std::string(argv[++i]);
      return std::nullopt;
    };
    if (auto v = value("--dir")) {
      o.dir = *v;
    } else if (auto v = value("--size-gib")) {
      o.size_gib = std::atof(v->c_str());
    } else if (auto v = value("--binary")) {
      o.binary = *v;
    } else if (a == "--baseline-only") {
      o.baseline_only = true;
    } else if (a == "--keep-csv") {
      o.keep_csv = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: import_bench [--dir DIR] [--size-gib G] [--binary build/tributary]\n"
                   "                    [--baseline-only] [--keep-csv]\n";
      std::exit(0);
    } else {
      Die("unknown argument '" + a + "' (see --help)");
    }
  }
  if (!(o.size_gib > 0)) Die("--size-gib must be positive");
  return o;
}

// ------------------------------------------------------------------ DuckDB

class DuckDb {
 public:
  DuckDb() {
    if (duckdb_open(nullptr, &db_) == DuckDBError || duckdb_connect(db_, &con_) == DuckDBError) {
      Die("cannot open an in-memory DuckDB database");
    }
  }
  ~DuckDb() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  DuckDb(const DuckDb&) = delete;
  DuckDb& operator=(const DuckDb&) = delete;

  void Run(const std::string& sql) {
    duckdb_result result;
    if (duckdb_query(con_, sql.c_str(), &result) == DuckDBError) {
      std::string error = duckdb_result_error(&result);
      duckdb_destroy_result(&result);
      Die("DuckDB: " + error + "\n  in: " + sql);
    }
    duckdb_destroy_result(&result);
  }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

std::string Quote(const std::string& path) {
  std::string out = "'";
  for (char c : path) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

//! The generated rows: every kind of value the issue names, and a field that must be quoted.
std::string GeneratorSelect(uint64_t first, uint64_t end) {
  return "SELECT i AS id, (i % 1000)::INTEGER AS qty, "
         "(hash(i) % 10000000) / 100.0 AS price, "
         "TIMESTAMP '2020-01-01 00:00:00' + to_seconds(i) AS created_at, "
         "'c' || (i % 97)::VARCHAR AS code, "
         "'city ' || (i % 50)::VARCHAR || ', region ' || (i % 7)::VARCHAR AS place, "
         "CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 101) * 0.25 END AS score, "
         "'note ' || md5(i::VARCHAR) || ' the quick brown fox jumps over the lazy dog ' || "
         "(i % 1000003)::VARCHAR AS note "
         "FROM range(" +
         std::to_string(first) + ", " + std::to_string(end) + ") t(i)";
}

uint64_t GenerateCsv(const std::string& path, uint64_t target_bytes) {
  DuckDb db;
  const std::string sample = path + ".sample";
  // Sampled where the ids have as many digits as most of a multi-GB file's rows.
  constexpr uint64_t kSampleFirst = 20'000'000;
  constexpr uint64_t kSampleRows = 200'000;
  db.Run("COPY (" + GeneratorSelect(kSampleFirst, kSampleFirst + kSampleRows) + ") TO " +
         Quote(sample) + " (FORMAT csv, HEADER)");
  const double per_row = static_cast<double>(fs::file_size(sample)) / kSampleRows;
  fs::remove(sample);
  const auto rows = static_cast<uint64_t>(static_cast<double>(target_bytes) / per_row);
  Log("generating " + std::to_string(rows) + " rows (" + Fixed(per_row) + " bytes each) into " +
      path);
  const double t0 = Now();
  db.Run("COPY (" + GeneratorSelect(0, rows) + ") TO " + Quote(path + ".tmp") +
         " (FORMAT csv, HEADER)");
  fs::rename(path + ".tmp", path);
  Log("generated " + Fixed(static_cast<double>(fs::file_size(path)) / kGiB, 2) + " GiB in " +
      Fixed(Now() - t0) + " s");
  return rows;
}

// ------------------------------------------------------------------ processes

struct Child {
  pid_t pid = -1;
  int out_fd = -1;  // the child's stdout, read end
};

Child Spawn(const std::vector<std::string>& args, const std::string& stderr_path) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) Die("pipe: " + std::string(std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child child;
  int rc = posix_spawn(&child.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) Die("cannot start " + args[0] + ": " + std::strerror(rc));
  child.out_fd = pipe_fds[0];
  return child;
}

//! Reads the child's stdout line by line; false at EOF.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  bool Next(std::string* line) {
    while (true) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char chunk[4096];
      ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (buffer_.empty()) return false;
        *line = std::move(buffer_);
        buffer_.clear();
        return true;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

//! A /proc/PID/status field in kB (VmHWM, VmRSS), or 0.
uint64_t ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return 0;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ------------------------------------------------------------------ run

struct TributaryRun {
  bool ok = false;
  double upload_s = 0;
  double convert_s = 0;
  double total_s = 0;
  uint64_t server_hwm_kb = 0;
  uint64_t rows = 0;
  std::string failure;
};

TributaryRun RunTributary(const Options& o, const std::string& scratch, const std::string& csv) {
  TributaryRun run;
  const std::string imports_dir = scratch + "/imports";
  fs::remove_all(imports_dir);
  const std::string one_csv = scratch + "/one.csv";
  std::ofstream(one_csv) << "x\n1\n";
  const std::string config = scratch + "/bench.yaml";
  std::ofstream(config) << "imports:\n"
                           "  dir: "
                        << imports_dir
                        << "\n"
                           "  max_upload_bytes: 1099511627776\n"
                           "  min_free_bytes: 268435456\n"
                           "sources:\n"
                           "  files:\n"
                           "    type: duckdb\n"
                           "    tables:\n"
                           "      one: "
                        << one_csv
                        << "\n"
                           "projects:\n"
                           "  bench:\n"
                           "    sources: [files]\n";
  const std::string server_log = scratch + "/server.log";
  Child server = Spawn(
      {o.binary, "serve", "--config", config, "--listen", "127.0.0.1:0", "--no-web"}, server_log);
  LineReader server_out(server.out_fd);
  std::string line;
  std::string url;
  while (server_out.Next(&line)) {
    const std::string marker = "listening on ";
    size_t at = line.find(marker);
    if (at != std::string::npos) {
      url = line.substr(at + marker.size());
      break;
    }
  }
  if (url.empty()) {
    waitpid(server.pid, nullptr, 0);
    run.failure = "the server did not start:\n" + ReadFileText(server_log);
    return run;
  }
  Log("server " + std::to_string(server.pid) + " on " + url + " (log " + server_log + ")");

  const std::string cli_log = scratch + "/import-cli.log";
  const double t0 = Now();
  Child cli = Spawn(
      {o.binary, "import", csv, "--server", url, "--project", "bench", "--name", "bench_import"},
      cli_log);
  LineReader cli_out(cli.out_fd);
  double t_uploaded = 0;
  double t_ready = 0;
  std::string output;
  while (cli_out.Next(&line)) {
    output += line + "\n";
    if (line.rfind("uploaded ", 0) == 0) t_uploaded = Now();
    if (line.rfind("ready: ", 0) == 0) {
      t_ready = Now();
      // "ready: source 'bench_import', 1 table, N rows, ..."
      size_t rows_at = line.find(" rows,");
      size_t start = line.rfind(", ", rows_at);
      if (rows_at != std::string::npos && start != std::string::npos) {
        run.rows = std::strtoull(line.c_str() + start + 2, nullptr, 10);
      }
    }
  }
  int status = 0;
  waitpid(cli.pid, &status, 0);
  close(cli.out_fd);
  run.server_hwm_kb = ProcStatusKb(server.pid, "VmHWM");
  kill(server.pid, SIGTERM);
  waitpid(server.pid, nullptr, 0);
  close(server.out_fd);
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (exit_code != 0 || t_ready == 0) {
    run.failure = "tributary import exited with " + std::to_string(exit_code) + ":\n" + output +
                  ReadFileText(cli_log);
    return run;
  }
  run.ok = true;
  run.upload_s = t_uploaded - t0;
  run.convert_s = t_ready - t_uploaded;
  run.total_s = t_ready - t0;
  fs::remove_all(imports_dir);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  if (ec) Die("cannot create " + o.dir + ": " + ec.message());
  const std::string scratch = fs::absolute(o.dir).lexically_normal().string();
  if (!o.baseline_only && access(o.binary.c_str(), X_OK) != 0) {
    Die(o.binary + " is not an executable: build it first (make bench-import does)");
  }
  const std::string binary = fs::absolute(o.binary).string();
  o.binary = binary;

  // Disk: the CSV, then at most the upload's copy of it plus a Parquet file (the baseline's
  // Parquet is deleted before Tributary runs), plus the server's min_free_bytes and a margin.
  auto target = static_cast<uint64_t>(o.size_gib * kGiB);
  const std::string csv = scratch + "/import-bench-" + std::to_string(target) + ".csv";
  struct statvfs vfs {};
  if (statvfs(scratch.c_str(), &vfs) != 0) Die("statvfs " + scratch);
  const double free_bytes = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize);
  const bool have_csv = fs::exists(csv);
  const double factor = o.baseline_only ? 1.6 : 2.6;  // Parquet is well under 0.6x the CSV
  const double margin = 1.5 * kGiB;
  const double needed = (have_csv ? factor - 1 : factor) * static_cast<double>(target) + margin;
  Log("free space in " + scratch + ": " + Fixed(free_bytes / kGiB, 1) + " GiB; needed for " +
      Fixed(o.size_gib, 2) + " GiB: " + Fixed(needed / kGiB, 1) + " GiB");
  std::string size_note;
  if (needed > free_bytes) {
    if (have_csv) Die("not enough free space even with the existing CSV; free some or --dir");
    const double fits = (free_bytes - margin) / factor;
    if (fits < 0.1 * kGiB) Die("not enough free space in " + scratch + " for even 0.1 GiB");
    size_note = "NOTE: " + Fixed(o.size_gib, 2) + " GiB does not fit in " +
                Fixed(free_bytes / kGiB, 1) + " GiB free; ran with " + Fixed(fits / kGiB, 2) +
                " GiB instead";
    Log(size_note);
    target = static_cast<uint64_t>(fits);
  }
  const std::string csv_path =
      have_csv ? csv : scratch + "/import-bench-" + std::to_string(target) + ".csv";
  if (!fs::exists(csv_path)) GenerateCsv(csv_path, target);
  const double csv_bytes = static_cast<double>(fs::file_size(csv_path));

  // Baseline: DuckDB's own COPY in this process.
  const std::string base_parquet = scratch + "/base.parquet";
  double base_s = 0;
  double base_parquet_bytes = 0;
  {
    Log("baseline: DuckDB COPY read_csv -> Parquet (zstd)");
    DuckDb db;
    const double t0 = Now();
    db.Run("COPY (SELECT * FROM read_csv(" + Quote(csv_path) + ")) TO " + Quote(base_parquet) +
           " (FORMAT parquet, COMPRESSION zstd)");
    base_s = Now() - t0;
    base_parquet_bytes = static_cast<double>(fs::file_size(base_parquet));
    fs::remove(base_parquet);
  }
  const uint64_t bench_hwm_kb = ProcStatusKb(getpid(), "VmHWM");
  const double base_mbps = csv_bytes / 1e6 / base_s;

  std::cout << "\nimport benchmark: " << csv_path << "\n";
  if (!size_note.empty()) std::cout << size_note << "\n";
  std::cout << "file:       " << Fixed(csv_bytes / kGiB, 2) << " GiB (" << Fixed(csv_bytes / 1e6, 0)
            << " MB)\n";
  std::cout << "baseline:   " << Fixed(base_s, 1) << " s, " << Fixed(base_mbps, 1)
            << " MB/s (DuckDB C API COPY ... (FORMAT parquet, COMPRESSION zstd); Parquet "
            << Fixed(base_parquet_bytes / kMiB, 0) << " MiB; this process peak RSS "
            << Fixed(static_cast<double>(bench_hwm_kb) / 1024, 0) << " MiB)\n";
  int exit_code = 0;
  if (!o.baseline_only) {
    Log("tributary: serve + import");
    TributaryRun run = RunTributary(o, scratch, csv_path);
    if (!run.ok) {
      std::cout << "tributary:  FAILED\n" << run.failure << "\n";
      exit_code = 1;
    } else {
      const double rss_mib = static_cast<double>(run.server_hwm_kb) / 1024;
      const double convert_ratio = base_s / run.convert_s;
      const double total_ratio = base_s / run.total_s;
      std::cout << "tributary:  " << Fixed(run.total_s, 1) << " s end to end ("
                << Fixed(csv_bytes / 1e6 / run.total_s, 1) << " MB/s) = upload+sniff "
                << Fixed(run.upload_s, 1) << " s (" << Fixed(csv_bytes / 1e6 / run.upload_s, 1)
                << " MB/s) + confirm+convert " << Fixed(run.convert_s, 1) << " s ("
                << Fixed(csv_bytes / 1e6 / run.convert_s, 1) << " MB/s); " << run.rows << " rows\n";
      std::cout << "peak RSS:   server " << Fixed(rss_mib, 0) << " MiB (VmHWM)\n";
      auto verdict = [&](bool pass, const std::string& what) {
        std::cout << (pass ? "PASS " : "FAIL ") << what << "\n";
        if (!pass) exit_code = 1;
      };
      verdict(rss_mib < o.rss_limit_gib * 1024, "peak RSS " + Fixed(rss_mib, 0) + " MiB < " +
                                                    Fixed(o.rss_limit_gib * 1024, 0) + " MiB");
      verdict(convert_ratio >= o.min_ratio,
              "conversion-only throughput " + Fixed(convert_ratio, 2) +
                  "x DuckDB's COPY (>= " + Fixed(o.min_ratio, 1) + "x)");
      verdict(total_ratio >= o.min_ratio,
              "end-to-end throughput (upload included) " + Fixed(total_ratio, 2) +
                  "x DuckDB's COPY (>= " + Fixed(o.min_ratio, 1) + "x)");
    }
  }
  std::cout << "load average: " << ReadFileText("/proc/loadavg");
  if (!o.keep_csv) fs::remove(csv_path);
  return exit_code;
}

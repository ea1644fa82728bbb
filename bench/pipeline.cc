// bench/pipeline: the write path end to end, HTTP to canonical contact. Starts canond (the binary beside this one)
// on its default setup (etc/canond.toml's settings: 2 I/O threads, 1 inbox writer, 2 workers of 256 rows) against
// the database given, posts distinct generated people (every tenth a second record of an earlier one, written
// otherwise: tests/contacts_gen.h) as web forms to /ingest/website over keep-alive connections, and runs the clock
// until the last inbox row is processed. Prints, for an empty store and for a store already holding --prefill
// contacts (imported beforehand through the CSV import path, pipeline::ImportCsvFile, as `canonctl import` does):
//   - end to end: records written per second, first POST to last inbox row done;
//   - intake: 202s per second, first POST to last 202 (the workers run meanwhile, as they do in production);
//   - COPY of the same rows (the form's columns as CSV) into a bare table, measured in the same run, and the ratios;
//   - PostgreSQL server time per record written, per statement, from pg_stat_statements (when the server loads
//     it: shared_preload_libraries = 'pg_stat_statements', as scripts/bench starts its cluster), beside COPY's,
//     with the shared buffers each touched and the WAL it wrote per record (its work, which the machine's load
//     does not move as it moves the time);
//   - the CPU time of canond and of the PostgreSQL backends serving it, per record;
//   - the write floor: the rows the run stored written again by the server alone (INSERT … SELECT into tables of
//     the same indexes holding the store's other rows, so at the store's size), the least server time and WAL that
//     storing those rows costs; --floor 0 leaves it out (with 1,000,000 stored, filling the copies takes minutes).
// Every status is checked: the POSTs' (503s are retried after a pause, other answers fail the run), COPY's, the
// inbox rows' (none failed), the dead letters (none), the source records (one per accepted POST).
//
//   bench_pipeline --db CONNINFO [--people 50000] [--prefill 1000000] [--connections 64] [--canond PATH]
//                  [--nodes N] [--cases empty,prefilled] [--timeout SECONDS] [--perf DIR]
// --set 'key = value' adds a line to each canond's config after the defaults (e.g. --set 'worker_batch = 128'),
// for tuning runs; the settings are printed in the header.
// --nodes N starts N canond processes (each on etc/canond.toml's settings) against the one database and spreads the
// connections over them: the combined rate of N nodes, with the machine's busy share to tell what bound it.
// --perf DIR records `perf record -g` profiles of canond and of its PostgreSQL backends during the run into DIR.
// Tuning runs at 1,000,000 stored without a 5-minute prefill each: `--prefill-only 1` resets the store, prefills it
// and exits; copy that database (`createdb -T`) and give the copy to `--reuse-store 1`, whose prefilled case takes
// the store as it finds it (migrated to this build's schema, vacuumed, analyzed and checkpointed as after a prefill).
// The database must be a scratch one: the bench drops and recreates its public schema.
#include <libpq-fe.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/copy_rows.h"
#include "bench/machine.h"
#include "bench/write_floor.h"
#include "connectors/rule_dir.h"
#include "pipeline/csv_import.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "tests/contacts_gen.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "bench_pipeline: %s\n", why.c_str());
  std::exit(1);
}

double Since(Clock::time_point t0, Clock::time_point t1 = Clock::now()) {
  return std::chrono::duration<double>(t1 - t0).count();
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else if (c == ' ') out += '+';
    else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The posted people: form bodies, and the same rows as CSV for COPY.
struct Workload {
  std::vector<std::string> bodies;
  std::string csv;
  long people = 0, seconds = 0;
};

Workload MakeWorkload(long rows) {
  Workload w;
  contacts_gen::ContactStream stream(0);
  for (long i = 0; i < rows; ++i) {
    contacts_gen::ContactRow r = stream.Next();
    (r.second ? w.seconds : w.people) += 1;
    std::string b;
    auto add = [&](const char* name, const std::string& v) {
      if (v.empty()) return;
      if (!b.empty()) b += '&';
      b += name;
      b += '=';
      b += UrlEncode(v);
    };
    add("email", r.email);
    add("first_name", r.first_name);
    add("last_name", r.last_name);
    add("phone", r.phone);
    add("company", r.company);
    add("city", r.city);
    add("postal_code", r.postal_code);
    add("country", r.country);
    // A third of web forms arrive from a paid campaign's landing page: attribution is derived from it.
    std::string page = i % 3 == 0 ? "https://www.example.com/contact?utm_source=google&utm_medium=cpc&utm_campaign=c" +
                                        std::to_string(i % 40)
                                  : "https://www.example.com/contact";
    add("page_url", page);
    w.bodies.push_back(std::move(b));
    auto q = [](const std::string& v) { return "\"" + v + "\""; };  // no generated value holds a quote
    w.csv += q(r.email) + "," + q(r.first_name) + "," + q(r.last_name) + "," + q(r.phone) + "," + q(r.company) + "," +
             q(r.city) + "," + q(r.postal_code) + "," + q(r.country) + "," + q(page) + "\n";
  }
  return w;
}

// --- load generator: keep-alive connections that take the next body until none is left ---

struct Load {
  const std::vector<std::string>* bodies = nullptr;
  std::atomic<long> next{0};
  long long accepted = 0, retried = 0, failed = 0;
  std::string first_failure;
  Clock::time_point last_accept;
};

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(net::io_context& ioc, uint16_t port, Load& load) : stream_(ioc), timer_(ioc), port_(port), load_(load) {}
  void Start() {
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_),
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) return self->Broken("connect: " + ec.message());
                            self->Take();
                          });
  }

 private:
  void Take() {
    current_ = load_.next.fetch_add(1);
    if (current_ >= static_cast<long>(load_.bodies->size())) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    Send();
  }
  void Send() {
    req_ = {http::verb::post, "/ingest/website", 11};
    req_.set(http::field::host, "127.0.0.1");
    req_.set(http::field::content_type, "application/x-www-form-urlencoded");
    req_.body() = (*load_.bodies)[static_cast<size_t>(current_)];
    req_.prepare_payload();
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Broken("write: " + ec.message());
      self->res_ = {};
      http::async_read(self->stream_, self->buf_, self->res_, [self](beast::error_code ec, size_t) {
        if (ec) return self->Broken("read: " + ec.message());
        self->Answered();
      });
    });
  }
  void Answered() {
    unsigned status = res_.result_int();
    if (status == 202) {
      ++load_.accepted;
      load_.last_accept = Clock::now();
      return Take();
    }
    if (status == 503) {  // back-pressure: the same body again after a pause, as a sender would
      ++load_.retried;
      timer_.expires_after(std::chrono::milliseconds(100));
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Send(); });
      return;
    }
    ++load_.failed;
    if (load_.first_failure.empty()) load_.first_failure = std::to_string(status) + " " + res_.body();
    Take();
  }
  void Broken(const std::string& why) {
    ++load_.failed;
    if (load_.first_failure.empty()) load_.first_failure = why;
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  uint16_t port_;
  Load& load_;
  long current_ = 0;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  beast::flat_buffer buf_;
};

// --- canond as a child process ---

uint16_t FreePort() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// A blocking GET on loopback: the status (0 when the request failed) and, when asked, the body.
int HttpGet(uint16_t port, const std::string& target, std::string* body = nullptr) {
  try {
    net::io_context ioc;
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    if (body) *body = std::move(res.body());
    return static_cast<int>(res.result_int());
  } catch (const std::exception&) {
    return 0;
  }
}

struct Daemon {
  pid_t pid = -1;
  uint16_t port = 0;
  std::string dir, log;
};

Daemon StartCanond(const std::string& bin, const std::string& db, const std::vector<std::string>& settings) {
  Daemon d;
  d.port = FreePort();
  char tmpl[] = "/tmp/canon-bench-pipeline.XXXXXX";
  d.dir = mkdtemp(tmpl);
  d.log = d.dir + "/canond.log";
  std::string config = d.dir + "/canond.toml";
  {
    // etc/canond.toml's settings, with this run's port, database and the source tree's rules.
    std::ofstream f(config);
    f << "listen = \"127.0.0.1:" << d.port << "\"\n"
      << "database = \"" << db << "\"\n"
      << "rules_dir = \"" << CANON_SOURCE_DIR << "/rules\"\n"
      << "migrations_dir = \"" << CANON_SOURCE_DIR << "/schemas/migrations\"\n";
    auto key = [](const std::string& line) {
      std::string k = line.substr(0, line.find('='));
      k.erase(k.find_last_not_of(" \t") + 1);
      return k.substr(k.find_first_not_of(" \t") == std::string::npos ? 0 : k.find_first_not_of(" \t"));
    };
    // The default setup's tuning lines, read from etc/canond.toml itself (so a default changed there is the one
    // measured), each replaced by a --set line of the same key (TOML refuses a key given twice).
    std::vector<std::string> lines;
    {
      std::ifstream defaults(CANON_SOURCE_DIR "/etc/canond.toml");
      for (std::string line; std::getline(defaults, line);) {
        const std::string k = key(line);
        if (k == "workers" || k == "worker_batch" || k == "writer_connections" || k == "max_body_bytes")
          lines.push_back(line);
      }
      if (lines.size() != 4)
        Fail("etc/canond.toml: expected workers, worker_batch, writer_connections and max_body_bytes");
    }
    for (const std::string& set : settings) {
      auto same = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return key(l) == key(set); });
      if (same != lines.end()) *same = set;
      else lines.push_back(set);
    }
    for (const std::string& line : lines) f << line << "\n";
  }
  d.pid = fork();
  if (d.pid < 0) Fail("fork failed");
  if (d.pid == 0) {
    if (chdir(d.dir.c_str()) != 0) _exit(126);  // relative drop folders land in the temp dir
    FILE* lf = std::fopen(d.log.c_str(), "w");
    if (lf) {
      dup2(fileno(lf), 1);
      dup2(fileno(lf), 2);
    }
    unsetenv("CANON_DB");
    execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600; ++i) {
    if (HttpGet(d.port, "/healthz") == 200) return d;
    if (waitpid(d.pid, nullptr, WNOHANG) == d.pid) Fail(bin + " exited at start-up; see " + d.log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Fail(bin + " did not become healthy; see " + d.log);
}

// One counter of a node's /metrics; -1 when it cannot be read.
double MetricValue(uint16_t port, const std::string& name) {
  std::string body;
  if (HttpGet(port, "/metrics", &body) != 200) return -1;
  size_t at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atof(body.c_str() + at + name.size() + 2);
}

// user + system CPU seconds of a process so far.
double CpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t p = s.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream in(s.substr(p + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i)
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The machine's 1-minute load average: other work on a shared machine moves the figures.
std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string one;
  f >> one;
  return one;
}

int StopProcess(pid_t pid, int sig) {
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

pid_t StartPerf(const std::string& out, const std::string& pids) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execlp("perf", "perf", "record", "-g", "-o", out.c_str(), "-p", pids.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// --- the store ---

std::unique_ptr<canon::store::PgConn> Connect(const std::string& db) {
  auto c = canon::store::PgConn::Connect(db);
  if (!c.ok()) Fail(c.status().ToString());
  return std::move(*c);
}

canon::store::PgResult Must(canon::store::PgConn& c, const std::string& sql) {
  auto r = c.Exec(sql);
  if (!r.ok()) Fail(sql.substr(0, 60) + ": " + r.status().ToString());
  return std::move(*r);
}

long long Count(canon::store::PgConn& c, const std::string& sql) { return Must(c, sql).Int(0, 0); }

// COPY of the workload's rows into a bare table with the form's columns.
double CopyRows(canon::store::PgConn& c, const Workload& w) {
  std::istringstream csv(w.csv);
  return bench::CopyRows(c, "bench_copy",
                         "email text, first_name text, last_name text, phone text, company text, city text, "
                         "postal_code text, country text, page_url text",
                         "FORMAT csv", csv, static_cast<long>(w.bodies.size()));
}

// CPU seconds so far of every client backend of this database but the bench's own, by pid (the server runs on
// this machine). Their sum over a run is PostgreSQL's work without the waits total_exec_time counts.
std::map<int, double> BackendCpu(canon::store::PgConn& c) {
  auto r = Must(c, "SELECT /* bench */ pid FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
  std::map<int, double> out;
  for (int i = 0; i < r.rows(); ++i) {
    int pid = static_cast<int>(r.Int(i, 0));
    out[pid] = CpuSeconds(pid);
  }
  return out;
}

void ResetStatements(canon::store::PgConn& c) { Must(c, "SELECT /* bench */ pg_stat_statements_reset()"); }

// The write floor of the run (bench/write_floor.h): the rows it stored in the inbox, source records, contacts,
// members, keys and term counts, written again by INSERT … SELECT alone.
void PrintWriteFloor(canon::store::PgConn& c, double n, long long run_xid) {
  bench::WriteFloor f = bench::MeasureWriteFloor(
      c, {"inbox", "source_record", "contact", "entity_member", "match_key", "term_count"}, n, run_xid,
      "bench_pipeline");
  std::printf("  %s\n", f.Line().c_str());
}

// --- one case ---

struct Args {
  std::string db, canond, perf_dir;
  std::vector<std::string> settings;  // --set "key = value": canond.toml lines after the defaults (a tuning run)
  long people = 50000, prefill = 1000000;
  int connections = 64;
  int nodes = 1;  // canond processes against the one database; connection i posts to node i % nodes
  double timeout = 1800;
  bool run_empty = true, run_prefilled = true;
  bool prefill_only = false, reuse_store = false;
  bool floor = true;  // --floor 0 leaves the write floor out (minutes with 1,000,000 stored)
};

void ResetStore(canon::store::PgConn& c, bool statements) {
  Must(c, "DROP SCHEMA public CASCADE");
  Must(c, "CREATE SCHEMA public");
  if (statements) Must(c, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  auto m = canon::store::Migrate(c, CANON_SOURCE_DIR "/schemas/migrations");
  if (!m.ok()) Fail("migrate: " + m.status().ToString());
}

// What autovacuum would do over the next minutes, done now so the measured run does not pay for the import. Not
// the inbox, which the CSV path leaves empty: analyzed empty, the planner would take it for empty while the run
// fills it, and the foreign key check of every source record would scan it (seen: 2.4 ms per record).
void Settle(canon::store::PgConn& c) {
  Must(c, "VACUUM ANALYZE source_record, contact, entity_member, match_key, term_count, quarantine, csv_import");
  Must(c, "CHECKPOINT");
}

void Prefill(canon::store::PgConn& c, long rows, long offset) {
  auto rules = canon::LoadRuleDir(CANON_SOURCE_DIR "/rules");
  if (!rules.ok()) Fail("rules: " + rules.status().ToString());
  char tmpl[] = "/tmp/canon-bench-prefill.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/prefill.csv";
  contacts_gen::WriteContactsCsv(path, rows, offset);
  canon::pipeline::ImportOptions opts;
  std::shared_ptr<const canon::RuleSet> rs = *rules;
  opts.rules = [rs] { return rs; };
  auto t0 = Clock::now();
  auto r = canon::pipeline::ImportCsvFile(c, "contacts_csv", path, opts);
  double s = Since(t0);
  std::filesystem::remove_all(dir);
  if (!r.ok() || r->status != "done")
    Fail("prefill import: " + (r.ok() ? r->status + " " + r->error : r.status().ToString()));
  if (r->progress.rows_ok != rows) Fail("prefill wrote " + std::to_string(r->progress.rows_ok) + " rows of " +
                                        std::to_string(rows));
  auto t1 = Clock::now();
  Settle(c);
  std::printf("  prefill: %ld rows through the CSV import path (pipeline::ImportCsvFile, as canonctl import) in "
              "%.1f s = %.0f rows/s; %lld contacts; VACUUM ANALYZE + CHECKPOINT %.1f s\n",
              rows, s, rows / s, Count(c, "SELECT count(*) FROM contact WHERE merged_into IS NULL"), Since(t1));
}

void RunCase(const Args& a, const Workload& w, long prefill) {
  auto c = Connect(a.db);
  bool stats = bench::HaveStatements(*c);
  const bool reuse = prefill && a.reuse_store;
  if (!reuse) ResetStore(*c, stats);
  std::printf("case: %s (load average before: %s; the server's shared memory in huge pages: %s)\n",
              prefill ? ("store holding " + std::to_string(prefill) + " records" + (reuse ? ", reused" : "")).c_str()
                      : "empty store",
              LoadAverage().c_str(), bench::ServerHugePages(*c).c_str());
  if (reuse) {
    auto m = canon::store::Migrate(*c, CANON_SOURCE_DIR "/schemas/migrations");
    if (!m.ok()) Fail("migrate: " + m.status().ToString());
    Settle(*c);
    if (Count(*c, "SELECT count(*) FROM source_record") != prefill || Count(*c, "SELECT count(*) FROM inbox") != 0)
      Fail("--reuse-store: the store does not hold exactly " + std::to_string(prefill) +
           " prefilled records and an empty inbox (give it a copy of a --prefill-only store)");
  } else if (prefill) {
    Prefill(*c, prefill, 100000000);  // other people than the posted ones
  }
  if (a.prefill_only) return;
  long long contacts0 = Count(*c, "SELECT count(*) FROM contact WHERE merged_into IS NULL");

  // COPY of the same rows first, on a quiet server.
  if (stats) ResetStatements(*c);
  double copy_s = CopyRows(*c, w);
  double copy_server_ms = 0;
  if (stats)
    for (const auto& st : bench::ReadStatements(*c))
      if (st.query.rfind("COPY bench_copy", 0) == 0) copy_server_ms += st.ms;
  Must(*c, "DROP TABLE bench_copy");

  std::vector<Daemon> nodes;
  for (int i = 0; i < a.nodes; ++i) nodes.push_back(StartCanond(a.canond, a.db, a.settings));
  std::string node_pids;
  for (const Daemon& d : nodes) node_pids += (node_pids.empty() ? "" : ",") + std::to_string(d.pid);
  auto nodes_cpu = [&] {
    double s = 0;
    for (const Daemon& d : nodes) s += CpuSeconds(d.pid);
    return s;
  };
  std::vector<pid_t> perf;
  if (!a.perf_dir.empty()) {
    auto backends = Must(*c, "SELECT /* bench */ string_agg(pid::text, ',') FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
    std::string tag = prefill ? "prefilled" : "empty";
    if (a.nodes > 1) tag += "-" + std::to_string(a.nodes) + "nodes";
    perf.push_back(StartPerf(a.perf_dir + "/canond-" + tag + ".data", node_pids));
    perf.push_back(StartPerf(a.perf_dir + "/postgres-" + tag + ".data", backends.Str(0, 0)));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (stats) ResetStatements(*c);
  // Row versions with an xmin from here on are the run's (the write floor below); the bench's own counts until
  // then write nothing, and canond's startup (migrations, already applied) wrote none of the floor's tables.
  const long long run_xid = Count(*c, "SELECT /* bench */ txid_current() % 4294967296");
  double canond_cpu0 = nodes_cpu();
  std::map<int, double> backends0 = BackendCpu(*c);
  auto machine0 = bench::MachineJiffies();
  rusage self0{};
  getrusage(RUSAGE_SELF, &self0);

  Load load;
  load.bodies = &w.bodies;
  std::atomic<bool> posted{false};
  auto t0 = Clock::now();
  std::thread driver([&] {
    net::io_context ioc;
    for (int i = 0; i < a.connections; ++i)
      std::make_shared<Conn>(ioc, nodes[static_cast<size_t>(i % a.nodes)].port, load)->Start();
    ioc.run();
    posted = true;
  });
  // The clock runs until no inbox row is pending once every POST is answered. The count is asked only then, and
  // seldom while many rows remain: each count walks the pending index's entries of rows done since the last vacuum
  // (counting every 20 ms from the first POST took 1.8 s of server CPU in a 13.5 s run, 1,640 buffers a count).
  Clock::time_point done;
  long long pending = -1;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pending > 2000 ? 200 : 10));
    if (Since(t0) > a.timeout) Fail("timed out with " + std::to_string(pending) + " inbox rows pending");
    if (!posted.load()) continue;
    pending = Count(*c, "SELECT /* bench */ count(*) FROM inbox WHERE status = 'pending'");
    if (pending == 0) {
      done = Clock::now();
      break;
    }
  }
  driver.join();
  double canond_cpu = nodes_cpu() - canond_cpu0;
  auto machine1 = bench::MachineJiffies();
  double backend_cpu = 0;  // a backend that started during the run counts from zero
  for (const auto& [pid, seconds] : BackendCpu(*c)) backend_cpu += seconds - (backends0.count(pid) ? backends0[pid] : 0);
  rusage self1{};
  getrusage(RUSAGE_SELF, &self1);
  auto cpu = [](const rusage& u) {
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  for (pid_t p : perf) StopProcess(p, SIGINT);
  double deferred = 0;  // rows a worker stepped aside (a key another batch held) and claimed again
  for (const Daemon& d : nodes) deferred += MetricValue(d.port, "canon_worker_deferred_total");
  std::vector<bench::StatementTime> statements;
  if (stats) statements = bench::ReadStatements(*c);
  for (const Daemon& d : nodes) {
    int code = StopProcess(d.pid, SIGTERM);
    if (code != 0) Fail("canond exited " + std::to_string(code) + "; see " + d.log);
  }

  if (load.failed) Fail(std::to_string(load.failed) + " POSTs failed; the first: " + load.first_failure);
  long long failed = Count(*c, "SELECT count(*) FROM inbox WHERE status <> 'done'");
  long long dead = Count(*c, "SELECT count(*) FROM dead_letter");
  long long records = Count(*c, "SELECT count(*) FROM source_record WHERE source = 'website'");
  long long contacts = Count(*c, "SELECT count(*) FROM contact WHERE merged_into IS NULL") - contacts0;
  long long reviews = Count(*c, "SELECT count(*) FROM merge_candidate");
  if (failed || dead) Fail(std::to_string(failed) + " inbox rows not done, " + std::to_string(dead) + " dead letters");
  if (records != load.accepted)
    Fail(std::to_string(records) + " source records for " + std::to_string(load.accepted) + " accepted POSTs");
  for (const Daemon& d : nodes) std::filesystem::remove_all(d.dir);

  double e2e_s = Since(t0, done), intake_s = Since(t0, load.last_accept);
  double n = static_cast<double>(records);
  double copy_rate = n / copy_s, e2e = n / e2e_s, intake = load.accepted / intake_s;
  std::printf("  end to end: %lld records in %.2f s = %.0f records/s (%.4fx COPY)\n", records, e2e_s, e2e,
              e2e / copy_rate);
  std::printf("  intake:     %lld accepted in %.2f s = %.0f accepted/s (%.4fx COPY), %lld 503s retried\n",
              load.accepted, intake_s, intake, intake / copy_rate, load.retried);
  std::printf("  COPY:       %ld rows into a bare table in %.3f s = %.0f rows/s\n", static_cast<long>(w.bodies.size()),
              copy_s, copy_rate);
  std::printf("  outcome:    %lld new contacts, %lld review pairs (the posted rows hold %ld people and %ld second "
              "records); 0 failed, 0 dead letters\n",
              contacts, reviews, w.people, w.seconds);
  std::printf("  deferred:   %.0f inbox rows stepped aside (another batch held a key) and claimed again\n", deferred);
  std::printf("  CPU:        canond %.1f s (%.0f us/record)%s, PostgreSQL's backends of canond %.1f s (%.0f us/record), "
              "load generator %.1f s, over %.1f s on %u cores (load average after: %s)\n",
              canond_cpu, canond_cpu * 1e6 / n, a.nodes > 1 ? (", " + std::to_string(a.nodes) + " nodes together").c_str() : "",
              backend_cpu, backend_cpu * 1e6 / n, cpu(self1) - cpu(self0), e2e_s,
              std::thread::hardware_concurrency(), LoadAverage().c_str());
  // The machine's busy share over the run (every process, the bench's own included): near 100% the run was bound
  // by the CPU, whatever else it waited for; well below, by waits (locks, round trips, the WAL flush).
  double busy = (machine1.first - machine0.first) / std::max(1.0, machine1.second - machine0.second);
  std::printf("  machine:    %.0f%% of %u cores busy from first POST to last row (every process; /proc/stat); "
              "canond + its backends + load generator = %.0f us of CPU per record\n",
              busy * 100, std::thread::hardware_concurrency(),
              (canond_cpu + backend_cpu + cpu(self1) - cpu(self0)) * 1e6 / n);
  if (a.floor) PrintWriteFloor(*c, n, run_xid);
  if (!stats) {
    std::printf("  server time: pg_stat_statements is not loaded (shared_preload_libraries); scripts/bench loads it\n");
    return;
  }
  // total_exec_time counts a statement's waits (locks, CPU on a busy machine) as well as its work; the buffers it
  // touched and the WAL it wrote are its work alone, and move little with the machine's load.
  std::printf("  PostgreSQL server time per record written (pg_stat_statements total_exec_time, waits included, / %lld "
              "records), with shared buffers touched and WAL bytes written per record:\n",
              records);
  std::printf("    %10s %10s %10s %8s %8s  %s\n", "calls", "total ms", "us/record", "buf/rec", "WAL/rec", "statement");
  double sum = 0, blocks = 0, wal = 0;
  for (const auto& st : statements) {
    sum += st.ms;
    blocks += st.blocks;
    wal += st.wal_bytes;
    if (st.ms * 1000 / n < 0.05) continue;  // the rest are in the sum
    std::printf("    %10lld %10.0f %10.2f %8.1f %8.0f  %s\n", st.calls, st.ms, st.ms * 1000 / n, st.blocks / n,
                st.wal_bytes / n, st.query.c_str());
  }
  std::printf("    %10s %10.0f %10.2f %8.1f %8.0f  sum of %zu statements\n", "", sum, sum * 1000 / n, blocks / n,
              wal / n, statements.size());
  std::printf("    %10s %10.0f %10.2f %8s %8s  COPY of the same rows into a bare table (us/row)\n", "", copy_server_ms,
              copy_server_ms * 1000 / n, "", "");
  // The same sums in words, for whoever reads them by column (the buffers beside the µs were once taken for them).
  std::printf("  server time: %.1f us per record written, over %zu statements; %.1f shared buffers and %.0f WAL "
              "bytes per record; COPY %.2f us per row\n",
              sum * 1000 / n, statements.size(), blocks / n, wal / n, copy_server_ms * 1000 / n);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes: a prefilled case runs for minutes
  Args a;
  {
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) a.canond = std::filesystem::path(std::string(self, static_cast<size_t>(len))).parent_path() / "canond";
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--db") a.db = v;
    else if (k == "--people") a.people = std::atol(v.c_str());
    else if (k == "--prefill") a.prefill = std::atol(v.c_str());
    else if (k == "--connections") a.connections = std::atoi(v.c_str());
    else if (k == "--nodes") a.nodes = std::atoi(v.c_str());
    else if (k == "--set") a.settings.push_back(v);
    else if (k == "--canond") a.canond = std::filesystem::absolute(v);  // canond runs in a directory of its own
    else if (k == "--timeout") a.timeout = std::atof(v.c_str());
    else if (k == "--perf") a.perf_dir = v;
    else if (k == "--prefill-only") a.prefill_only = v == "1";
    else if (k == "--reuse-store") a.reuse_store = v == "1";
    else if (k == "--floor") a.floor = v != "0";
    else if (k == "--cases") {
      a.run_empty = v.find("empty") != std::string::npos;
      a.run_prefilled = v.find("prefilled") != std::string::npos;
    } else {
      std::fprintf(stderr, "bench_pipeline: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.db.empty() && std::getenv("CANON_DB")) a.db = std::getenv("CANON_DB");
  if (a.db.empty() || a.people <= 0 || a.nodes < 1 || a.nodes > a.connections) {
    std::fprintf(stderr, "usage: bench_pipeline --db CONNINFO [--people N] [--prefill N] [--connections N] "
                         "[--canond PATH] [--nodes N] [--set 'key = value'] [--cases empty,prefilled] [--timeout S] [--perf DIR] "
                         "[--prefill-only 1] [--reuse-store 1] [--floor 0]\n");
    return 2;
  }
  Workload w = MakeWorkload(a.people);
  std::printf("bench/pipeline: %ld web forms (%ld people, %ld second records) over %d keep-alive connections to "
              "%d canond node%s on its default setup, %u cores\n",
              a.people, w.people, w.seconds, a.connections, a.nodes, a.nodes > 1 ? "s (connections spread evenly)" : "",
              std::thread::hardware_concurrency());
  for (const std::string& line : a.settings) std::printf("  canond setting: %s\n", line.c_str());
  if (a.prefill_only) {
    RunCase(a, w, a.prefill);
    return 0;
  }
  if (a.run_empty) RunCase(a, w, 0);
  if (a.run_prefilled && a.prefill > 0) RunCase(a, w, a.prefill);
  return 0;
}

// bench/soak: a fixed rate of distinct web-form posts into a real canond child process for a long time (issue 17,
// item 6). Every minute it prints throughput, p50 and p99 latency (from each request's scheduled time, so a
// stall counts against it), the inbox backlog (pending rows), and the daemon's resident memory and open file
// descriptors from /proc: memory and descriptors must level off.
//
//   bench_soak --db CONNINFO [--minutes 10] [--rate R] [--connections 16] [--max-seconds 20] [--canond PATH]
// Without --rate it first measures the maximum for --max-seconds (every connection posting as fast as answers
// come, workers running) as the lesser of the rate intake accepted and the rate the workers finished rows, waits
// for the backlog to drain, and then runs at half of it. The database should be a scratch one.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/pg.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct Window {
  std::mutex mu;
  std::vector<double> latencies_ms;
  long long ok = 0, unavailable = 0, other = 0;
};

// One keep-alive connection posting at `rate` per second from `start` until `until` (or as fast as it can when
// rate is 0). Reconnects after an error.
void Sender(uint16_t port, int id, double rate, Clock::time_point start, Clock::time_point until, Window& w,
            const std::atomic<bool>& stop) {
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buf;
  long long n = 0;
  auto period = rate > 0 ? std::chrono::duration<double>(1.0 / rate) : std::chrono::duration<double>(0);
  while (!stop && Clock::now() < until) {
    auto scheduled = start + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(n));
    if (rate > 0) std::this_thread::sleep_until(scheduled);
    if (rate == 0) scheduled = Clock::now();
    int status = 0;
    try {
      if (!stream) {
        stream = std::make_unique<beast::tcp_stream>(ioc);
        stream->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
      }
      http::request<http::string_body> req{http::verb::post, "/ingest/website", 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::content_type, "application/x-www-form-urlencoded");
      req.body() = "email=soak" + std::to_string(id) + "-" + std::to_string(n) +
                   "%40example.com&first_name=Ann&last_name=Lee" + std::to_string(n % 1000) + "&company=Acme+Inc";
      req.prepare_payload();
      http::write(*stream, req);
      http::response<http::string_body> res;
      http::read(*stream, buf, res);
      status = res.result_int();
    } catch (const std::exception&) {
      stream.reset();
      buf.clear();
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count();
    ++n;
    std::lock_guard<std::mutex> lock(w.mu);
    if (status >= 200 && status < 300) {
      ++w.ok;
      w.latencies_ms.push_back(ms);
    } else if (status == 503) {
      ++w.unavailable;
    } else {
      ++w.other;
    }
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

long long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

long long OpenFds(pid_t pid) {
  std::error_code ec;
  long long n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    ++n;
  return n;
}

long long Scalar(canon::store::PgConn& c, const std::string& sql) {
  auto r = c.Exec(sql);
  return r.ok() && r->rows() ? r->Int(0, 0) : -1;
}

uint16_t FreePort() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db, canond = (fs::path(argv[0]).parent_path() / "canond").string();
  double minutes = 10, rate = 0, max_seconds = 20;
  int connections = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--db") db = v;
    else if (a == "--minutes") minutes = std::atof(v.c_str());
    else if (a == "--rate") rate = std::atof(v.c_str());
    else if (a == "--connections") connections = std::atoi(v.c_str());
    else if (a == "--max-seconds") max_seconds = std::atof(v.c_str());
    else if (a == "--canond") canond = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (db.empty()) {
    std::fprintf(stderr, "usage: bench_soak --db CONNINFO [--minutes 10] [--rate R] [--connections 16]\n");
    return 2;
  }
  auto conn = canon::store::PgConn::Connect(db);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s\n", conn.status().ToString().c_str());
    return 1;
  }
  canon::store::PgConn& c = **conn;

  uint16_t port = FreePort();
  std::string dir = fs::temp_directory_path() / ("canon-soak-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir + "/canond.toml") << "listen = \"127.0.0.1:" << port << "\"\nrules_dir = \"" CANON_SOURCE_DIR
                                         "/rules\"\nmigrations_dir = \"" CANON_SOURCE_DIR "/schemas/migrations\"\n"
                                         "watch_drop_folders = false\nlog_level = \"warn\"\n";
  pid_t pid = fork();
  if (pid == 0) {
    setenv("CANON_DB", db.c_str(), 1);
    std::string log = dir + "/canond.log";
    if (!freopen(log.c_str(), "w", stderr)) _exit(127);
    execl(canond.c_str(), canond.c_str(), "--config", (dir + "/canond.toml").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100; ++i) {
    try {
      net::io_context ioc;
      beast::tcp_stream s(ioc);
      s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
      break;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  c.Exec("TRUNCATE inbox, source_record, contact, entity_member, match_key, term_count CASCADE");

  std::atomic<bool> stop{false};
  auto run = [&](double per_connection_rate, double seconds, Window& w, const std::function<void()>& each_minute) {
    auto start = Clock::now();
    auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < connections; ++t)
      threads.emplace_back([&, t] { Sender(port, t, per_connection_rate, start, until, w, stop); });
    if (each_minute)
      for (int m = 1; Clock::now() < until; ++m) {
        std::this_thread::sleep_until(std::min(until, start + std::chrono::minutes(m)));
        each_minute();
      }
    for (auto& t : threads) t.join();
  };

  if (rate <= 0) {
    Window w;
    long long done0 = Scalar(c, "SELECT count(*) FROM inbox WHERE status = 'done'");
    run(0, max_seconds, w, nullptr);
    long long done1 = Scalar(c, "SELECT count(*) FROM inbox WHERE status = 'done'");
    double intake = static_cast<double>(w.ok) / max_seconds;
    double workers = static_cast<double>(done1 - done0) / max_seconds;
    double max = std::min(intake, workers);
    rate = max / 2;
    std::printf("max: %d connections as fast as answers come for %.0f s: intake accepted %.0f/s, workers finished "
                "%.0f rows/s (503s %lld); max = %.0f/s, soak rate = %.0f/s\n",
                connections, max_seconds, intake, workers, w.unavailable, max, rate);
    std::fflush(stdout);
    for (int i = 0; i < 600 && Scalar(c, "SELECT count(*) FROM inbox WHERE status = 'pending'") > 0; ++i)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }

  std::printf("soak: %.0f requests/s on %d connections for %.0f minutes; canond pid %d\n", rate, connections, minutes,
              pid);
  std::printf("%6s %9s %9s %6s %6s %9s %9s %9s %9s %6s\n", "minute", "req/s", "ok", "503", "other", "p50 ms",
              "p99 ms", "backlog", "rss kB", "fds");
  std::fflush(stdout);
  Window w;
  int minute = 0;
  run(rate / connections, minutes * 60, w, [&] {
    std::vector<double> lat;
    long long ok, un, other;
    {
      std::lock_guard<std::mutex> lock(w.mu);
      lat.swap(w.latencies_ms);
      ok = w.ok;
      un = w.unavailable;
      other = w.other;
      w.ok = w.unavailable = w.other = 0;
    }
    ++minute;
    std::printf("%6d %9.1f %9lld %6lld %6lld %9.1f %9.1f %9lld %9lld %6lld\n", minute, static_cast<double>(ok) / 60.0,
                ok, un, other, Percentile(lat, 0.5), Percentile(lat, 0.99),
                Scalar(c, "SELECT count(*) FROM inbox WHERE status = 'pending'"), RssKb(pid), OpenFds(pid));
    std::fflush(stdout);
  });
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
  std::printf("canond exit %d; source records %lld\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
              Scalar(c, "SELECT count(*) FROM source_record"));
  fs::remove_all(dir);
  return 0;
}

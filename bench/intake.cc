// bench/intake: POST /ingest/{source} over loopback with many concurrent keep-alive connections for a fixed
// time. Prints accepted requests/s and p50/p99 latency for (1) the baseline, the same server answering 202
// without touching the database, and (2) durable intake (group commit into PostgreSQL), and their ratio.
//
//   bench_intake --db CONNINFO [--connections 256] [--seconds 5] [--io-threads 2] [--writers N]
// --writers N: the inbox writer connections (writer_connections; the default is canond's).
// The database should be a scratch one: the bench applies migrations and truncates inbox. Workers are off, so
// the figure is intake alone (the worker's cost is measured by the normalize and match benches).
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/app.h"
#include "store/pg.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct LoadResult {
  double seconds = 0;
  long long ok = 0;
  long long other = 0;
  std::vector<double> latencies_us;
};

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(net::io_context& ioc, uint16_t port, Clock::time_point until, LoadResult& out, std::mutex& mu, int id)
      : stream_(ioc), port_(port), until_(until), out_(out), mu_(mu), id_(id) {}
  void Start() {
    stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_),
                          [self = shared_from_this()](beast::error_code ec) {
                            if (!ec) self->Send();
                          });
  }

 private:
  void Send() {
    if (Clock::now() >= until_) return Finish();
    req_ = {http::verb::post, "/ingest/website", 11};
    req_.set(http::field::host, "127.0.0.1");
    req_.set(http::field::content_type, "application/x-www-form-urlencoded");
    req_.body() = "email=user" + std::to_string(id_) + "-" + std::to_string(n_++) +
                  "%40example.com&first_name=Ann&last_name=Lee&phone=%2B14155552671&company=Acme+Inc";
    req_.prepare_payload();
    start_ = Clock::now();
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Finish();
      self->res_ = {};
      http::async_read(self->stream_, self->buf_, self->res_, [self](beast::error_code ec, size_t) {
        if (ec) return self->Finish();
        double us = std::chrono::duration<double, std::micro>(Clock::now() - self->start_).count();
        if (self->res_.result_int() == 202) {
          ++self->ok_;
          self->lat_.push_back(us);
        } else {
          ++self->other_;
        }
        self->Send();
      });
    });
  }
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    out_.ok += ok_;
    out_.other += other_;
    out_.latencies_us.insert(out_.latencies_us.end(), lat_.begin(), lat_.end());
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  uint16_t port_;
  Clock::time_point until_;
  LoadResult& out_;
  std::mutex& mu_;
  int id_;
  long long n_ = 0, ok_ = 0, other_ = 0;
  std::vector<double> lat_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  beast::flat_buffer buf_;
  Clock::time_point start_;
};

LoadResult Drive(uint16_t port, int connections, double seconds) {
  net::io_context ioc;
  LoadResult out;
  std::mutex mu;
  auto t0 = Clock::now();
  auto until = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < connections; ++i) std::make_shared<Conn>(ioc, port, until, out, mu, i)->Start();
  ioc.run();
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(out.latencies_us.begin(), out.latencies_us.end());
  return out;
}

double Pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

LoadResult RunServer(canon::daemon::Config config, bool durable, int connections, double seconds) {
  auto log = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  net::io_context ioc;
  canon::daemon::AppOptions opts;
  opts.store_inbox = durable;
  opts.run_workers = false;
  canon::daemon::App app(config, log, opts);
  if (auto s = app.Start(ioc); !s.ok()) {
    std::fprintf(stderr, "bench_intake: %s\n", s.ToString().c_str());
    std::exit(2);
  }
  auto guard = net::make_work_guard(ioc);
  std::vector<std::thread> threads;
  for (int i = 0; i < config.io_threads; ++i) threads.emplace_back([&] { ioc.run(); });
  LoadResult r = Drive(app.port(), connections, seconds);
  app.BeginShutdown();
  while (!app.Drained()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  guard.reset();
  ioc.stop();
  for (auto& t : threads) t.join();
  app.FinishShutdown();
  return r;
}

void Print(const char* name, const LoadResult& r) {
  std::printf("%-28s %10.0f req/s   p50 %8.0f us   p99 %8.0f us   (%lld accepted, %lld other)\n", name,
              r.ok / r.seconds, Pct(r.latencies_us, 0.50), Pct(r.latencies_us, 0.99), r.ok, r.other);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  int connections = 256, io_threads = 2, writers = 0;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--db") db = argv[i + 1];
    else if (a == "--connections") connections = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--io-threads") io_threads = std::atoi(argv[i + 1]);
    else if (a == "--writers") writers = std::atoi(argv[i + 1]);
  }
  if (db.empty() && std::getenv("CANON_DB")) db = std::getenv("CANON_DB");
  if (db.empty()) {
    std::fprintf(stderr,
                 "usage: bench_intake --db CONNINFO [--connections N] [--seconds S] [--writers N] (or set CANON_DB)\n");
    return 2;
  }
  canon::daemon::Config config;
  config.database = db;
  config.listen = "127.0.0.1:0";
  config.io_threads = io_threads;
  if (writers > 0) config.writer_connections = writers;
  config.rules_dir = CANON_SOURCE_DIR "/rules";
  config.migrations_dir = CANON_SOURCE_DIR "/schemas/migrations";
  {
    auto c = canon::store::PgConn::Connect(db);
    if (c.ok()) (*c)->Exec("TRUNCATE inbox CASCADE");
  }
  std::printf("bench/intake: %d keep-alive connections, %.0f s per run, %d server I/O threads, %lld inbox writer "
              "connection(s), %u cores\n",
              connections, seconds, io_threads, static_cast<long long>(config.writer_connections),
              std::thread::hardware_concurrency());
  LoadResult base = RunServer(config, false, connections, seconds);
  Print("baseline (202, no database)", base);
  LoadResult durable = RunServer(config, true, connections, seconds);
  Print("durable (group commit)", durable);
  double ratio = (durable.ok / durable.seconds) / std::max(1.0, base.ok / base.seconds);
  std::printf("ratio durable/baseline: %.2f\n", ratio);
  auto c = canon::store::PgConn::Connect(db);
  if (c.ok()) {
    auto r = (*c)->Exec("SELECT count(*) FROM inbox");
    if (r.ok()) std::printf("inbox rows after the durable run: %s (accepted: %lld)\n", r->Str(0, 0).c_str(), durable.ok);
  }
  return 0;
}

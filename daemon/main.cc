// canond: builds the App from its config and runs it until SIGTERM/SIGINT. SIGHUP reloads the rules.
//
//   canond [--config FILE] [--no-migrate]     run the daemon
//   canond --check-config [--config FILE]     validate config and rules, then exit
//   canond migrate [--config FILE]            apply pending migrations, then exit
//   canond --help-config                      list every setting
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/rule_dir.h"
#include "connectors/secrets.h"
#include "daemon/app.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "pipeline/allocator.h"
#include "store/migrate.h"

namespace {

// systemd's notify protocol without libsystemd: one datagram to $NOTIFY_SOCKET. A no-op outside systemd.
void SdNotify(const char* state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract socket
  sendto(fd, state, std::strlen(state), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  close(fd);
}

// systemd's watchdog period (WatchdogSec=, passed as WATCHDOG_USEC) when it is meant for this process
// (WATCHDOG_PID unset or ours); zero when there is none.
std::chrono::microseconds WatchdogPeriod() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec || !*usec) return {};
  const char* pid = std::getenv("WATCHDOG_PID");
  if (pid && *pid && std::strtoll(pid, nullptr, 10) != static_cast<long long>(getpid())) return {};
  char* end = nullptr;
  long long v = std::strtoll(usec, &end, 10);
  if (*end != '\0' || v <= 0) return {};
  return std::chrono::microseconds(v);
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "canond: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  canon::pipeline::ConfigureAllocatorForStreaming();
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path;
  bool check = false, migrate_only = false, no_migrate = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) config_path = args[++i];
    else if (args[i] == "--check-config") check = true;
    else if (args[i] == "--no-migrate") no_migrate = true;
    else if (args[i] == "migrate") migrate_only = true;
    else if (args[i] == "--help-config") {
      std::fputs(canon::daemon::DescribeConfig().c_str(), stdout);
      return 0;
    } else {
      std::fprintf(stderr,
                   "usage: canond [--config FILE] [--no-migrate] | --check-config | migrate | --help-config\n");
      return 2;
    }
  }
  auto config = canon::daemon::LoadConfig(config_path);
  if (!config.ok()) return Fail("config: " + config.status().ToString());
  if (no_migrate) config->migrate_on_start = false;

  if (check) {
    auto rules = canon::LoadRuleDir(config->rules_dir);
    if (!rules.ok()) return Fail("rules: " + rules.status().ToString());
    if (canon::Status s = canon::CheckSourceSecrets(**rules, std::getenv); !s.ok())
      return Fail("rules: " + s.ToString());
    std::printf("config ok; rules ok (version %s, %zu sources)\n", (*rules)->version().c_str(),
                (*rules)->sources().size());
    return 0;
  }

  auto log = canon::daemon::MakeLogger("canond", config->log_format, /*mask_pii=*/!config->log_pii);
  log->set_level(spdlog::level::from_str(config->log_level));
  log->flush_on(spdlog::level::info);
  if (config->log_pii) log->warn("log_pii = true: e-mail addresses and phone numbers in log lines are not masked");

  if (migrate_only) {
    auto conn = canon::store::PgConn::Connect(config->database);
    if (!conn.ok()) return Fail(conn.status().ToString());
    auto m = canon::store::Migrate(**conn, config->migrations_dir);
    if (!m.ok()) return Fail("migrate: " + m.status().ToString());
    for (const auto& v : m->applied) std::printf("applied %s\n", v.c_str());
    std::printf("%zu applied, %d already present\n", m->applied.size(), m->already);
    return 0;
  }

  boost::asio::io_context ioc;
  canon::daemon::App app(*config, log);
  if (canon::Status s = app.Start(ioc); !s.ok()) return Fail(s.ToString());

  // Work guard: requests waiting on the inbox writer have no socket operation pending, so keep run() alive until
  // shutdown has drained them.
  auto guard = boost::asio::make_work_guard(ioc);
  boost::asio::signal_set signals(ioc, SIGTERM, SIGINT, SIGHUP);
  boost::asio::steady_timer drain_timer(ioc);
  // The watchdog is served from the daemon's health, not from a timer alone: every period/2 this I/O thread pings
  // systemd only while no inbox writer or worker has been on one unit of work for longer than the whole period
  // (App::Wedged). A wedged thread stops the pings, and systemd restarts canond within about two periods.
  const std::chrono::microseconds watchdog = WatchdogPeriod();
  const auto watchdog_limit = std::chrono::duration_cast<std::chrono::milliseconds>(watchdog);
  // The timer and its flags live on one strand: the I/O threads run the signal handler that stops it too.
  boost::asio::steady_timer watchdog_timer(boost::asio::make_strand(ioc));
  bool wedged = false, watchdog_stopped = false;
  std::function<void()> watchdog_tick = [&] {
    if (watchdog_stopped) return;
    std::string why = app.Wedged(watchdog_limit);
    if (why.empty()) {
      if (wedged) log->warn("watchdog: every inbox writer and worker is making progress again; pinging systemd");
      wedged = false;
      SdNotify("WATCHDOG=1");
    } else if (!wedged) {
      wedged = true;
      log->error("watchdog: {} (limit {} ms); not pinging systemd", why, watchdog_limit.count());
    }
    watchdog_timer.expires_after(watchdog / 2);
    watchdog_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) watchdog_tick();
    });
  };
  std::function<void()> wait_drained = [&] {
    if (app.Drained()) {
      guard.reset();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](const boost::system::error_code&) { wait_drained(); });
  };
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                               int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      SdNotify("RELOADING=1");
      app.ReloadRules();
      SdNotify("READY=1");
      signals.async_wait(on_signal);
      return;
    }
    log->info("signal {}: stopping; finishing in-flight requests", sig);
    SdNotify("STOPPING=1");
    signals.cancel();
    boost::asio::post(watchdog_timer.get_executor(), [&] {
      watchdog_stopped = true;
      watchdog_timer.cancel();
    });
    app.BeginShutdown();
    wait_drained();
  };
  signals.async_wait(on_signal);
  SdNotify("READY=1");
  if (watchdog.count() > 0) {
    log->info("watchdog: pinging systemd every {} ms while the inbox writers and workers make progress",
              watchdog_limit.count() / 2);
    boost::asio::post(watchdog_timer.get_executor(), watchdog_tick);
  }

  unsigned n = static_cast<unsigned>(std::max<int64_t>(1, config->io_threads));
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  app.FinishShutdown();
  log->info("canond stopped");
  return 0;
}

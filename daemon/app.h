// App: canond's wiring. Owns the config, logger, rule set, inbox writer, workers and HTTP server, and is the
// Router: the pure-ish request handling lives here (route -> check -> intake), the sockets in http_server.
// Built by main() and passed by reference; no global state.
#pragma once

#include <spdlog/logger.h>

#include <array>
#include <atomic>
#include <map>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "daemon/admin.h"
#include "daemon/config.h"
#include "daemon/drop_watcher.h"
#include "daemon/group_commit.h"
#include "daemon/http_server.h"
#include "daemon/overload.h"
#include "daemon/metrics.h"
#include "daemon/reconnect.h"
#include "daemon/rules_holder.h"
#include "daemon/worker.h"
#include "store/audit.h"
#include "store/pg.h"

namespace canon::daemon {

struct AppOptions {
  bool store_inbox = true;  // false only in bench/intake's baseline: 202 without touching the database
  bool run_workers = true;
};

class App : public Router {
 public:
  App(Config config, std::shared_ptr<spdlog::logger> log, AppOptions options = {});
  ~App() override;

  // Loads rules, connects, migrates (unless disabled), starts writers, workers and the listener.
  Status Start(boost::asio::io_context& ioc);
  // Graceful: stop accepting, finish in-flight requests, drain the inbox writer, let workers finish their batch.
  void BeginShutdown();
  bool Drained() const;
  void FinishShutdown();
  // For systemd's watchdog (daemon/main.cc): "" while every inbox writer and worker is waiting for work or has
  // been on its current unit of work for at most `limit`; else which one is stuck, and for how long.
  std::string Wedged(std::chrono::milliseconds limit) const;
  // SIGHUP: build a new rule set; an invalid one is refused and the old one stays.
  Status ReloadRules();

  uint16_t port() const { return port_; }
  // For admin route files: the shared admin connection (lock admin_mutex() around its use; null while the
  // database is unreachable: it is reconnected with backoff, daemon/reconnect.h), rules, config, log.
  store::PgConn* admin_conn();
  std::mutex& admin_mutex() { return admin_mu_; }
  const RulesHolder& rules() const { return rules_; }
  const Config& config() const { return config_; }
  spdlog::logger& log() { return *log_; }
  // Counts and times every request by route pattern, then routes it (Route).
  void Handle(Request&& req, const Peer& peer, Respond respond) override;
  void Refused(const Request& head, unsigned status) override;

 private:
  void Route(Request&& req, const Peer& peer, Respond respond);
  // /admin/: the caller's token and role (401, 403), then the route; steward and admin actions are audited.
  void Admin(Request&& req, const Peer& peer, Respond respond);
  // Writes one audit_event row from the audit connection; a failure is logged (the action already happened).
  void Audit(const store::AuditEvent& event);
  void Ingest(const std::string& source, Request&& req, Respond respond);
  void Handshake(const std::string& source, Request&& req, Respond respond);
  // The secret named by a source option (the name of an environment variable); "" when unset.
  std::string Secret(const SourceConfig& source, const char* option) const;
  Response Ready(const Request& req);
  // `with_sources`: the caller may see source names (the metrics token, or loopback when no token is set).
  Response Metrics(const Request& req, bool with_sources);
  // Sets the gauges read at scrape time (queues from PostgreSQL, connections).
  void SampleGauges();
  void AddRoutes();
  // The route pattern a request is counted under: an index into route_metrics_ (bounded: fixed and admin
  // patterns, "/ingest/{source}", and "(unmatched)" for everything else).
  size_t RouteOf(const Request& req) const;
  void CountRequest(size_t route, unsigned status, std::optional<double> seconds);
  // Counts one intake outcome for a source (accepted, unauthenticated, bad_payload, ...), for /metrics.
  void Count(const std::string& source, const char* outcome);
  // 503 with the Retry-After of the overload reason `status.where()` names (daemon/overload.h).
  Response Unavailable(const Request& head, const std::string& source, const Status& status);

  AdminRouter admin_routes_;
  Config config_;
  std::shared_ptr<spdlog::logger> log_;
  OverloadCounters overload_{log_};  // after log_, which it copies
  AppOptions options_;
  RulesHolder rules_;
  std::unique_ptr<InboxSink> sink_;
  GroupCommitter* committer_ = nullptr;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<BacklogMonitor> backlog_;  // when max_inbox_backlog is set
  std::unique_ptr<DropWatcher> drops_;
  std::unique_ptr<HttpServer> server_;
  std::mutex admin_mu_;
  std::unique_ptr<store::PgConn> admin_;
  // Its own connection: an action answers while its handler holds admin_mu_.
  std::mutex audit_mu_;
  std::unique_ptr<store::PgConn> audit_;
  uint16_t port_ = 0;
  std::atomic<long long> in_flight_{0};
  DaemonMetrics metrics_;
  // Per route: its latency histogram and its counter per status code (100..599), found once and kept, so counting
  // a request takes no lock after the first of its route and status.
  struct RouteMetrics {
    std::string pattern;
    Histogram* duration = nullptr;
    std::array<std::atomic<Counter*>, 500> by_status{};
  };
  std::vector<std::unique_ptr<RouteMetrics>> route_metrics_;
  std::unordered_map<std::string, size_t> route_index_;  // pattern -> index; built before the listener starts
  // Its own connection for the scrape's queue gauges, with a statement timeout.
  std::mutex metrics_conn_mu_;
  std::unique_ptr<store::PgConn> metrics_conn_;
  // The ways back of the admin, audit and metrics connections, each used under its connection's mutex.
  Reconnector admin_reconnect_{ReconnectBackoff(config_), "admin", metrics_, log_};
  Reconnector audit_reconnect_{ReconnectBackoff(config_), "audit", metrics_, log_};
  Reconnector metrics_reconnect_{ReconnectBackoff(config_), "metrics", metrics_, log_};
};

}  // namespace canon::daemon

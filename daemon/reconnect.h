// The way back to PostgreSQL for one connection that dropped (a restart, a failover, a network cut): attempts
// spaced by exponential backoff with equal jitter (daemon/backoff.h), never a hot loop, and counted.
//
// Every long-lived connection of canond has one: each inbox writer and worker, the CSV importer, the backlog
// sampler, the admin, audit and metrics connections. Ensure() is called before the connection is used; while it
// is healthy it costs one status check. Once it has dropped, the first attempt is made at once (after a fast
// restart the server is usually back), and each failed attempt puts the next one off by
// EqualJitter(backoff, failures): with the defaults 100 ms doubling to 3 s, so a node finds the database within
// about 3 s of its return. Between attempts Ensure() answers Unavailable at once without touching the network, so
// callers (intake answers 503) never wait on a dead server; an attempt itself waits at most the conninfo's
// connect_timeout (10 s unless the conninfo says otherwise, store/pg.h).
//
// Each attempt counts on canon_pg_reconnects_total{role, result="ok"|"failed"}. Logs: the loss, the first failed
// attempts and then one line every 30 s while it lasts, and the return (how many attempts, how long).
// Not thread-safe: one per connection, used by the thread that owns it or under the connection's own lock.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "daemon/backoff.h"
#include "daemon/metrics.h"
#include "hygiene/status.h"
#include "store/pg.h"

namespace canon::daemon {

struct Config;
// reconnect_initial_ms and reconnect_max_ms.
Backoff ReconnectBackoff(const Config& config);

class Reconnector {
 public:
  using Clock = std::chrono::steady_clock;

  // `role`: the connection's role in canon_pg_connections (writer, worker, importer, backlog, admin, audit, metrics).
  Reconnector(Backoff backoff, std::string role, DaemonMetrics& metrics, std::shared_ptr<spdlog::logger> log);

  // OK when `conn` is healthy or has just been reconnected (PQreset: its prepared statements are gone). Otherwise
  // Unavailable: at once before next_attempt(), else after one failed attempt.
  Status Ensure(store::PgConn& conn);
  // The same for a connection opened on first use: an empty `slot` is connected to `conninfo` when due.
  Status Ensure(std::unique_ptr<store::PgConn>& slot, const std::string& conninfo);

  // When the next attempt may be made (in the past while none is owed).
  Clock::time_point next_attempt() const { return next_; }
  // Failed attempts since the connection was last up.
  int failures() const { return failures_; }

 private:
  // `first`: a connection opened for the first time (not counted nor logged when it succeeds).
  Status Attempt(bool first, const std::function<Status()>& connect);

  Backoff backoff_;
  std::string role_;
  Counter& ok_;
  Counter& failed_;
  std::shared_ptr<spdlog::logger> log_;
  std::mt19937_64 rng_;
  int failures_ = 0;
  Clock::time_point next_{};
  Clock::time_point down_since_{};
  Clock::time_point logged_at_{};
};

}  // namespace canon::daemon

// Overload: why intake pushes back, counted, logged and answered the same way everywhere.
//
// Intake answers 503 with Retry-After instead of buffering without bound when
//   - the group commit queue holds `max_queue` payloads (queue_full),
//   - the oldest payload waiting for its commit, or the last batch committed, waited more than
//     `max_commit_latency_ms` (commit_latency: PostgreSQL is slow),
//   - the inbox holds `max_inbox_backlog` pending rows or more (inbox_backlog: the workers, of every node, are
//     behind; the high-water mark),
//   - the inbox write failed (database: PostgreSQL is down or refused the write).
// OverloadCounters counts each reason for /metrics (`canon_intake_overload_total{reason=...}`) and logs a warning
// at most once a second per reason, with the count so far. BacklogMonitor samples the pending rows once a second
// on a connection of its own, counting only up to the mark (one bounded index scan), so the check on each request
// reads an atomic.
//
// Thread-safety: every method of both may be called from any thread. Errors: BacklogMonitor::Start returns the
// connection error; a failed sample keeps the previous value and is logged.
#pragma once

#include <spdlog/logger.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/backoff.h"
#include "daemon/metrics.h"
#include "daemon/thread_group.h"

namespace canon::daemon {

enum class Overload { kQueueFull, kCommitLatency, kInboxBacklog, kDatabase };
constexpr size_t kOverloadReasons = 4;
const char* OverloadName(Overload reason);
// Seconds a sender is told to wait: a full queue empties in a commit or two, a backlog takes the workers longer.
int RetryAfterSeconds(Overload reason);

class OverloadCounters {
 public:
  explicit OverloadCounters(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {}
  // Counts one refusal; `detail` (no personal data) goes in the rate-limited log line.
  void Count(Overload reason, const std::string& detail);
  long long Get(Overload reason) const { return counts_[static_cast<size_t>(reason)]; }

 private:
  std::shared_ptr<spdlog::logger> log_;
  std::array<std::atomic<long long>, kOverloadReasons> counts_{};
  std::array<std::atomic<long long>, kOverloadReasons> logged_at_ms_{};
};

class BacklogMonitor {
 public:
  // `high_water`: pending rows at which intake refuses; must be at least 1. A dropped connection is reconnected
  // with `reconnect` (daemon/reconnect.h, role "backlog"), counted in `metrics`, which must outlive the monitor.
  BacklogMonitor(std::string conninfo, long long high_water, std::shared_ptr<spdlog::logger> log, Backoff reconnect,
                 DaemonMetrics& metrics);
  ~BacklogMonitor();
  Status Start();
  void Stop();
  bool over() const { return pending_ >= high_water_; }
  long long pending() const { return pending_; }  // at the last sample, counted up to the mark
  long long high_water() const { return high_water_; }

 private:
  void Run(store::PgConn& conn);

  std::string conninfo_;
  long long high_water_;
  std::shared_ptr<spdlog::logger> log_;
  Backoff reconnect_;
  DaemonMetrics& metrics_;
  std::atomic<long long> pending_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  ThreadGroup thread_;
};

}  // namespace canon::daemon

// Group commit of the inbox (leveldb's DBImpl::Write shape): callers enqueue payloads; each writer thread takes
// everything waiting (up to `batch_max`) and writes it in ONE transaction, then completes every caller. Durability
// costs one commit per batch, not per request.
//
// Submit is thread-safe and never blocks: a full queue, or a commit latency over `max_latency_ms` (the oldest
// payload waiting, or the last batch committed within the last second, waited longer), answers kUnavailable at
// once with the reason's name (daemon/overload.h) as its `where`, counted in `overload` (the caller says 503 with
// Retry-After). `done` runs on a writer thread exactly once, after the row is committed (or with the error).
// Stop() lets the writers drain what is queued, then joins them. A writer whose connection dropped reconnects with
// backoff (daemon/reconnect.h, role "writer"); until it is back, its batches fail at once (503, reason database)
// instead of each waiting on a dead server.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/backoff.h"
#include "daemon/heartbeat.h"
#include "daemon/metrics.h"
#include "daemon/overload.h"
#include "daemon/thread_group.h"
#include "store/inbox.h"

namespace canon::daemon {

class InboxSink {
 public:
  using Done = std::function<void(Result<store::InboxReceipt>)>;
  virtual ~InboxSink() = default;
  virtual Status Submit(store::InboxItem item, Done done) = 0;
};

// For benchmarks only: answers at once with increasing ids and stores nothing.
class NullSink : public InboxSink {
 public:
  Status Submit(store::InboxItem item, Done done) override;

 private:
  std::atomic<long long> next_{1};
};

struct GroupCommitOptions {
  std::string conninfo;
  int connections = 2;
  size_t max_queue = 20000;
  size_t batch_max = 512;
  long long max_latency_ms = 0;        // 0: no latency limit
  OverloadCounters* overload = nullptr;  // counts refusals; may be null
  Backoff reconnect;
  DaemonMetrics* metrics = nullptr;  // counts reconnect attempts; required
};

class GroupCommitter : public InboxSink {
 public:
  GroupCommitter(GroupCommitOptions options, std::shared_ptr<spdlog::logger> log,
                 std::function<void()> on_commit);
  ~GroupCommitter() override;

  Status Start();
  void Stop();
  Status Submit(store::InboxItem item, Done done) override;
  size_t queued() const;
  // Submit to commit of the oldest payload of the last batch written.
  long long last_commit_latency_ms() const { return last_latency_ms_; }
  // Writers inside an INSERT now (their connection is in use).
  int busy() const { return busy_; }
  // For the watchdog: the writer busy with one INSERT for longer than `limit`, if any (daemon/heartbeat.h).
  Heartbeats::Stuck Stuck(std::chrono::milliseconds limit) const { return heartbeats_.Longest(limit); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    store::InboxItem item;
    Done done;
    Clock::time_point queued_at;
  };
  void Run(int index, store::PgConn& conn);

  GroupCommitOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void()> on_commit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  Clock::time_point last_commit_at_;   // under mu_
  std::atomic<long long> last_latency_ms_{0};
  std::atomic<int> busy_{0};
  ThreadGroup threads_;  // one writer thread per connection
  Heartbeats heartbeats_;  // one slot per writer: busy while it writes and answers a batch
};

}  // namespace canon::daemon

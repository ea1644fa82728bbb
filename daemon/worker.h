// Workers: claim inbox rows, parse them with the source's connector, normalize them with the rules in force, and
// write source records and contacts; what cannot be parsed or validated goes to dead_letter with its reason.
//
// Each worker thread owns one PostgreSQL connection. A batch is one transaction from claim to "done": a crash
// mid-batch leaves its rows pending for the next worker, so nothing is lost or written twice. Wake() is called
// after the local intake commits; idle workers also poll every `poll_interval_ms` for rows other nodes wrote.
// Stop() lets each worker finish its current batch. Counts (rows, records by outcome, dead letters by stage,
// fetches, batch durations) go to `metrics` once their batch commits; `metrics` must outlive the pool.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon/metrics.h"
#include "daemon/heartbeat.h"
#include "daemon/rules_holder.h"
#include "daemon/thread_group.h"
#include "hygiene/record.h"
#include "store/inbox.h"
#include "store/pg.h"

namespace canon::daemon {

struct WorkerOptions {
  std::string conninfo;
  int threads = 2;
  int batch = 64;
  int poll_interval_ms = 200;
};

class WorkerPool {
 public:
  WorkerPool(WorkerOptions options, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log,
             DaemonMetrics& metrics);
  ~WorkerPool();

  Status Start();
  void Wake();
  void Stop();

  // Workers inside a batch now (their connection is in use).
  int busy() const { return busy_; }
  // For the watchdog: the worker busy with one batch for longer than `limit`, if any (daemon/heartbeat.h).
  Heartbeats::Stuck Stuck(std::chrono::milliseconds limit) const { return heartbeats_.Longest(limit); }

 private:
  void Run(int index, store::PgConn& conn);
  // Claims up to `limit` pending rows or, when `only` is not empty, those of its rows still pending and unlocked;
  // `claimed` gets their ids, also when the batch then fails. Returns how many rows it claimed; an error means the
  // batch rolled back.
  Result<int> ProcessBatch(store::PgConn& conn, int limit, const std::vector<long long>& only,
                           std::vector<long long>* claimed);
  // After a failed batch: each of its rows again, alone and by id; a row that fails alone is poison and is marked
  // failed with a dead letter. Rows another worker claimed meanwhile are left to it. False when the connection
  // was lost (the rest stay pending).
  bool RetryOneByOne(int index, store::PgConn& conn, const std::vector<long long>& ids);
  Status FailAlone(store::PgConn& conn, long long id, const Status& why);
  Result<std::vector<Record>> FetchMetaLeads(const SourceConfig& source, std::string_view body);

  WorkerOptions options_;
  const RulesHolder& rules_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  long long wakes_ = 0;
  ThreadGroup threads_;  // one worker thread per connection
  DaemonMetrics& metrics_;
  std::atomic<int> busy_{0};
  Heartbeats heartbeats_;  // one slot per worker thread: busy from the start of each batch
};

}  // namespace canon::daemon

// Workers: claim inbox rows, parse them with the source's connector, normalize them with the rules in force, and
// write source records and contacts; what cannot be parsed or validated goes to dead_letter with its reason.
//
// Each worker thread owns one PostgreSQL connection. A batch is one transaction from claim to "done": a crash
// mid-batch leaves its rows pending for the next worker, so nothing is lost or written twice. Wake() is called
// after the local intake commits; idle workers also poll every `poll_interval_ms` for rows other nodes wrote.
// Stop() lets each worker finish its current batch.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

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
  WorkerPool(WorkerOptions options, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log);
  ~WorkerPool();

  Status Start();
  void Wake();
  void Stop();

  // Counters for /metrics and tests.
  long long processed() const { return processed_; }
  long long failed() const { return failed_; }
  long long over_common_keys() const { return over_common_; }
  long long suppressed() const { return suppressed_; }  // records of suppressed people dropped (store/erase.h)
  // For the watchdog: the worker busy with one batch for longer than `limit`, if any (daemon/heartbeat.h).
  Heartbeats::Stuck Stuck(std::chrono::milliseconds limit) const { return heartbeats_.Longest(limit); }

 private:
  void Run(int index, store::PgConn& conn);
  // Returns how many rows it claimed; an error means the batch rolled back.
  Result<int> ProcessBatch(store::PgConn& conn, int limit);
  Status FailAlone(store::PgConn& conn, const Status& why);
  static Result<std::vector<Record>> FetchMetaLeads(const SourceConfig& source, std::string_view body);

  WorkerOptions options_;
  const RulesHolder& rules_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  long long wakes_ = 0;
  ThreadGroup threads_;  // one worker thread per connection
  Heartbeats heartbeats_;  // one slot per worker thread: busy from the start of each batch
  std::atomic<long long> processed_{0};
  std::atomic<long long> failed_{0};
  std::atomic<long long> over_common_{0};
  std::atomic<long long> suppressed_{0};
};

}  // namespace canon::daemon

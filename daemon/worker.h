// Workers: claim inbox rows, parse them with the source's connector, normalize them with the rules in force, and
// write source records and contacts; what cannot be parsed or validated goes to dead_letter with its reason.
//
// Each worker thread owns one PostgreSQL connection. A batch is one transaction from claim to "done": a crash
// mid-batch leaves its rows pending for the next worker, so nothing is lost or written twice. Wake() is called
// after the local intake commits; idle workers also poll every `poll_interval_ms` for rows other nodes wrote.
// Stop() lets each worker finish its current batch.
//
// Fetch-based sources (meta_leads): the notification's batch turns each lead id into a fetch_job
// (store/fetch_jobs.h); between inbox batches each worker claims due jobs, fetches each lead once per attempt
// (the vendor API client does not retry on its own), writes what it fetched, and reschedules a failure by the
// source's FetchRetryPolicy (daemon/fetch_retry.h) or dead-letters it (stage fetch) once the window has passed or
// the vendor refused for good (4xx other than 429). One lead's failure never holds back another's record. Each
// failure is logged (job, inbox and attempt, the vendor's error with the token scrubbed; never lead data) and
// counted.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "daemon/rules_holder.h"
#include "daemon/thread_group.h"
#include "hygiene/record.h"
#include "store/fetch_jobs.h"
#include "store/inbox.h"
#include "store/pg.h"

namespace canon::daemon {

// Fetch jobs claimed per transaction: each may wait for the vendor up to the client's timeout, and the batch holds
// its rows locked meanwhile, so it stays small.
inline constexpr int kFetchBatch = 8;

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
  long long fetched() const { return fetched_; }            // leads fetched
  long long fetch_failures() const { return fetch_failures_; }  // failed fetch attempts (each retried or dead)
  long long fetch_dead() const { return fetch_dead_; }      // leads dead-lettered (stage fetch)

 private:
  void Run(int index, store::PgConn& conn);
  // Returns how many rows it claimed; an error means the batch rolled back.
  Result<int> ProcessBatch(store::PgConn& conn, int limit);
  Status FailAlone(store::PgConn& conn, const Status& why);
  // Claims up to `limit` due fetch jobs and does them; returns how many it claimed.
  Result<int> ProcessFetchJobs(store::PgConn& conn, int limit, std::mt19937_64& rng);
  Status FailFetchAlone(store::PgConn& conn, const Status& why);
  static Result<Record> FetchLead(const SourceConfig& source, const store::FetchJob& job);
  struct Prepared;
  static void PrepareRecords(Prepared& p, const RuleSet& rules, std::vector<std::string>& keys);
  // The writing half shared by inbox rows and fetched leads: locks the keys, drops suppressed people, dead-letters
  // refusals, writes every accepted record (skipping those of `stored`); returns the records handled per item.
  Result<std::vector<int>> WritePrepared(store::PgConn& conn, std::vector<Prepared>& prepared, const RuleSet& rules,
                                         const std::vector<std::string>& keys);

  WorkerOptions options_;
  const RulesHolder& rules_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  long long wakes_ = 0;
  ThreadGroup threads_;  // one worker thread per connection
  std::atomic<long long> processed_{0};
  std::atomic<long long> failed_{0};
  std::atomic<long long> over_common_{0};
  std::atomic<long long> suppressed_{0};
  std::atomic<long long> fetched_{0};
  std::atomic<long long> fetch_failures_{0};
  std::atomic<long long> fetch_dead_{0};
};

}  // namespace canon::daemon

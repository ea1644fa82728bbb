// Workers: claim inbox rows, parse them with the source's connector, normalize them with the rules in force, and
// write source records and contacts; what cannot be parsed or validated goes to dead_letter with its reason.
//
// Each worker thread owns one PostgreSQL connection. A batch is one transaction from claim to "done": a crash
// mid-batch leaves its rows pending for the next worker, so nothing is lost or written twice. Wake() is called
// after the local intake commits; idle workers also poll every `poll_interval_ms` for rows other nodes wrote.
// Stop() lets each worker finish its current batch. A worker whose connection dropped reconnects with backoff
// and jitter (daemon/reconnect.h, role "worker"); its rolled-back batch is claimed again by whoever comes first. Counts (rows, records by outcome, dead letters by stage,
// fetches, batch durations) go to `metrics` once their batch commits; `metrics` must outlive the pool.
//
// Fetch-based sources (meta_leads, linkedin_leads; connectors' IsFetchKind): the notification's batch turns each lead id into a fetch_job
// (store/fetch_jobs.h); between inbox batches each worker claims due jobs, fetches each lead once per attempt
// (the vendor API client does not retry on its own), writes what it fetched, and reschedules a failure by the
// source's FetchRetryPolicy (daemon/fetch_retry.h) or dead-letters it (stage fetch) once the window has passed or
// the vendor refused for good (4xx other than 429). One lead's failure never holds back another's record. Each
// failure is logged (job, inbox and attempt, the vendor's error with the token scrubbed; never lead data) and
// counted (canon_fetch_requests_total, canon_fetch_failures_total, canon_fetch_retries_total,
// canon_fetch_leads_total, canon_dead_letters_total{stage="fetch"}).
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "daemon/backoff.h"
#include "daemon/heartbeat.h"
#include "daemon/metrics.h"
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
  Backoff reconnect;  // a dropped connection is reconnected with this backoff (daemon/reconnect.h)
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
  struct Prepared;
  struct Tally;
  void Run(int index, store::PgConn& conn);
  // Claims up to `limit` pending rows or, when `only` is not empty, those of its rows still pending and unlocked;
  // `claimed` gets their ids, also when the batch then fails. Returns how many rows it claimed; an error means the
  // batch rolled back.
  // With `wait` (a claim of pending rows), the keys are tried rather than waited for (DeferBusy) and `wait` gets the
  // rows to write next by id; without it (`only`), the batch waits for its keys.
  Result<int> ProcessBatch(store::PgConn& conn, int limit, const std::vector<long long>& only,
                           std::vector<long long>* claimed, std::vector<long long>* wait = nullptr);
  // After a failed batch: each of its rows again, alone and by id; a row that fails alone is poison and is marked
  // failed with a dead letter. Rows another worker claimed meanwhile are left to it. False when the connection
  // was lost (the rest stay pending).
  bool RetryOneByOne(int index, store::PgConn& conn, const std::vector<long long>& ids);
  Status FailAlone(store::PgConn& conn, long long id, const Status& why);
  // The same for fetch jobs: claims up to `limit` due jobs (or those of `only`), fetches and writes them;
  // `claimed` gets their ids. Returns how many it claimed.
  Result<int> ProcessFetchJobs(store::PgConn& conn, int limit, std::mt19937_64& rng,
                               const std::vector<long long>& only, std::vector<long long>* claimed);
  bool RetryFetchOneByOne(int index, store::PgConn& conn, std::mt19937_64& rng, const std::vector<long long>& ids);
  Status FailFetchAlone(store::PgConn& conn, long long id, const Status& why);
  // One attempt: fetches the job's lead (counted on canon_fetch_requests_total and, failed, on
  // canon_fetch_failures_total).
  Result<Record> FetchLead(const SourceConfig& source, const store::FetchJob& job);
  static void PrepareRecords(Prepared& p, const RuleSet& rules, std::vector<long long>& keys);
  // Locks the keys of a claimed batch's records without waiting behind another batch: a row one of whose keys
  // another transaction holds is taken out of `prepared` (left pending, unmarked, its attempts unchanged) for a
  // later batch. A row this node put aside before goes to `wait` instead: the caller writes those rows next, in a
  // batch of their own that waits for their keys (ProcessBatch with `only`), so none is put off for ever and no
  // wait holds other rows back. Waiting held a whole batch, and its locks, behind the other batch's commit: with
  // 1,000,000 contacts stored, three workers spent 284 us per record in it. Returns how many rows stepped aside.
  Result<int> DeferBusy(store::PgConn& conn, std::vector<Prepared>& prepared, std::vector<long long>* wait);
  // The rows a waiting batch claimed: no longer waited for.
  void Waited(const std::vector<long long>& claimed);
  // The writing half shared by inbox rows and fetched leads: locks the keys, drops suppressed people, dead-letters
  // refusals, writes every accepted record (skipping those of `stored`); returns the records handled per item.
  // Counts go to `tally`.
  Result<std::vector<int>> WritePrepared(store::PgConn& conn, std::vector<Prepared>& prepared, const RuleSet& rules,
                                         const std::vector<long long>& keys, Tally& tally);
  // A committed batch's counts, into the metrics.
  void Count(const Tally& tally);

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
  // Inbox rows this node stepped aside (DeferBusy), to be waited for when claimed again.
  static constexpr size_t kMaxDeferred = 100000;
  std::mutex deferred_mu_;
  std::unordered_set<long long> deferred_;
  // Rows stepped aside twice, which a worker of this node is about to claim in a batch that waits for their keys.
  std::unordered_set<long long> waiting_;
  Heartbeats heartbeats_;  // one slot per worker thread: busy from the start of each batch
};

}  // namespace canon::daemon

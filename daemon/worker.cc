#include "daemon/worker.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "connectors/connector.h"
#include "daemon/fetch_retry.h"
#include "daemon/graph_client.h"
#include "daemon/log.h"
#include "daemon/reconnect.h"
#include "hygiene/normalize.h"
#include "store/entities.h"
#include "store/erase.h"
#include "store/fetch_jobs.h"
#include "store/term_counts.h"

namespace canon::daemon {
namespace {

std::map<std::string, std::string> HeadersFromJson(const std::string& json) {
  std::map<std::string, std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) || !doc.is_object()) return out;
  simdjson::dom::object obj = doc.get_object().value();
  for (auto [k, v] : obj) {
    std::string_view s;
    if (!v.get_string().get(s)) out[std::string(k)] = std::string(s);
  }
  return out;
}

// A vendor's refusal (401, 403, 404, another 4xx) will not get better by asking again; an outage, a timeout, a
// 5xx or a 429 may.
bool Retriable(const Status& s) { return s.code() == Code::kUnavailable; }

// WriteOutcome::decision -> canon_records_total's outcome.
const char* RecordOutcome(const std::string& decision) {
  if (decision == "merge") return "joined";
  if (decision == "new" || decision == "review" || decision == "test") return decision.c_str();
  return "other";
}

// After a failed batch: each of its items (inbox rows or fetch jobs) again, alone and by id (`process`); one that
// fails alone is poison and goes to `fail`. Items another worker claimed meanwhile are left to it. False when the
// connection was lost (the rest stay pending).
template <class Process, class Fail>
bool RetryEach(spdlog::logger& log, int index, store::PgConn& conn, const std::vector<long long>& ids,
               const char* what, Process process, Fail fail) {
  for (long long id : ids) {
    std::vector<long long> claimed;
    auto n = process(id, &claimed);
    if (n.ok()) continue;
    log.error("worker {}: {} {} failed alone: {}", index, what, id, n.status().ToString());
    if (!conn.Healthy()) return false;
    if (claimed.empty()) continue;  // the claim itself failed: the item stays pending for a later batch
    if (Status s = fail(id, n.status()); !s.ok()) {
      log.error("worker {}: {} {} could not be marked failed: {}", index, what, id, s.ToString());
      if (!conn.Healthy()) return false;
    }
  }
  return true;
}

}  // namespace

// What a batch counts; added to the metrics only once the batch commits (a rolled-back batch is claimed again).
struct WorkerPool::Tally {
  uint64_t processed = 0, failed = 0, over_common = 0, suppressed = 0, quarantined = 0;
  std::map<std::string, uint64_t> records;        // outcome -> records
  std::map<std::string, uint64_t> dead_letters;   // stage -> dead letters
  std::map<std::string, uint64_t> fetched;        // source -> leads fetched
  std::map<std::string, uint64_t> fetch_retries;  // source -> failed fetch attempts rescheduled
};

void WorkerPool::Count(const Tally& tally) {
  metrics_.worker_processed.With().Inc(tally.processed);
  metrics_.worker_failed.With().Inc(tally.failed);
  metrics_.over_common.With().Inc(tally.over_common);
  metrics_.suppressed.With().Inc(tally.suppressed);
  metrics_.records_quarantined.With().Inc(tally.quarantined);
  for (const auto& [outcome, n] : tally.records) metrics_.records.With({outcome}).Inc(n);
  for (const auto& [stage, n] : tally.dead_letters) metrics_.dead_letters.With({stage}).Inc(n);
  for (const auto& [source, n] : tally.fetched) metrics_.fetch_leads.With({source}).Inc(n);
  for (const auto& [source, n] : tally.fetch_retries) metrics_.fetch_retries.With({source}).Inc(n);
}

struct WorkerPool::Prepared {
  store::InboxRow* row;
  std::vector<Record> records;
  std::vector<NormalizedRecord> normalized;
  std::vector<store::WritePrep> preps;  // per record; made for accepted records only
  Status failure;  // parse failure: the whole payload is dead-lettered
  long long fetch_job_id = 0;  // a fetched lead: its job (named by its dead letters)
  bool check_stored = false;   // the payload may have been written before (a replay): skip records stored
};

// Normalizes each record of `p` and prepares the accepted ones for the writer; their keys' hashes (the locks) go
// to `keys`.
void WorkerPool::PrepareRecords(Prepared& p, const RuleSet& rules, std::vector<long long>& keys) {
  for (auto& rec : p.records) {
    p.normalized.push_back(Normalize(rec, rules));
    store::WritePrep& prep = p.preps.emplace_back();
    if (!p.normalized.back().accepted()) continue;
    prep = store::PrepareWrite(rec, p.normalized.back(), rules);
    keys.insert(keys.end(), prep.key_hashes.begin(), prep.key_hashes.end());
  }
}

WorkerPool::WorkerPool(WorkerOptions options, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log,
                       DaemonMetrics& metrics)
    : options_(std::move(options)),
      rules_(rules),
      log_(std::move(log)),
      metrics_(metrics),
      heartbeats_(static_cast<size_t>(std::max(0, options_.threads))) {}

WorkerPool::~WorkerPool() { Stop(); }

Status WorkerPool::Start() {
  return threads_.Start(options_.threads, options_.conninfo,
                        [this](int index, store::PgConn& conn) { Run(index, conn); });
}

void WorkerPool::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

// A worker checks the flag between batches (Run), never inside one: the batch in hand commits or rolls back whole.
void WorkerPool::Stop() { threads_.Stop(mu_, cv_, stopping_); }

void WorkerPool::Run(int index, store::PgConn& conn) {
  // A batch that fails on a healthy connection (its claim failed, say) is not retried before this.
  constexpr auto kFailedBatchPause = std::chrono::milliseconds(500);
  long long seen = -1;
  Reconnector reconnect(options_.reconnect, "worker", metrics_, log_);
  std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(index) << 32));
  // Term counts: the batches' deltas go into term_count every few seconds and when this worker goes idle, with at
  // least TermFolder::kIdleGap (5 s) between idle folds.
  store::TermFolder folder(store::TermFolder::kIdleGap);
  auto fold = [&](Status s) {
    if (!s.ok()) log_->warn("worker {}: term counts not folded yet (kept for the next fold): {}", index, s.ToString());
  };
  struct FoldOnStop {
    store::TermFolder& folder;
    store::PgConn& conn;
    ~FoldOnStop() { (void)folder.Flush(conn); }  // a failure leaves the deltas for the next start's first fold
  } fold_on_stop{folder, conn};
  // Drain: keep claiming while full batches come back (`process`: one batch, `retry`: its items one by one after
  // it failed). False when the pool is stopping.
  auto drain = [&](int limit, auto process, auto retry) {
    for (;;) {
      std::vector<long long> claimed;
      const auto start = std::chrono::steady_clock::now();
      heartbeats_.Busy(index);  // per batch: the watchdog's limit is on one batch, not on a busy stretch
      ++busy_;
      Result<int> n = process(limit, &claimed);
      --busy_;
      heartbeats_.Idle(index);
      if (!n.ok() || *n > 0)
        metrics_.worker_batch.With().Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (!n.ok()) {
        log_->error("worker {}: batch failed and rolled back: {}", index, n.status().ToString());
        bool lost = !conn.Healthy();
        // Not "the next pending items": another worker may hold the failed one by now, and an innocent item
        // would be dead-lettered in its place.
        if (!lost && !claimed.empty()) lost = !retry(claimed);
        if (lost) return true;  // Run reconnects, with backoff
        if (claimed.empty()) {
          std::this_thread::sleep_for(kFailedBatchPause);
          return true;
        }
        continue;
      }
      fold(folder.AfterBatch(conn, *n > 0));
      if (*n < limit) {
        fold(folder.Idle(conn));
        return true;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return false;
    }
  };
  for (;;) {
    heartbeats_.Idle(index);
    if (!reconnect.Ensure(conn).ok()) {
      // Wakes are not waited for: they come from this node's intake, which has no database either.
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_until(lock, reconnect.next_attempt(), [&] { return stopping_; })) return;
      continue;
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      if (seen == wakes_)
        cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                     [&] { return stopping_ || seen != wakes_; });
      if (stopping_) return;
      seen = wakes_;
    }
    bool go_on = drain(
        options_.batch,
        [&](int limit, std::vector<long long>* claimed) {
          std::vector<long long> wait;
          Result<int> n = ProcessBatch(conn, limit, {}, claimed, &wait);
          if (!n.ok() || wait.empty()) return n;
          // Rows that stepped aside twice: now, alone, waiting for their keys. Its failure is theirs to retry.
          std::vector<long long> again;
          Result<int> m = ProcessBatch(conn, static_cast<int>(wait.size()), wait, &again, nullptr);
          Waited(again);
          if (m.ok()) return n;
          *claimed = std::move(again);
          return m;
        },
        [&](const std::vector<long long>& ids) { return RetryOneByOne(index, conn, ids); });
    if (!go_on) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    // Then the leads due for a fetch, the same way.
    go_on = drain(
        kFetchBatch,
        [&](int limit, std::vector<long long>* claimed) { return ProcessFetchJobs(conn, limit, rng, {}, claimed); },
        [&](const std::vector<long long>& ids) { return RetryFetchOneByOne(index, conn, rng, ids); });
    if (!go_on) return;
  }
}

bool WorkerPool::RetryOneByOne(int index, store::PgConn& conn, const std::vector<long long>& ids) {
  return RetryEach(
      *log_, index, conn, ids, "inbox row",
      [&](long long id, std::vector<long long>* claimed) { return ProcessBatch(conn, 1, {id}, claimed); },
      [&](long long id, const Status& why) { return FailAlone(conn, id, why); });
}

bool WorkerPool::RetryFetchOneByOne(int index, store::PgConn& conn, std::mt19937_64& rng,
                                    const std::vector<long long>& ids) {
  return RetryEach(
      *log_, index, conn, ids, "fetch job",
      [&](long long id, std::vector<long long>* claimed) { return ProcessFetchJobs(conn, 1, rng, {id}, claimed); },
      [&](long long id, const Status& why) { return FailFetchAlone(conn, id, why); });
}

Status WorkerPool::FailAlone(store::PgConn& conn, long long id, const Status& why) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto rows = store::ClaimRows(conn, {id});
  if (!rows.ok()) return rows.status();
  for (auto& row : *rows) {
    LogScope scope(LogContext::Inbox(row.source, row.id));
    log_->warn("inbox {} (source {}): fails on its own; dead letter, stage store: {}", row.id, row.source,
               why.ToString());
    if (Status s = store::InsertDeadLetter(conn, {row.id, row.source, "store", why.ToString(), "", row.body});
        !s.ok())
      return s;
    if (Status s = store::MarkInbox(conn, row.id, "failed", why.ToString()); !s.ok()) return s;
  }
  if (Status s = tx.Commit(); !s.ok()) return s;
  if (!rows->empty()) {
    metrics_.worker_failed.With().Inc(rows->size());
    metrics_.dead_letters.With({"store"}).Inc(rows->size());
  }
  return Status::Ok();
}

Status WorkerPool::FailFetchAlone(store::PgConn& conn, long long id, const Status& why) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto jobs = store::ClaimFetchJobsById(conn, {id});
  if (!jobs.ok()) return jobs.status();
  for (const store::FetchJob& job : *jobs) {
    LogScope scope(LogContext::Inbox(job.inbox.source, job.inbox.id));
    if (Status s = store::InsertDeadLetter(conn, {job.inbox.id, job.inbox.source, "store", why.ToString(),
                                                  "lead_id " + job.lead_id, job.inbox.body, job.id});
        !s.ok())
      return s;
    if (Status s = store::UpdateFetchJobs(conn, {{job.id, "dead", 0, why.ToString()}}); !s.ok()) return s;
    log_->warn("fetch job {} (inbox {}, source {}): fails on its own; dead letter, stage store: {}", job.id,
               job.inbox.id, job.inbox.source, why.ToString());
  }
  if (Status s = tx.Commit(); !s.ok()) return s;
  if (!jobs->empty()) metrics_.dead_letters.With({"store"}).Inc(jobs->size());
  return Status::Ok();
}

// A notification of a fetch-based kind (Meta, LinkedIn) carries references only: the lead is fetched from the
// vendor's API, once per attempt (the retries are the fetch_job's). The access token comes from the environment
// variable the source names; it is never logged, and the client scrubs it from error texts.
Result<Record> WorkerPool::FetchLead(const SourceConfig& source, const store::FetchJob& job) {
  const LeadRequest req = LeadRequestFor(source, job.lead_id);
  const std::string api = source.kind == "linkedin_leads" ? "LinkedIn API" : "Graph API";
  GraphClientOptions opts;
  opts.base_url = req.base_url;
  opts.ca_file = req.ca_file;
  opts.bearer = req.bearer;
  opts.headers = req.headers;
  opts.api_name = api;
  opts.max_attempts = 1;
  GraphClient client(opts);
  // Looked up here, so a source that fetched shows 0 failures, retries and leads rather than no series.
  Counter& fetches = metrics_.fetches.With({source.name});
  Counter& failures = metrics_.fetch_failures.With({source.name});
  metrics_.fetch_retries.With({source.name});
  metrics_.fetch_leads.With({source.name});
  std::string token_var = source.Option("access_token_env");
  const char* token = token_var.empty() ? nullptr : std::getenv(token_var.c_str());
  if (!token || !*token) {
    failures.Inc();
    return Status::Unauthenticated("no " + api + " access token configured (access_token_env)");
  }
  auto res = client.Get(req.target, token);
  fetches.Inc();
  if (!res.ok()) {
    failures.Inc();
    // Meta's dead letters name the lead as its notification does.
    return Status(res.status().code(), api + " lead fetch failed: " + res.status().message(),
                  (source.kind == "meta_leads" ? "leadgen_id " : "lead_id ") + job.lead_id);
  }
  // Poison text in the answer is Normalize's to reject: the lead becomes a dead letter of stage validate.
  auto rec = ParseFetchedLead(source, res->body, job.inbox.body, job.record_index, job.lead_id);
  if (!rec.ok()) return rec.status();
  rec->index = job.record_index;
  rec->source = job.inbox.source;
  if (rec->delivery_key.empty()) rec->delivery_key = job.lead_id;
  return rec;
}

Result<int> WorkerPool::ProcessFetchJobs(store::PgConn& conn, int limit, std::mt19937_64& rng,
                                         const std::vector<long long>& only, std::vector<long long>* claimed) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto jobs = only.empty() ? store::ClaimFetchJobs(conn, limit) : store::ClaimFetchJobsById(conn, only);
  if (!jobs.ok()) return jobs.status();
  for (const store::FetchJob& job : *jobs) claimed->push_back(job.id);
  if (jobs->empty()) {
    if (Status s = tx.Commit(); !s.ok()) return s;
    return 0;
  }
  std::shared_ptr<const RuleSet> rules = rules_.Get();
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<Prepared> prepared;
  std::vector<long long> keys;  // hashes
  std::vector<store::FetchJobUpdate> updates;
  Tally tally;
  for (store::FetchJob& job : *jobs) {
    LogScope scope(LogContext::Inbox(job.inbox.source, job.inbox.id));
    const SourceConfig* source = rules->FindSource(job.inbox.source);
    Result<Record> rec = source ? FetchLead(*source, job)
                                : Result<Record>(Status::Unavailable("source '" + job.inbox.source +
                                                                     "' is not in the rules in force"));
    if (rec.ok()) {
      ++tally.fetched[job.inbox.source];
      updates.push_back({job.id, "done", 0, ""});
      Prepared& p = prepared.emplace_back(Prepared{&job.inbox, {}, {}, {}, Status::Ok()});
      p.fetch_job_id = job.id;
      p.check_stored = true;
      p.records.push_back(std::move(*rec));
      PrepareRecords(p, *rules, keys);
      continue;
    }
    const Status& why = rec.status();
    RetryDecision next;
    next.dead = true;
    if (Retriable(why))
      next = NextRetry(source ? FetchRetryPolicy::Of(*source) : FetchRetryPolicy{}, job.attempts,
                       std::chrono::milliseconds(job.elapsed_ms), uniform(rng));
    if (!next.dead) {
      ++tally.fetch_retries[job.inbox.source];
      updates.push_back({job.id, "pending", next.delay.count(), why.message()});
      log_->warn("fetch job {} (inbox {}, source {}): attempt {} failed, retry in {} ms: {}", job.id, job.inbox.id,
                 job.inbox.source, job.attempts, next.delay.count(), why.message());
      continue;
    }
    ++tally.dead_letters["fetch"];
    updates.push_back({job.id, "dead", 0, why.message()});
    std::string where = why.where().empty() ? "lead_id " + job.lead_id : why.where();
    if (Status s = store::InsertDeadLetter(
            conn, {job.inbox.id, job.inbox.source, "fetch", why.message(), where, job.inbox.body, job.id});
        !s.ok())
      return s;
    log_->warn("fetch job {} (inbox {}, source {}): dead-lettered after {} attempt(s) ({}): {}", job.id, job.inbox.id,
               job.inbox.source, job.attempts, Retriable(why) ? "retry window passed" : "refused, not retried",
               why.message());
  }
  auto written = WritePrepared(conn, prepared, *rules, keys, tally);
  if (!written.ok()) return written.status();
  if (Status s = store::UpdateFetchJobs(conn, updates); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  Count(tally);
  return static_cast<int>(jobs->size());
}

Result<int> WorkerPool::ProcessBatch(store::PgConn& conn, int limit, const std::vector<long long>& only,
                                     std::vector<long long>* claimed, std::vector<long long>* wait) {
  // The inbox rows are the durable copy (intake committed them before its 2xx), and the batch marks them done in
  // its own transaction: its commit need not wait for the disk. A server crash loses the last such batches, and
  // their rows, pending again, are written by the next claim; what a later transaction built on them (a steward's
  // decision, another node's join) is lost with them or, committed synchronously, made them durable first.
  store::Tx tx(conn);
  if (Status s = tx.BeginAsyncCommit(); !s.ok()) return s;
  auto rows = only.empty() ? store::ClaimPending(conn, limit) : store::ClaimRows(conn, only);
  if (!rows.ok()) return rows.status();
  for (const store::InboxRow& row : *rows) claimed->push_back(row.id);
  // Inbox order is arrival order: records are written (and matched, and get their ids) in it.
  std::sort(rows->begin(), rows->end(), [](const store::InboxRow& a, const store::InboxRow& b) { return a.id < b.id; });
  if (rows->empty()) {
    if (Status s = tx.Commit(); !s.ok()) return s;
    return 0;
  }
  std::shared_ptr<const RuleSet> rules = rules_.Get();
  Tally tally;

  // Pure stages first (parse, normalize) for the whole batch, so the keys to lock are known up front. A fetch-based
  // source's notification becomes one fetch job per lead instead (written by the fetch half of Run).
  std::vector<Prepared> prepared;
  std::vector<long long> keys;  // hashes
  std::vector<store::NewFetchJob> fetches;
  for (auto& row : *rows) {
    Prepared p{&row, {}, {}, {}, Status::Ok()};
    // A row claimed before (a replay, or a batch retried row by row) may have records stored already.
    p.check_stored = row.attempts > 1;
    const SourceConfig* source = rules->FindSource(row.source);
    if (!source) {
      p.failure = Status::NotFound("source '" + row.source + "' is not in the rules in force");
    } else if (IsFetchKind(*source)) {
      auto ids = NotificationLeadIds(*source, row.body);
      if (!ids.ok()) p.failure = ids.status();
      else
        for (size_t i = 0; i < ids->size(); ++i) fetches.push_back({row.source, (*ids)[i], row.id, static_cast<int>(i)});
    } else {
      Payload payload;
      payload.body = row.body;
      payload.content_type = row.content_type;
      payload.headers = HeadersFromJson(row.headers_json);
      payload.query = row.query;
      auto parsed = ParsePayload(*source, payload);
      if (!parsed.ok()) {
        p.failure = parsed.status();
      } else {
        p.records = std::move(*parsed);
        for (auto& rec : p.records) {
          rec.source = row.source;
          if (rec.delivery_key.empty() && !row.delivery_key.empty())
            rec.delivery_key = p.records.size() == 1 ? row.delivery_key
                                                     : row.delivery_key + "#" + std::to_string(rec.index);
        }
        PrepareRecords(p, *rules, keys);
      }
    }
    prepared.push_back(std::move(p));
  }
  if (wait) {
    // The keys are locked here, not in WritePrepared: a row whose key another batch holds steps aside (DeferBusy).
    auto aside = DeferBusy(conn, prepared, wait);
    if (!aside.ok()) return aside.status();
    keys.clear();
  }
  if (Status s = store::EnqueueFetchJobs(conn, fetches); !s.ok()) return s;
  auto written = WritePrepared(conn, prepared, *rules, keys, tally);
  if (!written.ok()) return written.status();
  std::vector<store::InboxMark> marks;
  for (size_t pi = 0; pi < prepared.size(); ++pi) {
    const Prepared& p = prepared[pi];
    if (!p.failure.ok()) {
      marks.push_back({p.row->id, "failed", p.failure.ToString()});
      ++tally.failed;
      continue;
    }
    bool done = (*written)[pi] > 0 || p.records.empty();
    marks.push_back({p.row->id, done ? "done" : "failed", done ? "" : "every record was refused"});
    if (done) ++tally.processed;
    else ++tally.failed;
  }
  if (Status s = store::MarkInboxRows(conn, marks); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  Count(tally);
  return static_cast<int>(rows->size());
}

Result<int> WorkerPool::DeferBusy(store::PgConn& conn, std::vector<Prepared>& prepared,
                                  std::vector<long long>* wait) {
  std::vector<long long> keys;
  std::vector<size_t> owner;
  for (size_t pi = 0; pi < prepared.size(); ++pi)
    for (const store::WritePrep& prep : prepared[pi].preps)
      for (long long k : prep.key_hashes) {
        keys.push_back(k);
        owner.push_back(pi);
      }
  auto held = store::TryLockKeyHashes(conn, keys);
  if (!held.ok()) return held.status();
  std::vector<bool> aside(prepared.size(), false);
  for (size_t j = 0; j < keys.size(); ++j)
    if (!(*held)[j]) aside[owner[j]] = true;
  std::vector<Prepared> kept;
  kept.reserve(prepared.size());
  int n = 0;
  {
    std::lock_guard<std::mutex> lock(deferred_mu_);
    if (deferred_.size() > kMaxDeferred) deferred_.clear();  // ids other nodes took: forgotten, never wrong
    if (waiting_.size() > kMaxDeferred) waiting_.clear();
    for (size_t pi = 0; pi < prepared.size(); ++pi) {
      const long long id = prepared[pi].row->id;
      if (!aside[pi]) {
        deferred_.erase(id);
        waiting_.erase(id);
        kept.push_back(std::move(prepared[pi]));
        continue;
      }
      // Another worker of this node is about to wait for this row: it claimed it between that worker's commit
      // and its waiting batch. This worker waits for it too (whichever claims it first writes it); not counted again.
      if (waiting_.count(id)) {
        wait->push_back(id);
        continue;
      }
      ++n;
      // The second time: written next, alone, waiting for its keys (no row is put off for ever).
      if (deferred_.erase(id)) {
        wait->push_back(id);
        waiting_.insert(id);
      } else {
        deferred_.insert(id);
      }
    }
  }
  prepared = std::move(kept);
  if (n) metrics_.worker_deferred.With().Inc(static_cast<uint64_t>(n));
  return n;
}

void WorkerPool::Waited(const std::vector<long long>& claimed) {
  std::lock_guard<std::mutex> lock(deferred_mu_);
  for (long long id : claimed) waiting_.erase(id);
}

Result<std::vector<int>> WorkerPool::WritePrepared(store::PgConn& conn, std::vector<Prepared>& prepared,
                                                   const RuleSet& rules, const std::vector<long long>& keys,
                                                   Tally& tally) {
  if (Status s = store::LockKeyHashes(conn, keys); !s.ok()) return s;

  // Records of payloads that may have been written before, already in source_record: handled, not written again.
  std::vector<long long> recheck;
  for (const Prepared& p : prepared)
    if (p.check_stored && p.failure.ok()) recheck.push_back(p.row->id);
  auto stored = store::StoredRecordIndexes(conn, recheck);
  if (!stored.ok()) return stored.status();

  // Suppressed people (an erasure with suppress): their records are dropped here, before anything is stored, and
  // the payload that carried them is emptied (it was acknowledged; its bytes must not stay either).
  std::vector<const NormalizedRecord*> accepted;
  for (Prepared& p : prepared)
    for (const NormalizedRecord& n : p.normalized)
      if (n.accepted()) accepted.push_back(&n);
  auto suppressed = store::SuppressedRecords(conn, accepted);
  if (!suppressed.ok()) return suppressed.status();
  std::set<const NormalizedRecord*> dropped;
  for (size_t i = 0; i < accepted.size(); ++i)
    if ((*suppressed)[i]) dropped.insert(accepted[i]);
  std::vector<long long> emptied;
  for (Prepared& p : prepared) {
    int n = 0;
    for (const NormalizedRecord& rec : p.normalized) n += dropped.count(&rec) ? 1 : 0;
    if (n == 0) continue;
    tally.suppressed += n;
    tally.records["suppressed"] += n;
    emptied.push_back(p.row->id);
    LogScope scope(LogContext::Inbox(p.row->source, p.row->id));
    log_->info("inbox {} (source {}): {} record(s) of suppressed people dropped", p.row->id, p.row->source, n);
  }
  if (Status s = store::EmptyPayloads(conn, emptied); !s.ok()) return s;

  // Refusals first (dead letters), then every accepted record in one WriteBatch.
  std::vector<store::WriteItem> items;
  std::vector<size_t> item_payload;
  std::vector<int> written(prepared.size(), 0);
  for (size_t pi = 0; pi < prepared.size(); ++pi) {
    Prepared& p = prepared[pi];
    store::InboxRow& row = *p.row;
    LogScope scope(LogContext::Inbox(row.source, row.id));
    if (!p.failure.ok()) {
      const char* stage = p.failure.message().rfind("Graph API", 0) == 0 || p.failure.code() == Code::kUnauthenticated
                              ? "fetch"
                              : "parse";
      log_->warn("inbox {} (source {}): dead letter, stage {}: {}", row.id, row.source, stage, p.failure.ToString());
      Status s = store::InsertDeadLetter(conn, {row.id, row.source, stage, p.failure.message(), p.failure.where(),
                                                row.body, p.fetch_job_id});
      if (!s.ok()) return s;
      ++tally.dead_letters[stage];
      continue;
    }
    for (size_t i = 0; i < p.records.size(); ++i) {
      const NormalizedRecord& n = p.normalized[i];
      if (stored->count({row.id, p.records[i].index})) {
        ++written[pi];  // written by an earlier delivery of the same work: handled, once
        continue;
      }
      if (!n.accepted()) {
        std::string reason, where;
        for (const auto& r : n.rejected) {
          if (!reason.empty()) reason += "; ";
          reason += r.field + ": " + r.reason;
          if (where.empty()) where = "record " + std::to_string(p.records[i].index) + " field " + r.field;
        }
        log_->warn("inbox {} (source {}): dead letter, stage validate: {} ({})", row.id, row.source, reason, where);
        Status s = store::InsertDeadLetter(conn, {row.id, row.source, "validate", reason, where, row.body,
                                                  p.fetch_job_id});
        if (!s.ok()) return s;
        ++tally.dead_letters["validate"];
        continue;
      }
      if (dropped.count(&n)) {
        ++written[pi];  // acknowledged and handled: the payload is done, not failed
        continue;
      }
      items.push_back({{row.id, row.received_at}, &p.records[i], &n, &p.preps[i]});
      item_payload.push_back(pi);
    }
  }
  auto outcomes = store::WriteBatch(conn, items, rules);
  if (!outcomes.ok()) return outcomes.status();
  for (size_t i = 0; i < outcomes->size(); ++i) {
    const store::WriteOutcome& w = (*outcomes)[i];
    ++written[item_payload[i]];
    ++tally.records[RecordOutcome(w.decision)];
    if (!items[i].normalized->quarantined.empty() && w.decision != "test") ++tally.quarantined;
    // Over-common blocking keys were skipped, not followed: report their kind (never the value, which is PII).
    const store::InboxRow& row = *prepared[item_payload[i]].row;
    LogScope scope(LogContext::Inbox(row.source, row.id));
    for (const auto& key : w.over_common_keys) {
      ++tally.over_common;
      log_->warn("over-common blocking key of kind '{}' skipped for source record {}", key.substr(0, key.find(':')),
                 w.source_record_id);
    }
  }
  return written;
}

}  // namespace canon::daemon

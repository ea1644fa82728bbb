#include "daemon/worker.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "connectors/connector.h"
#include "daemon/graph_client.h"
#include "hygiene/normalize.h"
#include "store/entities.h"
#include "store/erase.h"
#include "store/fetch_jobs.h"
#include "daemon/fetch_retry.h"

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

}  // namespace

struct WorkerPool::Prepared {
  store::InboxRow* row;
  std::vector<Record> records;
  std::vector<NormalizedRecord> normalized;
  std::vector<store::WritePrep> preps;  // per record; made for accepted records only
  Status failure;  // parse failure: the whole payload is dead-lettered
  long long fetch_job_id = 0;  // a fetched lead: its job (named by its dead letters)
  bool check_stored = false;   // the payload may have been written before (a replay): skip records stored
};

// Normalizes each record of `p` and prepares the accepted ones for the writer; their keys go to `keys`.
void WorkerPool::PrepareRecords(Prepared& p, const RuleSet& rules, std::vector<std::string>& keys) {
  for (auto& rec : p.records) {
    p.normalized.push_back(Normalize(rec, rules));
    store::WritePrep& prep = p.preps.emplace_back();
    if (!p.normalized.back().accepted()) continue;
    prep = store::PrepareWrite(rec, p.normalized.back(), rules);
    keys.insert(keys.end(), prep.keys.begin(), prep.keys.end());
  }
}

WorkerPool::WorkerPool(WorkerOptions options, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)), rules_(rules), log_(std::move(log)) {}

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
  int limit = options_.batch;
  int fetch_limit = kFetchBatch;
  long long seen = -1;
  std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(index) << 32));
  auto stopping = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  };
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      if (seen == wakes_)
        cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                     [&] { return stopping_ || seen != wakes_; });
      if (stopping_) return;
      seen = wakes_;
    }
    // Drain: keep claiming while full batches come back.
    for (;;) {
      auto n = ProcessBatch(conn, limit);
      if (!n.ok()) {
        log_->error("worker {}: batch failed and rolled back: {}", index, n.status().ToString());
        if (!conn.Healthy()) {
          conn.EnsureConnected();
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          break;
        }
        if (limit == 1) {
          // A row that fails on its own is poison: mark it failed (kept, with the reason) and move on.
          FailAlone(conn, n.status());
          limit = options_.batch;
        } else {
          limit = 1;  // find the row that fails by retrying one at a time
        }
        continue;
      }
      if (*n < limit) break;
      if (limit == 1) limit = options_.batch;
      if (stopping()) return;
    }
    // Then the leads due for a fetch, the same way.
    for (;;) {
      if (stopping()) return;
      auto n = ProcessFetchJobs(conn, fetch_limit, rng);
      if (!n.ok()) {
        log_->error("worker {}: fetch batch failed and rolled back: {}", index, n.status().ToString());
        if (!conn.Healthy()) {
          conn.EnsureConnected();
          break;
        }
        if (fetch_limit == 1) {
          FailFetchAlone(conn, n.status());
          fetch_limit = kFetchBatch;
        } else {
          fetch_limit = 1;
        }
        continue;
      }
      if (*n < fetch_limit) break;
      fetch_limit = kFetchBatch;
    }
  }
}

Status WorkerPool::FailAlone(store::PgConn& conn, const Status& why) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto rows = store::ClaimPending(conn, 1);
  if (!rows.ok()) return rows.status();
  for (auto& row : *rows) {
    store::InsertDeadLetter(conn, {row.id, row.source, "store", why.ToString(), "", row.body});
    store::MarkInbox(conn, row.id, "failed", why.ToString());
    ++failed_;
  }
  return tx.Commit();
}

Status WorkerPool::FailFetchAlone(store::PgConn& conn, const Status& why) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto jobs = store::ClaimFetchJobs(conn, 1);
  if (!jobs.ok()) return jobs.status();
  for (const store::FetchJob& job : *jobs) {
    if (Status s = store::InsertDeadLetter(conn, {job.inbox.id, job.inbox.source, "store", why.ToString(),
                                                  "leadgen_id " + job.lead_id, job.inbox.body, job.id});
        !s.ok())
      return s;
    if (Status s = store::UpdateFetchJobs(conn, {{job.id, "dead", 0, why.ToString()}}); !s.ok()) return s;
    ++fetch_dead_;
    log_->warn("fetch job {} (inbox {}, source {}): dead-lettered, its record cannot be stored", job.id, job.inbox.id,
               job.inbox.source);
  }
  return tx.Commit();
}

// A Meta notification carries references only: the lead is fetched from the Graph API, once per attempt (the
// retries are the fetch_job's). The access token comes from the environment variable the source names; it is
// never logged, and the client scrubs it from error texts.
Result<Record> WorkerPool::FetchLead(const SourceConfig& source, const store::FetchJob& job) {
  MetaLeadRef ref;
  ref.leadgen_id = job.lead_id;
  // The notification completes the lead (form, ad, page, time); one erased since then still lets it be fetched.
  if (auto refs = ParseMetaNotification(job.inbox.body);
      refs.ok() && job.record_index >= 0 && static_cast<size_t>(job.record_index) < refs->size() &&
      (*refs)[job.record_index].leadgen_id == job.lead_id)
    ref = (*refs)[job.record_index];
  GraphClientOptions opts;
  if (auto base = source.Option("graph_base"); !base.empty()) opts.base_url = base;
  opts.ca_file = source.Option("graph_ca_file");
  opts.max_attempts = 1;
  GraphClient client(opts);
  std::string token_var = source.Option("access_token_env");
  const char* token = token_var.empty() ? nullptr : std::getenv(token_var.c_str());
  if (!token || !*token) return Status::Unauthenticated("no Graph API access token configured (access_token_env)");
  auto res = client.Get(MetaLeadTarget(ref.leadgen_id), token);
  if (!res.ok())
    return Status(res.status().code(), "Graph API lead fetch failed: " + res.status().message(),
                  "leadgen_id " + ref.leadgen_id);
  auto rec = ParseMetaLead(source, res->body, ref);
  if (!rec.ok()) return rec.status();
  if (Status s = CheckRecordText(*rec); !s.ok()) return s;
  rec->index = job.record_index;
  rec->source = job.inbox.source;
  if (rec->delivery_key.empty()) rec->delivery_key = ref.leadgen_id;
  return rec;
}

Result<int> WorkerPool::ProcessFetchJobs(store::PgConn& conn, int limit, std::mt19937_64& rng) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto jobs = store::ClaimFetchJobs(conn, limit);
  if (!jobs.ok()) return jobs.status();
  if (jobs->empty()) {
    if (Status s = tx.Commit(); !s.ok()) return s;
    return 0;
  }
  std::shared_ptr<const RuleSet> rules = rules_.Get();
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<Prepared> prepared;
  std::vector<std::string> keys;
  std::vector<store::FetchJobUpdate> updates;
  for (store::FetchJob& job : *jobs) {
    const SourceConfig* source = rules->FindSource(job.inbox.source);
    Result<Record> rec = source ? FetchLead(*source, job)
                                : Result<Record>(Status::Unavailable("source '" + job.inbox.source +
                                                                     "' is not in the rules in force"));
    if (rec.ok()) {
      ++fetched_;
      updates.push_back({job.id, "done", 0, ""});
      Prepared& p = prepared.emplace_back(Prepared{&job.inbox, {}, {}, {}, Status::Ok()});
      p.fetch_job_id = job.id;
      p.check_stored = true;
      p.records.push_back(std::move(*rec));
      PrepareRecords(p, *rules, keys);
      continue;
    }
    ++fetch_failures_;
    const Status& why = rec.status();
    RetryDecision next;
    next.dead = true;
    if (Retriable(why))
      next = NextRetry(source ? FetchRetryPolicy::Of(*source) : FetchRetryPolicy{}, job.attempts,
                       std::chrono::milliseconds(job.elapsed_ms), uniform(rng));
    if (!next.dead) {
      updates.push_back({job.id, "pending", next.delay.count(), why.message()});
      log_->warn("fetch job {} (inbox {}, source {}): attempt {} failed, retry in {} ms: {}", job.id, job.inbox.id,
                 job.inbox.source, job.attempts, next.delay.count(), why.message());
      continue;
    }
    ++fetch_dead_;
    updates.push_back({job.id, "dead", 0, why.message()});
    std::string where = why.where().empty() ? "leadgen_id " + job.lead_id : why.where();
    if (Status s = store::InsertDeadLetter(
            conn, {job.inbox.id, job.inbox.source, "fetch", why.message(), where, job.inbox.body, job.id});
        !s.ok())
      return s;
    log_->warn("fetch job {} (inbox {}, source {}): dead-lettered after {} attempt(s) ({}): {}", job.id, job.inbox.id,
               job.inbox.source, job.attempts, Retriable(why) ? "retry window passed" : "refused, not retried",
               why.message());
  }
  auto written = WritePrepared(conn, prepared, *rules, keys);
  if (!written.ok()) return written.status();
  if (Status s = store::UpdateFetchJobs(conn, updates); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  return static_cast<int>(jobs->size());
}

Result<int> WorkerPool::ProcessBatch(store::PgConn& conn, int limit) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
  auto rows = store::ClaimPending(conn, limit);
  if (!rows.ok()) return rows.status();
  // Inbox order is arrival order: records are written (and matched, and get their ids) in it.
  std::sort(rows->begin(), rows->end(), [](const store::InboxRow& a, const store::InboxRow& b) { return a.id < b.id; });
  if (rows->empty()) {
    if (Status s = tx.Commit(); !s.ok()) return s;
    return 0;
  }
  std::shared_ptr<const RuleSet> rules = rules_.Get();

  // Pure stages first (parse, normalize) for the whole batch, so the keys to lock are known up front. A fetch-based
  // source's notification becomes one fetch job per lead instead (written by the fetch half of Run).
  std::vector<Prepared> prepared;
  std::vector<std::string> keys;
  std::vector<store::NewFetchJob> fetches;
  for (auto& row : *rows) {
    Prepared p{&row, {}, {}, {}, Status::Ok()};
    // A row claimed before (a replay, or a batch retried row by row) may have records stored already.
    p.check_stored = row.attempts > 1;
    const SourceConfig* source = rules->FindSource(row.source);
    if (!source) {
      p.failure = Status::NotFound("source '" + row.source + "' is not in the rules in force");
    } else if (source->kind == "meta_leads") {
      auto refs = ParseMetaNotification(row.body);
      if (!refs.ok()) p.failure = refs.status();
      else
        for (size_t i = 0; i < refs->size(); ++i)
          fetches.push_back({row.source, (*refs)[i].leadgen_id, row.id, static_cast<int>(i)});
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
  if (Status s = store::EnqueueFetchJobs(conn, fetches); !s.ok()) return s;
  auto written = WritePrepared(conn, prepared, *rules, keys);
  if (!written.ok()) return written.status();
  std::vector<store::InboxMark> marks;
  for (size_t pi = 0; pi < prepared.size(); ++pi) {
    const Prepared& p = prepared[pi];
    if (!p.failure.ok()) {
      marks.push_back({p.row->id, "failed", p.failure.ToString()});
      ++failed_;
      continue;
    }
    bool done = (*written)[pi] > 0 || p.records.empty();
    marks.push_back({p.row->id, done ? "done" : "failed", done ? "" : "every record was refused"});
    if (done) ++processed_;
    else ++failed_;
  }
  if (Status s = store::MarkInboxRows(conn, marks); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  return static_cast<int>(rows->size());
}

Result<std::vector<int>> WorkerPool::WritePrepared(store::PgConn& conn, std::vector<Prepared>& prepared,
                                                   const RuleSet& rules, const std::vector<std::string>& keys) {
  if (Status s = store::LockKeys(conn, keys); !s.ok()) return s;

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
    suppressed_ += n;
    emptied.push_back(p.row->id);
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
    if (!p.failure.ok()) {
      Status s = store::InsertDeadLetter(conn, {row.id, row.source, "parse", p.failure.message(), p.failure.where(),
                                                row.body, p.fetch_job_id});
      if (!s.ok()) return s;
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
        Status s = store::InsertDeadLetter(conn, {row.id, row.source, "validate", reason, where, row.body,
                                                  p.fetch_job_id});
        if (!s.ok()) return s;
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
    // Over-common blocking keys were skipped, not followed: report their kind (never the value, which is PII).
    for (const auto& key : w.over_common_keys) {
      ++over_common_;
      log_->warn("over-common blocking key of kind '{}' skipped for source record {}", key.substr(0, key.find(':')),
                 w.source_record_id);
    }
  }
  return written;
}

}  // namespace canon::daemon

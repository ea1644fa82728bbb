#include "daemon/worker.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "connectors/connector.h"
#include "daemon/graph_client.h"
#include "daemon/log.h"
#include "hygiene/normalize.h"
#include "store/entities.h"
#include "store/erase.h"

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

// What a batch counts; added to the metrics only once the batch commits (a rolled-back batch is claimed again).
struct Tally {
  uint64_t processed = 0, failed = 0, over_common = 0, suppressed = 0, quarantined = 0;
  std::map<std::string, uint64_t> records;       // outcome -> records
  std::map<std::string, uint64_t> dead_letters;  // stage -> dead letters
};

// WriteOutcome::decision -> canon_records_total's outcome.
const char* RecordOutcome(const std::string& decision) {
  if (decision == "merge") return "joined";
  if (decision == "new" || decision == "review" || decision == "test") return decision.c_str();
  return "other";
}

struct Prepared {
  store::InboxRow* row;
  std::vector<Record> records;
  std::vector<NormalizedRecord> normalized;
  std::vector<store::WritePrep> preps;  // per record; made for accepted records only
  Status failure;  // parse failure: the whole payload is dead-lettered
};

}  // namespace

// A Meta notification carries references only: fetch each lead from the Graph API. The access token comes from
// the environment variable the source names; it is never logged.
Result<std::vector<Record>> WorkerPool::FetchMetaLeads(const SourceConfig& source, std::string_view body) {
  auto refs = ParseMetaNotification(body);
  if (!refs.ok()) return refs.status();
  GraphClientOptions opts;
  if (auto base = source.Option("graph_base"); !base.empty()) opts.base_url = base;
  opts.ca_file = source.Option("graph_ca_file");
  // Looked up once, so a source that fetched shows 0 failures and 0 retries rather than no series.
  Counter& fetches = metrics_.fetches.With({source.name});
  Counter& retries = metrics_.fetch_retries.With({source.name});
  Counter& failures = metrics_.fetch_failures.With({source.name});
  opts.on_retry = [&retries] { retries.Inc(); };
  GraphClient client(opts);
  std::string token_var = source.Option("access_token_env");
  const char* token = token_var.empty() ? nullptr : std::getenv(token_var.c_str());
  if (!token || !*token) {
    failures.Inc();
    return Status::Unauthenticated("no Graph API access token configured (access_token_env)");
  }
  std::vector<Record> out;
  for (size_t i = 0; i < refs->size(); ++i) {
    const MetaLeadRef& ref = (*refs)[i];
    auto res = client.Get(MetaLeadTarget(ref.leadgen_id), token);
    fetches.Inc();
    if (!res.ok()) failures.Inc();
    if (!res.ok())
      return Status(res.status().code(), "Graph API lead fetch failed: " + res.status().message(),
                    "leadgen_id " + ref.leadgen_id);
    auto rec = ParseMetaLead(source, res->body, ref);
    if (!rec.ok()) return rec.status();
    if (Status s = CheckRecordText(*rec); !s.ok()) return s;
    rec->index = static_cast<int>(i);
    if (rec->delivery_key.empty()) rec->delivery_key = ref.leadgen_id;
    out.push_back(std::move(*rec));
  }
  return out;
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
  long long seen = -1;
  for (;;) {
    heartbeats_.Idle(index);
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
      std::vector<long long> claimed;
      const auto start = std::chrono::steady_clock::now();
      heartbeats_.Busy(index);  // per batch: the watchdog's limit is on one batch, not on a busy stretch
      ++busy_;
      auto n = ProcessBatch(conn, options_.batch, {}, &claimed);
      --busy_;
      if (!n.ok() || *n > 0)
        metrics_.worker_batch.With().Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (!n.ok()) {
        log_->error("worker {}: batch failed and rolled back: {}", index, n.status().ToString());
        bool lost = !conn.Healthy();
        // Not "the next pending rows": another worker may hold the failed row by now, and an innocent row would
        // be dead-lettered in its place.
        if (!lost && !claimed.empty()) lost = !RetryOneByOne(index, conn, claimed);
        if (lost || claimed.empty()) {
          if (lost) conn.EnsureConnected();
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          break;
        }
        continue;
      }
      if (*n < options_.batch) break;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
  }
}

bool WorkerPool::RetryOneByOne(int index, store::PgConn& conn, const std::vector<long long>& ids) {
  for (long long id : ids) {
    std::vector<long long> claimed;
    auto n = ProcessBatch(conn, 1, {id}, &claimed);
    if (n.ok()) continue;
    log_->error("worker {}: inbox row {} failed alone: {}", index, id, n.status().ToString());
    if (!conn.Healthy()) return false;
    if (claimed.empty()) continue;  // the claim itself failed: the row stays pending for a later batch
    if (Status s = FailAlone(conn, id, n.status()); !s.ok()) {
      log_->error("worker {}: inbox row {} could not be marked failed: {}", index, id, s.ToString());
      if (!conn.Healthy()) return false;
    }
  }
  return true;
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

Result<int> WorkerPool::ProcessBatch(store::PgConn& conn, int limit, const std::vector<long long>& only,
                                     std::vector<long long>* claimed) {
  store::Tx tx(conn);
  if (Status s = tx.Begin(); !s.ok()) return s;
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

  // Pure stages first (parse, normalize) for the whole batch, so the keys to lock are known up front.
  std::vector<Prepared> prepared;
  std::vector<std::string> keys;
  for (auto& row : *rows) {
    Prepared p{&row, {}, {}, {}, Status::Ok()};
    const SourceConfig* source = rules->FindSource(row.source);
    if (!source) {
      p.failure = Status::NotFound("source '" + row.source + "' is not in the rules in force");
    } else {
      Payload payload;
      payload.body = row.body;
      payload.content_type = row.content_type;
      payload.headers = HeadersFromJson(row.headers_json);
      payload.query = row.query;
      auto parsed = source->kind == "meta_leads" ? FetchMetaLeads(*source, row.body) : ParsePayload(*source, payload);
      if (!parsed.ok()) {
        p.failure = parsed.status();
      } else {
        p.records = std::move(*parsed);
        for (auto& rec : p.records) {
          rec.source = row.source;
          if (rec.delivery_key.empty() && !row.delivery_key.empty())
            rec.delivery_key = p.records.size() == 1 ? row.delivery_key
                                                     : row.delivery_key + "#" + std::to_string(rec.index);
          p.normalized.push_back(Normalize(rec, *rules));
          store::WritePrep& prep = p.preps.emplace_back();
          if (!p.normalized.back().accepted()) continue;
          prep = store::PrepareWrite(rec, p.normalized.back(), *rules);
          keys.insert(keys.end(), prep.keys.begin(), prep.keys.end());
        }
      }
    }
    prepared.push_back(std::move(p));
  }
  if (Status s = store::LockKeys(conn, keys); !s.ok()) return s;

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

  // Refusals first (dead letters), then every accepted record of the batch in one WriteBatch.
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
      Status s = store::InsertDeadLetter(conn, {row.id, row.source, stage, p.failure.message(),
                                                p.failure.where(), row.body});
      if (!s.ok()) return s;
      ++tally.dead_letters[stage];
      continue;
    }
    for (size_t i = 0; i < p.records.size(); ++i) {
      const NormalizedRecord& n = p.normalized[i];
      if (!n.accepted()) {
        std::string reason, where;
        for (const auto& r : n.rejected) {
          if (!reason.empty()) reason += "; ";
          reason += r.field + ": " + r.reason;
          if (where.empty()) where = "record " + std::to_string(p.records[i].index) + " field " + r.field;
        }
        log_->warn("inbox {} (source {}): dead letter, stage validate: {} ({})", row.id, row.source, reason, where);
        Status s = store::InsertDeadLetter(conn, {row.id, row.source, "validate", reason, where, row.body});
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
  auto outcomes = store::WriteBatch(conn, items, *rules);
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
  std::vector<store::InboxMark> marks;
  for (size_t pi = 0; pi < prepared.size(); ++pi) {
    const Prepared& p = prepared[pi];
    if (!p.failure.ok()) {
      marks.push_back({p.row->id, "failed", p.failure.ToString()});
      ++tally.failed;
      continue;
    }
    bool done = written[pi] > 0 || p.records.empty();
    marks.push_back({p.row->id, done ? "done" : "failed", done ? "" : "every record was refused"});
    if (done) ++tally.processed;
    else ++tally.failed;
  }
  if (Status s = store::MarkInboxRows(conn, marks); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  metrics_.worker_processed.With().Inc(tally.processed);
  metrics_.worker_failed.With().Inc(tally.failed);
  metrics_.over_common.With().Inc(tally.over_common);
  metrics_.suppressed.With().Inc(tally.suppressed);
  metrics_.records_quarantined.With().Inc(tally.quarantined);
  for (const auto& [outcome, n] : tally.records) metrics_.records.With({outcome}).Inc(n);
  for (const auto& [stage, n] : tally.dead_letters) metrics_.dead_letters.With({stage}).Inc(n);
  return static_cast<int>(rows->size());
}

}  // namespace canon::daemon

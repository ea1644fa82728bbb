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
  GraphClient client(opts);
  std::string token_var = source.Option("access_token_env");
  const char* token = token_var.empty() ? nullptr : std::getenv(token_var.c_str());
  if (!token || !*token) return Status::Unauthenticated("no Graph API access token configured (access_token_env)");
  std::vector<Record> out;
  for (size_t i = 0; i < refs->size(); ++i) {
    const MetaLeadRef& ref = (*refs)[i];
    auto res = client.Get(MetaLeadTarget(ref.leadgen_id), token);
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

WorkerPool::WorkerPool(WorkerOptions options, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)),
      rules_(rules),
      log_(std::move(log)),
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
  int limit = options_.batch;
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
      heartbeats_.Busy(index);  // per batch: the watchdog's limit is on one batch, not on a busy stretch
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
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
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
    suppressed_ += n;
    emptied.push_back(p.row->id);
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
    if (!p.failure.ok()) {
      const char* stage = p.failure.message().rfind("Graph API", 0) == 0 || p.failure.code() == Code::kUnauthenticated
                              ? "fetch"
                              : "parse";
      Status s = store::InsertDeadLetter(conn, {row.id, row.source, stage, p.failure.message(),
                                                p.failure.where(), row.body});
      if (!s.ok()) return s;
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
        Status s = store::InsertDeadLetter(conn, {row.id, row.source, "validate", reason, where, row.body});
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
  auto outcomes = store::WriteBatch(conn, items, *rules);
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
  std::vector<store::InboxMark> marks;
  for (size_t pi = 0; pi < prepared.size(); ++pi) {
    const Prepared& p = prepared[pi];
    if (!p.failure.ok()) {
      marks.push_back({p.row->id, "failed", p.failure.ToString()});
      ++failed_;
      continue;
    }
    bool done = written[pi] > 0 || p.records.empty();
    marks.push_back({p.row->id, done ? "done" : "failed", done ? "" : "every record was refused"});
    if (done) ++processed_;
    else ++failed_;
  }
  if (Status s = store::MarkInboxRows(conn, marks); !s.ok()) return s;
  if (Status s = tx.Commit(); !s.ok()) return s;
  return static_cast<int>(rows->size());
}

}  // namespace canon::daemon

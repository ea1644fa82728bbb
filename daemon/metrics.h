// A small Prometheus metrics registry (text exposition format 0.0.4) and the families canond exports.
//
// Why not prometheus-cpp: Debian packages it (prometheus-cpp-dev 1.0.1), but the dev package depends on
// civetweb, libcurl and the push and pull libraries, an HTTP server and a client canond does not need (Beast
// serves /metrics); what canond needs is the ~200 lines below.
//
// Metrics: Counter (an atomic integer), Gauge (an atomic double), Histogram (fixed bucket bounds, one atomic
// count per bucket and an atomic sum; `_count` is the sum of the buckets when written, so `le="+Inf"` always
// equals it). Updating a metric is lock-free. A Family is one metric name with its HELP, TYPE and label
// names; With(values) finds or makes a series under the family's mutex and returns a reference that stays
// valid for the family's life, so a hot path looks a series up once and keeps the reference. Label values
// must come from a bounded set (route patterns, status codes, source names from the rules, fixed outcome
// names), never from request data.
//
// A family marked `sources` has a `source` label (source names from the rules): Registry::Write leaves it out
// when the scraper may not see source names (App::Metrics: neither the metrics token nor loopback).
// Thread-safety: families are registered before any thread uses them (the constructor of DaemonMetrics);
// after that, every method is safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace canon::daemon {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  // For a count kept elsewhere (overload reasons, HTTP timeouts), copied in at scrape time.
  void Mirror(uint64_t v) { v_.store(v, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(double v) { v_.store(v, std::memory_order_relaxed); }
  void Add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  // `bounds`: ascending upper bounds, without +Inf (added). The span must outlive the histogram (a constant).
  explicit Histogram(std::span<const double> bounds);
  void Observe(double v);
  std::span<const double> bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf (== the count); and the sum.
  std::vector<uint64_t> Cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the last is +Inf), not cumulative
  std::atomic<double> sum_{0};
};

// Fixed bucket bounds, in seconds.
inline constexpr double kRequestSeconds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10};
inline constexpr double kBatchSeconds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, const char* type, std::vector<std::string> labels,
             bool sources)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        labels_(std::move(labels)),
        sources_(sources) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;
  // HELP and TYPE, then every series (in label order); a family with no series yet writes HELP and TYPE only.
  void Write(std::string& out) const;
  bool sources() const { return sources_; }
  bool labelled() const { return !labels_.empty(); }
  // Makes the one series of a family without labels, so it is written (as 0) before its first update.
  virtual void MakeUnlabelled() = 0;

 protected:
  virtual void WriteSeries(std::string& out) const = 0;
  // One series' sample lines.
  void WriteOne(std::string& out, const std::vector<std::string>& values, const Counter& c) const;
  void WriteOne(std::string& out, const std::vector<std::string>& values, const Gauge& g) const;
  void WriteOne(std::string& out, const std::vector<std::string>& values, const Histogram& h) const;

 private:
  // `name<suffix>{a="x",b="y"[,extra]}` (no braces when there are no labels at all).
  std::string SeriesName(const char* suffix, const std::vector<std::string>& values,
                         const std::string& extra = {}) const;

  std::string name_;
  std::string help_;
  const char* type_;
  std::vector<std::string> labels_;
  bool sources_;
};

template <class M>
class Family : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  // The series of these label values (one per label name, in order), made on first use.
  M& With(const std::vector<std::string>& values = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = series_.find(values);
    if (it == series_.end()) it = series_.emplace(values, Make()).first;
    return *it->second;
  }
  void MakeUnlabelled() override {
    if (!labelled()) With();
  }
  // Gauges of an info family (one series at a time): drops every series and sets `values` to `v`, in one
  // step.
  void SetOnly(const std::vector<std::string>& values, double v) requires std::is_same_v<M, Gauge> {
    std::lock_guard<std::mutex> lock(mu_);
    series_.clear();
    series_.emplace(values, Make()).first->second->Set(v);
  }

 protected:
  std::unique_ptr<M> Make() const {
    if constexpr (std::is_same_v<M, Histogram>)
      return std::make_unique<Histogram>(bounds_);
    else
      return std::make_unique<M>();
  }
  std::span<const double> bounds_;  // histograms only
  void WriteSeries(std::string& out) const override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [values, m] : series_) WriteOne(out, values, *m);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> series_;
};

class HistogramFamily : public Family<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels, bool sources,
                  std::span<const double> bounds)
      : Family<Histogram>(std::move(name), std::move(help), "histogram", std::move(labels), sources) {
    bounds_ = bounds;
  }
};

// The text format's escapes: label values escape \, " and newline; HELP text escapes \ and newline.
std::string EscapeLabelValue(const std::string& v);
std::string EscapeHelp(const std::string& v);
// A sample value: integers as integers, others in the shortest form that reads back the same; +Inf, -Inf,
// NaN.
std::string FormatValue(double v);

// Every family canond exports, in the order they are written.
class DaemonMetrics {
 public:
  DaemonMetrics();
  DaemonMetrics(const DaemonMetrics&) = delete;
  DaemonMetrics& operator=(const DaemonMetrics&) = delete;

  // The exposition; `with_sources`: false leaves out the families labelled by source name. Families without
  // labels, and the fixed values of outcome, stage and result labels, are written as 0 before their first
  // count, so rate() and absent() work from the start.
  std::string Write(bool with_sources) const;

  // HTTP (App::Handle; the HTTP server's own 413 and 400 through Router::Refused).
  Family<Counter> http_requests{"canon_http_requests_total",
                                "HTTP requests answered, by route pattern and status code.",
                                "counter",
                                {"route", "status"},
                                false};
  HistogramFamily http_duration{
      "canon_http_request_duration_seconds",
      "Time from a request's arrival at the router to its response, by route pattern.",
      {"route"},
      false,
      kRequestSeconds};
  Family<Counter> intake{"canon_intake_total",
                         "Intake outcomes of POST /ingest/{source}, by source and outcome.",
                         "counter",
                         {"source", "outcome"},
                         true};
  Family<Counter> intake_accepted{
      "canon_intake_accepted_total", "Payloads accepted (stored in the inbox).", "counter", {}, false};
  Family<Counter> intake_refused{
      "canon_intake_refused_total", "Payloads refused at intake, for any reason.", "counter", {}, false};
  Family<Gauge> intake_in_flight{
      "canon_intake_in_flight", "Accepted payloads waiting for their inbox commit.", "gauge", {}, false};
  Family<Gauge> intake_queued{
      "canon_intake_queued", "Payloads queued for the inbox group commit.", "gauge", {}, false};
  // Overload (daemon/overload.h): why intake answered 503, and the signals behind it.
  Family<Counter> intake_overload{"canon_intake_overload_total",
                                  "Payloads answered 503 with Retry-After, by reason (queue_full, commit_latency, "
                                  "inbox_backlog, database).",
                                  "counter",
                                  {"reason"},
                                  false};
  Family<Gauge> intake_commit_latency{"canon_intake_commit_latency_ms",
                                      "Submit to commit of the oldest payload of the last inbox batch, in ms.",
                                      "gauge",
                                      {},
                                      false};
  Family<Gauge> inbox_backlog{"canon_inbox_backlog",
                              "Pending inbox rows at the last once-a-second sample, counted up to "
                              "max_inbox_backlog.",
                              "gauge",
                              {},
                              false};
  Family<Counter> http_timeouts{"canon_http_timeouts_total",
                                "Connections closed by a deadline, by phase (header, body, write).",
                                "counter",
                                {"phase"},
                                false};
  Family<Gauge> http_open_connections{
      "canon_http_open_connections", "HTTP connections open now.", "gauge", {}, false};

  // Queues, read from PostgreSQL at scrape time (store/queue_stats.h).
  Family<Gauge> store_up{"canon_store_up",
                         "1 when this scrape could read the queue gauges from PostgreSQL.",
                         "gauge",
                         {},
                         false};
  Family<Gauge> inbox_pending{
      "canon_inbox_pending", "Inbox rows waiting for a worker (counted up to 100000).", "gauge", {}, false};
  Family<Gauge> inbox_oldest{"canon_inbox_oldest_pending_age_seconds",
                             "Age of the oldest pending inbox row; 0 when none is pending.",
                             "gauge",
                             {},
                             false};
  Family<Gauge> review_queue{"canon_review_queue",
                             "Merge candidates awaiting a steward, by status (counted up to 100000).",
                             "gauge",
                             {"status"},
                             false};
  Family<Gauge> review_oldest{"canon_review_queue_oldest_age_seconds",
                              "Age of the oldest pending merge candidate; 0 when none is pending.",
                              "gauge",
                              {},
                              false};

  // Workers.
  HistogramFamily worker_batch{"canon_worker_batch_duration_seconds",
                               "Time a worker batch took, claim to commit (batches that claimed rows).",
                               {},
                               false,
                               kBatchSeconds};
  Family<Counter> worker_processed{"canon_worker_processed_total", "Inbox rows done.", "counter", {}, false};
  Family<Counter> worker_deferred{
      "canon_worker_deferred_total",
      "Inbox rows a batch stepped aside because another transaction held one of their blocking keys (claimed "
      "again later; a row stepped aside twice is then written in a batch that waits for its keys).",
      "counter",
      {},
      false};
  Family<Counter> worker_failed{
      "canon_worker_failed_total", "Inbox rows marked failed.", "counter", {}, false};
  Family<Counter> records{
      "canon_records_total",
      "Records written from the inbox by outcome: new contact, joined one, review (a pair "
      "for a steward), test (a vendor's test lead), suppressed (erased person, dropped).",
      "counter",
      {"outcome"},
      false};
  Family<Counter> records_quarantined{"canon_records_quarantined_total",
                                      "Records stored with at least one quarantined value.",
                                      "counter",
                                      {},
                                      false};
  Family<Counter> dead_letters{"canon_dead_letters_total",
                               "Dead letters written, by stage (intake, fetch, parse, validate, store).",
                               "counter",
                               {"stage"},
                               false};
  Family<Counter> over_common{
      "canon_match_over_common_keys_total", "Blocking keys skipped as over-common.", "counter", {}, false};
  Family<Counter> suppressed{"canon_worker_suppressed_total",
                             "Records of suppressed (erased) people dropped before storing.",
                             "counter",
                             {},
                             false};

  // Vendor fetches (daemon/worker.h: one attempt per fetch_job claim), by source.
  Family<Counter> fetches{
      "canon_fetch_requests_total", "Vendor API lead fetches (attempts), by source.", "counter", {"source"}, true};
  Family<Counter> fetch_retries{
      "canon_fetch_retries_total",
      "Failed lead fetches rescheduled with backoff (5xx, 429, timeouts, connection failures), by source.",
      "counter",
      {"source"},
      true};
  Family<Counter> fetch_failures{"canon_fetch_failures_total",
                                 "Lead fetch attempts that failed (each rescheduled or dead-lettered), by source.",
                                 "counter",
                                 {"source"},
                                 true};
  Family<Counter> fetch_leads{
      "canon_fetch_leads_total", "Leads fetched and handed to the writer, by source.", "counter", {"source"}, true};

  // CSV drop folders, by source (one source is one folder).
  Family<Counter> csv_rows{"canon_csv_import_rows_total",
                           "CSV rows imported, by source and result (ok, refused).",
                           "counter",
                           {"source", "result"},
                           true};
  Family<Counter> csv_bytes{
      "canon_csv_import_bytes_total", "CSV bytes imported, by source.", "counter", {"source"}, true};
  Family<Counter> csv_files{"canon_csv_import_files_total",
                            "CSV files finished, by source and status (done, failed, duplicate).",
                            "counter",
                            {"source", "status"},
                            true};
  Family<Gauge> csv_file_bytes{"canon_csv_import_file_bytes",
                               "Size of the file being imported, by source; 0 when none.",
                               "gauge",
                               {"source"},
                               true};
  Family<Gauge> csv_file_done{"canon_csv_import_file_bytes_done",
                              "Bytes of the file being imported that are committed, by source.",
                              "gauge",
                              {"source"},
                              true};

  // Rules.
  Family<Gauge> rules_info{"canon_rules_info",
                           "The rule set in force: its version (a hash of every file) is the label.",
                           "gauge",
                           {"version"},
                           false};
  Family<Counter> rules_reloads{"canon_rules_reloads_total",
                                "Rule loads (start-up, SIGHUP, POST /admin/rules/reload) by result.",
                                "counter",
                                {"result"},
                                false};

  // PostgreSQL connections.
  Family<Gauge> pg_connections{
      "canon_pg_connections",
      "PostgreSQL connections canond holds, by role (writer, worker, importer, admin, "
      "audit, metrics).",
      "gauge",
      {"role"},
      false};
  Family<Gauge> pg_in_use{"canon_pg_connections_in_use",
                          "Connections running a statement or transaction now, by role.",
                          "gauge",
                          {"role"},
                          false};
  Family<Gauge> pg_waiting{
      "canon_pg_waiting",
      "Work waiting for a connection, by role (writer: payloads queued for the inbox commit).",
      "gauge",
      {"role"},
      false};
  Family<Counter> pg_reconnects{"canon_pg_reconnects_total",
                                "Attempts to reconnect a dropped PostgreSQL connection, by role (writer, worker, "
                                "importer, backlog, admin, audit, metrics) and result (ok, failed); spaced by "
                                "backoff (daemon/reconnect.h).",
                                "counter",
                                {"role", "result"},
                                false};

  Family<Gauge> build_info{
      "canon_build_info", "canond's version and compiler.", "gauge", {"version", "compiler"}, false};

 private:
  std::vector<FamilyBase*> all_;
};

// "gcc 12.2.0" or "clang 14.0.6": the compiler this file was built with.
std::string CompilerName();

}  // namespace canon::daemon

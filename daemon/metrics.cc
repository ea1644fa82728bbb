#include "daemon/metrics.h"

#include <charconv>
#include <cmath>

namespace canon::daemon {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;  // le: a value equal to a bound counts in its bucket
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::Cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) out[i] = total += buckets_[i].load(std::memory_order_relaxed);
  return out;
}

namespace {

// The text format escapes \ and newline everywhere, and " in label values.
std::string Escape(const std::string& v, bool quote) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(const std::string& v) { return Escape(v, true); }
std::string EscapeHelp(const std::string& v) { return Escape(v, false); }

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form; integers print without ".0"
  return std::string(buf, r.ptr);
}

void FamilyBase::Write(std::string& out) const {
  out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_ + "\n";
  WriteSeries(out);
}

std::string FamilyBase::SeriesName(const char* suffix, const std::vector<std::string>& values,
                                   const std::string& extra) const {
  std::string out = name_ + suffix;
  if (labels_.empty() && extra.empty()) return out;
  out += "{";
  for (size_t i = 0; i < labels_.size() && i < values.size(); ++i)
    out += (i ? "," : "") + labels_[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  if (!extra.empty()) out += (labels_.empty() ? "" : ",") + extra;
  return out + "}";
}

void FamilyBase::WriteOne(std::string& out, const std::vector<std::string>& values, const Counter& c) const {
  out += SeriesName("", values) + " " + std::to_string(c.value()) + "\n";
}

void FamilyBase::WriteOne(std::string& out, const std::vector<std::string>& values, const Gauge& g) const {
  out += SeriesName("", values) + " " + FormatValue(g.value()) + "\n";
}

void FamilyBase::WriteOne(std::string& out, const std::vector<std::string>& values,
                          const Histogram& h) const {
  std::vector<uint64_t> cum = h.Cumulative();
  for (size_t i = 0; i < cum.size(); ++i) {
    std::string le = i < h.bounds().size() ? FormatValue(h.bounds()[i]) : "+Inf";
    out += SeriesName("_bucket", values, "le=\"" + le + "\"") + " " + std::to_string(cum[i]) + "\n";
  }
  out += SeriesName("_sum", values) + " " + FormatValue(h.sum()) + "\n";
  out += SeriesName("_count", values) + " " + std::to_string(cum.back()) + "\n";
}

DaemonMetrics::DaemonMetrics()
    : all_{&http_requests,    &http_duration,       &intake,         &intake_accepted,  &intake_refused,
           &intake_in_flight, &intake_queued,       &intake_overload, &intake_commit_latency, &inbox_backlog,
           &http_timeouts,    &http_open_connections, &store_up,       &inbox_pending,    &inbox_oldest,
           &review_queue,     &review_oldest,       &worker_batch,   &worker_processed, &worker_deferred, &worker_failed,
           &records,          &records_quarantined, &dead_letters,   &over_common,      &suppressed,
           &fetches,          &fetch_retries,       &fetch_failures, &fetch_leads,      &csv_rows,         &csv_bytes,
           &csv_files,        &csv_file_bytes,      &csv_file_done,  &rules_info,       &rules_reloads,
           &pg_connections,   &pg_in_use,           &pg_waiting,     &pg_reconnects,    &build_info} {
#ifndef CANON_VERSION
#define CANON_VERSION "unknown"
#endif
  build_info.SetOnly({CANON_VERSION, CompilerName()}, 1);
  for (FamilyBase* f : all_) f->MakeUnlabelled();
  for (const char* outcome : {"new", "joined", "review", "test", "suppressed"}) records.With({outcome});
  for (const char* stage : {"intake", "fetch", "parse", "validate", "store"}) dead_letters.With({stage});
  for (const char* result : {"success", "failure"}) rules_reloads.With({result});
  for (const char* role : {"writer", "worker", "importer", "backlog", "admin", "audit", "metrics"})
    for (const char* result : {"ok", "failed"}) pg_reconnects.With({role, result});
}

std::string DaemonMetrics::Write(bool with_sources) const {
  std::string out;
  for (const FamilyBase* f : all_)
    if (with_sources || !f->sources()) f->Write(out);
  return out;
}

std::string CompilerName() {
#if defined(__clang__)
  return "clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "gcc " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace canon::daemon

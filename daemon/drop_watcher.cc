#include "daemon/drop_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "daemon/log.h"
#include "hygiene/pii_mask.h"
#include "pipeline/csv_import.h"
#include "store/imports.h"

namespace canon::daemon {
namespace fs = std::filesystem;
namespace {

bool Ignored(const std::string& name) {
  if (name.empty() || name[0] == '.') return true;
  for (const char* suffix : {".tmp", ".part", ".crdownload", ".report.csv", ".reason.txt"})
    if (name.size() >= std::strlen(suffix) && name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
      return true;
  return false;
}

}  // namespace

DropWatcher::DropWatcher(std::string conninfo, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log,
                         DaemonMetrics& metrics, Backoff reconnect)
    : conninfo_(std::move(conninfo)),
      rules_(rules),
      log_(std::move(log)),
      metrics_(metrics),
      reconnect_(reconnect, "importer", metrics_, log_) {}

DropWatcher::~DropWatcher() { Stop(); }

Status DropWatcher::Start() {
  auto c = store::PgConn::Connect(conninfo_);
  if (!c.ok()) return c.status();
  conn_ = std::move(*c);
  inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (inotify_fd_ < 0 || wake_fd_ < 0) return Status::Internal("inotify/eventfd unavailable");
  std::vector<std::pair<std::string, std::string>> existing;
  for (const auto& [name, source] : rules_.Get()->sources()) {
    if (source.kind != "csv") continue;
    std::string folder = source.Option("folder");
    if (folder.empty()) continue;
    std::error_code ec;
    fs::create_directories(fs::path(folder) / "done", ec);
    fs::create_directories(fs::path(folder) / "failed", ec);
    if (ec) return Status::Internal("cannot create drop folder " + folder + ": " + ec.message());
    int wd = inotify_add_watch(inotify_fd_, folder.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
    if (wd < 0) return Status::Internal("cannot watch " + folder);
    watches_[wd] = {name, folder};
    for (const auto& e : fs::directory_iterator(folder, ec))
      if (e.is_regular_file() && !Ignored(e.path().filename().string())) existing.emplace_back(name, e.path().string());
    log_->info("watching CSV drop folder {} for source {}", folder, name);
  }
  std::sort(existing.begin(), existing.end());
  for (auto& [s, p] : existing) Enqueue(s, p);
  watch_thread_ = std::thread([this] { WatchLoop(); });
  import_thread_ = std::thread([this] { ImportLoop(); });
  return Status::Ok();
}

void DropWatcher::Stop() {
  if (stop_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }
  cv_.notify_all();
  if (watch_thread_.joinable()) watch_thread_.join();
  if (import_thread_.joinable()) import_thread_.join();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void DropWatcher::Enqueue(const std::string& source, const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& q : queue_)
      if (q.second == path) return;
    queue_.emplace_back(source, path);
  }
  cv_.notify_one();
}

void DropWatcher::WatchLoop() {
  alignas(inotify_event) char buf[64 * 1024];
  while (!stop_) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    ssize_t n = read(inotify_fd_, buf, sizeof buf);
    for (ssize_t i = 0; i < n;) {
      auto* ev = reinterpret_cast<inotify_event*>(buf + i);
      i += sizeof(inotify_event) + ev->len;
      if (!ev->len) continue;
      std::string name(ev->name);
      auto it = watches_.find(ev->wd);
      if (it == watches_.end() || Ignored(name)) continue;
      Enqueue(it->second.first, (fs::path(it->second.second) / name).string());
    }
  }
}

void DropWatcher::ImportLoop() {
  // A file another node is importing is looked at again this often (it moves to done/ when that node finishes).
  constexpr auto kBusyRetry = std::chrono::seconds(2);
  std::deque<std::pair<std::string, std::string>> busy;
  for (;;) {
    std::pair<std::string, std::string> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto ready = [&] { return stop_ || !queue_.empty(); };
      if (busy.empty())
        cv_.wait(lock, ready);
      else if (!cv_.wait_for(lock, kBusyRetry, ready)) {
        for (auto& b : busy) queue_.push_back(std::move(b));
        busy.clear();
      }
      if (stop_) return;
      if (queue_.empty()) continue;
      next = queue_.front();
      queue_.pop_front();
    }
    if (!ImportOne(next.first, next.second)) busy.push_back(std::move(next));
  }
}

bool DropWatcher::ImportOne(const std::string& source, const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return true;  // moved away meanwhile
  std::string name = fs::path(path).filename().string();
  if (!reconnect_.Ensure(*conn_).ok()) return false;  // looked at again in a few seconds
  auto mine = store::TryLockImportFile(*conn_, source, name);
  if (!mine.ok()) {
    log_->error("import {}: {} not started: {}", source, name, mine.status().ToString());
    return false;
  }
  if (!*mine) return false;
  // Looked at again under the lock: the node that held it may have finished and moved it.
  bool finished = !fs::is_regular_file(path, ec) || Import(source, path);
  if (!conn_->Healthy()) return false;  // the lock went with the session
  if (Status s = store::UnlockImportFile(*conn_, source, name); !s.ok())
    log_->warn("import {}: {} unlock: {}", source, name, s.ToString());
  return finished;
}

bool DropWatcher::Import(const std::string& source, const std::string& path) {
  std::error_code ec;
  fs::path p(path);
  fs::path folder = p.parent_path();
  std::string name = p.filename().string();
  LogScope scope(LogContext::Source(source));
  log_->info("import {}: {} started", source, name);
  auto last_log = std::chrono::steady_clock::now();
  pipeline::ImportOptions opts;
  opts.stop = &stop_;
  opts.rules = [this] { return rules_.Get(); };
  // Counted as each batch commits: this run's work only (a resumed import starts at its committed progress).
  Counter& rows_ok = metrics_.csv_rows.With({source, "ok"});
  Counter& rows_refused = metrics_.csv_rows.With({source, "refused"});
  Counter& bytes = metrics_.csv_bytes.With({source});
  Gauge& file_bytes = metrics_.csv_file_bytes.With({source});
  Gauge& file_done = metrics_.csv_file_done.With({source});
  std::optional<pipeline::ImportProgress> last;
  opts.on_progress = [&](const pipeline::ImportProgress& pr) {
    if (!last) {
      last = pr;
      last->bytes_done = pr.bytes_start;
      last->rows_ok = pr.rows_ok_start;
      last->rows_refused = pr.rows_refused_start;
    }
    rows_ok.Inc(static_cast<uint64_t>(pr.rows_ok - last->rows_ok));
    rows_refused.Inc(static_cast<uint64_t>(pr.rows_refused - last->rows_refused));
    bytes.Inc(pr.bytes_done - last->bytes_done);
    file_bytes.Set(static_cast<double>(pr.bytes_total));
    file_done.Set(static_cast<double>(pr.bytes_done));
    last = pr;
    auto now = std::chrono::steady_clock::now();
    if (now - last_log < std::chrono::seconds(5)) return;
    last_log = now;
    log_->info("import {}: {} rows ({} refused), {:.0f} rows/s, {:.1f}%", name, pr.rows_ok + pr.rows_refused,
               pr.rows_refused, (pr.rows_ok + pr.rows_refused) / std::max(pr.seconds, 0.001),
               100.0 * pr.bytes_done / std::max<uint64_t>(pr.bytes_total, 1));
  };
  ++busy_;
  auto r = pipeline::ImportCsvFile(*conn_, source, path, opts);
  --busy_;
  file_bytes.Set(0);
  file_done.Set(0);
  if (r.ok() && r->status != "stopped") metrics_.csv_files.With({source, r->status}).Inc();
  if (!r.ok()) {
    // Database trouble or a vanished source: leave the file where it is. A dropped connection is tried again
    // once it is back (ImportOne's caller); anything else at the next start.
    log_->error("import {}: {} interrupted: {}", source, name, r.status().ToString());
    // Unavailable: one of the import's own writer connections dropped (pipeline/csv_import.h): tried again like ours.
    return conn_->Healthy() && r.status().code() != Code::kUnavailable;
  }
  if (r->status == "stopped") {
    log_->info("import {}: {} stopped at {} bytes; resumes at the next start", source, name, r->progress.bytes_done);
    return true;
  }
  if (r->status == "failed") {
    fs::rename(p, folder / "failed" / name, ec);
    std::ofstream(folder / "failed" / (name + ".reason.txt")) << MaskPii(r->error) << "\n";
    log_->error("import {}: {} cannot be read: {}", source, name, r->error);
    return true;
  }
  // done, or a file imported before (duplicate): report and move to done/.
  Status rep = pipeline::WriteImportReport(*conn_, r->import_id, (folder / "done" / (name + ".report.csv")).string());
  if (!rep.ok()) log_->error("import {}: report for {} not written: {}", source, name, rep.ToString());
  fs::rename(p, folder / "done" / name, ec);
  if (ec) log_->error("import {}: cannot move {} to done/: {}", source, name, ec.message());
  log_->info("import {}: {} {}: {} rows written, {} refused, {:.1f} s, {} batch attempt(s) written again",
             source, name, r->status, r->progress.rows_ok, r->progress.rows_refused, r->progress.seconds,
             r->progress.batches_retried);
  return true;
}

}  // namespace canon::daemon

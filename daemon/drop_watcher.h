// DropWatcher: imports CSV files that appear in the drop folders of the rules' csv sources.
//
// A file counts as arrived when it is closed after writing (IN_CLOSE_WRITE) or renamed in (IN_MOVED_TO); names
// starting with '.' or ending in .tmp/.part/.crdownload are ignored until renamed. Files already there at
// start-up are taken too, which is also how an import interrupted by a crash resumes (pipeline::ImportCsvFile
// finds it by hash). One importer thread, files in arrival order. When a file is done it moves to done/ with
// <name>.report.csv beside it (every refused row, its line and reason); a file that cannot be read moves to
// failed/ with <name>.reason.txt. Progress is logged every few seconds and readable at GET /admin/imports.
// Stop() stops between batches; the import resumes on the next start. Several nodes may watch one folder (a
// shared mount): a file is imported by the node that takes its lock in PostgreSQL; the others look again every
// few seconds until it has moved. When the importer's connection drops (a database restart or a network cut), it
// reconnects with backoff (daemon/reconnect.h, role "importer") and the interrupted file is looked at again every
// few seconds: the import resumes at its committed progress.
// Rows, bytes and finished files are counted
// in `metrics` per source (one source is one folder: file names are not labels, as every new file would add
// series forever, and a name can carry a person's name); `metrics` must outlive the watcher.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/backoff.h"
#include "daemon/metrics.h"
#include "daemon/reconnect.h"
#include "daemon/rules_holder.h"
#include "store/pg.h"

namespace canon::daemon {

class DropWatcher {
 public:
  DropWatcher(std::string conninfo, const RulesHolder& rules, std::shared_ptr<spdlog::logger> log,
              DaemonMetrics& metrics, Backoff reconnect);
  ~DropWatcher();
  Status Start();
  void Stop();
  // 1 while a file is being imported (the importer's connection is in use).
  int busy() const { return busy_; }

 private:
  void WatchLoop();
  void ImportLoop();
  void Enqueue(const std::string& source, const std::string& path);
  // False when another node holds the file (store::TryLockImportFile), or the database is unreachable: it is
  // looked at again later, in case that node dies before moving it to done/, or the database comes back.
  bool ImportOne(const std::string& source, const std::string& path);
  // False when the connection dropped mid-file (the file stays; ImportOne's caller tries it again).
  bool Import(const std::string& source, const std::string& path);

  std::string conninfo_;
  const RulesHolder& rules_;
  std::shared_ptr<spdlog::logger> log_;
  DaemonMetrics& metrics_;
  std::atomic<int> busy_{0};
  std::unique_ptr<store::PgConn> conn_;
  Reconnector reconnect_;  // conn_'s, used by the importer thread only
  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd to interrupt the watch loop on Stop
  std::map<int, std::pair<std::string, std::string>> watches_;  // wd -> (source, folder)
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;  // (source, path)
  std::atomic<bool> stop_{false};
  std::thread watch_thread_, import_thread_;
};

}  // namespace canon::daemon

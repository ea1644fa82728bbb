// Group commit of the inbox (leveldb's DBImpl::Write shape): callers enqueue payloads; each writer thread takes
// everything waiting (up to `batch_max`) and writes it in ONE transaction, then completes every caller. Durability
// costs one commit per batch, not per request.
//
// Submit is thread-safe and never blocks: a full queue answers kUnavailable at once (the caller says 503 with
// Retry-After). `done` runs on a writer thread exactly once, after the row is committed (or with the error).
// Stop() lets the writers drain what is queued, then joins them.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/heartbeat.h"
#include "daemon/thread_group.h"
#include "store/inbox.h"

namespace canon::daemon {

class InboxSink {
 public:
  using Done = std::function<void(Result<store::InboxReceipt>)>;
  virtual ~InboxSink() = default;
  virtual Status Submit(store::InboxItem item, Done done) = 0;
};

// For benchmarks only: answers at once with increasing ids and stores nothing.
class NullSink : public InboxSink {
 public:
  Status Submit(store::InboxItem item, Done done) override;

 private:
  std::atomic<long long> next_{1};
};

struct GroupCommitOptions {
  std::string conninfo;
  int connections = 2;
  size_t max_queue = 20000;
  size_t batch_max = 512;
};

class GroupCommitter : public InboxSink {
 public:
  GroupCommitter(GroupCommitOptions options, std::shared_ptr<spdlog::logger> log,
                 std::function<void()> on_commit);
  ~GroupCommitter() override;

  Status Start();
  void Stop();
  Status Submit(store::InboxItem item, Done done) override;
  size_t queued() const;
  // For the watchdog: the writer busy with one INSERT for longer than `limit`, if any (daemon/heartbeat.h).
  Heartbeats::Stuck Stuck(std::chrono::milliseconds limit) const { return heartbeats_.Longest(limit); }

 private:
  struct Pending {
    store::InboxItem item;
    Done done;
  };
  void Run(int index, store::PgConn& conn);

  GroupCommitOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void()> on_commit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  ThreadGroup threads_;  // one writer thread per connection
  Heartbeats heartbeats_;  // one slot per writer: busy while it writes and answers a batch
};

}  // namespace canon::daemon

// A fixed set of threads, each with its own PostgreSQL connection, started and stopped the way the inbox group
// commit (daemon/group_commit.h) and the worker pool (daemon/worker.h) both need: every connection is opened
// before any thread starts, and stopping sets the owner's stop flag under the owner's mutex, wakes the owner's
// condition variable, then joins every thread.
//
// Ownership: the group owns the connections and the threads; thread `i` runs `body(i, connection i)` and is the
// only user of that connection. The owner keeps the mutex, condition variable and stop flag its threads wait on,
// and calls Stop before destroying them or the group.
// Thread-safety: Start and Stop are called from the owner's controlling thread, never concurrently.
// Errors: Start returns the first connection error, with no thread started.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hygiene/status.h"
#include "store/pg.h"

namespace canon::daemon {

class ThreadGroup {
 public:
  using Body = std::function<void(int index, store::PgConn& conn)>;

  // Opens `count` connections to `conninfo`, then starts `count` threads running `body`.
  Status Start(int count, const std::string& conninfo, const Body& body);

  // Sets `stopping` under `mu` (so a thread that checks it under `mu` before waiting cannot miss it), notifies
  // every waiter on `cv`, then joins every thread. It interrupts nothing: each thread returns when it sees the
  // flag, after whatever its body finishes first (the committer writes what is queued; a worker ends its batch).
  // Calling it again (or before Start) only sets the flag.
  void Stop(std::mutex& mu, std::condition_variable& cv, bool& stopping);

 private:
  std::vector<std::unique_ptr<store::PgConn>> conns_;
  std::vector<std::thread> threads_;
};

}  // namespace canon::daemon

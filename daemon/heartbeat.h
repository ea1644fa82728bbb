// Heartbeats of a fixed set of threads, for systemd's watchdog (daemon/main.cc): which thread is in the middle of
// one unit of work (an inbox write, a worker batch), and since when.
//
// A thread calls Busy(i) as it starts a unit of work and Idle(i) when it has finished and is about to wait for
// more. A thread waiting for work is alive however long it waits; one busy with the same unit for longer than a
// limit is wedged (a lock it never gets, a connection that never answers), and the daemon stops telling systemd
// it is alive. Slots start idle. Thread-safe: each slot is one atomic, written by its own thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

namespace canon::daemon {

class Heartbeats {
 public:
  explicit Heartbeats(size_t threads);
  Heartbeats(const Heartbeats&) = delete;
  Heartbeats& operator=(const Heartbeats&) = delete;

  void Busy(size_t i);
  void Idle(size_t i);

  struct Stuck {
    int thread = -1;  // -1: no thread has been busy for longer than the limit
    std::chrono::milliseconds busy_for{0};
  };
  // The thread busy the longest, when that is longer than `limit`.
  Stuck Longest(std::chrono::milliseconds limit) const;

 private:
  size_t n_;
  std::unique_ptr<std::atomic<long long>[]> busy_since_;  // steady_clock nanoseconds; 0 = idle
};

}  // namespace canon::daemon

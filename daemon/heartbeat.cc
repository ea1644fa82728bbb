#include "daemon/heartbeat.h"

namespace canon::daemon {
namespace {

long long Now() {
  long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  return ns == 0 ? 1 : ns;  // 0 means idle
}

}  // namespace

Heartbeats::Heartbeats(size_t threads) : n_(threads), busy_since_(new std::atomic<long long>[threads]) {
  for (size_t i = 0; i < n_; ++i) busy_since_[i] = 0;
}

void Heartbeats::Busy(size_t i) {
  if (i < n_) busy_since_[i].store(Now(), std::memory_order_relaxed);
}

void Heartbeats::Idle(size_t i) {
  if (i < n_) busy_since_[i].store(0, std::memory_order_relaxed);
}

Heartbeats::Stuck Heartbeats::Longest(std::chrono::milliseconds limit) const {
  Stuck out;
  const long long now = Now();
  for (size_t i = 0; i < n_; ++i) {
    long long since = busy_since_[i].load(std::memory_order_relaxed);
    if (since == 0) continue;
    auto busy = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(now - since));
    if (busy > limit && busy > out.busy_for) out = {static_cast<int>(i), busy};
  }
  return out;
}

}  // namespace canon::daemon

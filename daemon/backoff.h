// Exponential backoff with equal jitter, the one formula behind every retry in canond: fetched leads
// (daemon/fetch_retry.h) and PostgreSQL reconnects (daemon/reconnect.h).
//
// After the n-th consecutive failure (n >= 1) the next attempt waits base = min(initial * 2^(n-1), max), jittered
// to a uniform value in [base/2, base) ("equal jitter": threads and nodes that failed together spread out, and no
// wait collapses to zero, so a dead peer is never polled in a hot loop). Pure; any thread.
#pragma once

#include <chrono>

namespace canon::daemon {

struct Backoff {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{3000};
};

// `failures`: consecutive failures so far (values below 1 count as 1); `random01`: uniform in [0, 1) (clamped).
std::chrono::milliseconds EqualJitter(const Backoff& backoff, int failures, double random01);

}  // namespace canon::daemon

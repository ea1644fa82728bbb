// The retry policy of fetched leads (fetch_job): exponential backoff with jitter, bounded by a window.
//
// After the n-th failed attempt the next waits base = min(initial * 2^(n-1), max), jittered to a uniform
// value in [base/2, base) (daemon/backoff.h's equal jitter: workers and nodes that failed together spread out,
// and no wait collapses to zero). The window (default 24 h) runs from the job's creation or its last replay: a failure
// once the window has passed dead-letters the lead, and the last wait is cut so that one attempt falls at the
// window's end. A source sets retry_initial, retry_max and retry_window in seconds (rules/sources.toml);
// defaults below. Pure; any thread.
#pragma once

#include <chrono>

#include "hygiene/rule_set.h"

namespace canon::daemon {

struct FetchRetryPolicy {
  std::chrono::milliseconds initial{5000};    // a blip of a few seconds is over by the first retry
  std::chrono::milliseconds max{15 * 60000};  // an outage of hours is still polled four times an hour
  std::chrono::milliseconds window{
      86400000};  // a day: long enough for a vendor's outage or a token fixed by hand

  // The source's retry_initial, retry_max and retry_window (seconds), else the defaults above.
  static FetchRetryPolicy Of(const SourceConfig& source);
};

struct RetryDecision {
  bool dead = false;                   // the window has passed: dead-letter the lead
  std::chrono::milliseconds delay{0};  // otherwise: the next attempt after this
};

// `attempts`: the attempts made so far (>= 1, the last one failed); `elapsed`: since the window started;
// `random01`: uniform in [0, 1).
RetryDecision NextRetry(const FetchRetryPolicy& policy, int attempts, std::chrono::milliseconds elapsed,
                        double random01);

}  // namespace canon::daemon

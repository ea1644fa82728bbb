// The retry policy of fetched leads (daemon/fetch_retry.h): doubling from initial up to max, jitter in
// [base/2, base), the last wait cut to the window's end, dead once the window has passed; a source's options.
#include <catch2/catch.hpp>

#include "daemon/fetch_retry.h"

using namespace canon;
using namespace canon::daemon;
using std::chrono::milliseconds;

TEST_CASE("fetch retry: backoff doubles to max with equal jitter, bounded by the window", "[fetch_retry]") {
  FetchRetryPolicy p;
  p.initial = milliseconds(1000);
  p.max = milliseconds(8000);
  p.window = milliseconds(60000);
  // attempts 1, 2, 3, 4, 5, 6: base 1 s, 2 s, 4 s, 8 s, 8 s, 8 s; jitter 0 gives base/2, jitter ~1 gives
  // ~base.
  const long long bases[] = {1000, 2000, 4000, 8000, 8000, 8000};
  for (int n = 1; n <= 6; ++n) {
    INFO("attempt " << n);
    auto low = NextRetry(p, n, milliseconds(0), 0.0);
    auto high = NextRetry(p, n, milliseconds(0), 0.999999);
    CHECK_FALSE(low.dead);
    CHECK(low.delay.count() == bases[n - 1] / 2);
    CHECK(high.delay.count() == bases[n - 1] - 1);
  }
  // Many attempts do not overflow the doubling.
  CHECK(NextRetry(p, 1000, milliseconds(0), 0.5).delay.count() == 6000);
  // Near the window's end the wait is cut so one attempt falls at the end; past it, dead.
  CHECK(NextRetry(p, 5, milliseconds(59000), 0.9).delay.count() == 1000);
  CHECK(NextRetry(p, 5, milliseconds(60000), 0.0).dead);
  CHECK(NextRetry(p, 1, milliseconds(90000), 0.0).dead);
}

TEST_CASE(
    "fetch retry: a source's retry_initial, retry_max and retry_window (seconds), else 5 s, 15 min, 24 h",
    "[fetch_retry]") {
  SourceConfig source;
  source.name = "meta_leads";
  source.kind = "meta_leads";
  FetchRetryPolicy defaults = FetchRetryPolicy::Of(source);
  CHECK(defaults.initial == milliseconds(5000));
  CHECK(defaults.max == milliseconds(900000));
  CHECK(defaults.window == milliseconds(86400000));
  source.options["retry_initial"] = "0.250000";
  source.options["retry_max"] = "2";
  source.options["retry_window"] = "90";
  FetchRetryPolicy p = FetchRetryPolicy::Of(source);
  CHECK(p.initial == milliseconds(250));
  CHECK(p.max == milliseconds(2000));
  CHECK(p.window == milliseconds(90000));
}

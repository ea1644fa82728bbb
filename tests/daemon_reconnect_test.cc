// Backoff with equal jitter (daemon/backoff.h) and the reconnect gate built on it (daemon/reconnect.h): the waits
// double from initial to max, jittered to [base/2, base); a dropped connection is tried at once, then only once
// each wait has passed, and every attempt is counted. Against a loopback port nobody listens on (refused at once).
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <thread>

#include "daemon/backoff.h"
#include "daemon/reconnect.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::daemon;
using std::chrono::milliseconds;

TEST_CASE("backoff: doubles from initial to max, equal jitter in [base/2, base), no overflow", "[backoff]") {
  Backoff b{milliseconds(100), milliseconds(3000)};
  const long long bases[] = {100, 200, 400, 800, 1600, 3000, 3000};
  for (int n = 1; n <= 7; ++n) {
    INFO("failure " << n);
    CHECK(EqualJitter(b, n, 0.0).count() == bases[n - 1] / 2);
    CHECK(EqualJitter(b, n, 0.999999).count() == bases[n - 1] - 1);
    CHECK(EqualJitter(b, n, 0.5).count() == bases[n - 1] / 2 + bases[n - 1] / 4);
  }
  CHECK(EqualJitter(b, 0, 0.0).count() == 50);  // below 1 counts as the first failure
  CHECK(EqualJitter(b, 100000, 1.0).count() == 3000);
  CHECK(EqualJitter(b, 3, -4.0).count() == 200);  // clamped
  // A max below initial is raised to it; an initial of 0 counts as 1 ms and still doubles.
  CHECK(EqualJitter({milliseconds(400), milliseconds(10)}, 5, 0.0).count() == 200);
  CHECK(EqualJitter({milliseconds(0), milliseconds(8)}, 4, 0.0).count() == 4);
}

TEST_CASE("reconnect: a dead server is tried at once, then not before each jittered wait; attempts are counted",
          "[reconnect]") {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  DaemonMetrics metrics;
  Backoff b{milliseconds(200), milliseconds(800)};
  Reconnector r(b, "admin", metrics, log);
  const std::string nobody = "host=127.0.0.1 port=" + std::to_string(test::FreePort()) + " connect_timeout=2";
  Counter& failed = metrics.pg_reconnects.With({"admin", "failed"});
  Counter& ok = metrics.pg_reconnects.With({"admin", "ok"});
  std::unique_ptr<store::PgConn> slot;

  const long long waits_low[] = {100, 200, 400, 400};  // failures 1..4: [base/2, base)
  for (int n = 1; n <= 4; ++n) {
    INFO("attempt " << n);
    auto before = Reconnector::Clock::now();
    Status s = r.Ensure(slot, nobody);
    auto after = Reconnector::Clock::now();
    CHECK(s.code() == Code::kUnavailable);
    CHECK(failed.value() == static_cast<uint64_t>(n));
    CHECK(r.failures() == n);
    CHECK(r.next_attempt() >= before + milliseconds(waits_low[n - 1]));
    CHECK(r.next_attempt() < after + milliseconds(2 * waits_low[n - 1]));
    // Until then: refused at once, no attempt.
    for (int i = 0; i < 50 && Reconnector::Clock::now() < r.next_attempt() - milliseconds(20); ++i) {
      Status early = r.Ensure(slot, nobody);
      CHECK(early.code() == Code::kUnavailable);
      CHECK_THAT(early.message(), Catch::Contains("next connection attempt in"));
    }
    CHECK(failed.value() == static_cast<uint64_t>(n));
    std::this_thread::sleep_until(r.next_attempt());
  }
  CHECK(ok.value() == 0);
  CHECK(slot == nullptr);
  CHECK(metrics.Write(false).find("canon_pg_reconnects_total{role=\"admin\",result=\"failed\"} 4") !=
        std::string::npos);
}

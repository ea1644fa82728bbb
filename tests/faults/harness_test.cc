// The fault harness as tests: the short form runs with the other tests (scripts/test, CTest entry "faults"); the
// long form is hidden and run by scripts/faults --long.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/faults/harness.h"

using namespace canon::test;

namespace {
void RequireNothingLost(const FaultTally& t, const FaultPlan& plan) {
  CHECK(t.kills == plan.kills);
  CHECK(t.fast_restarts == plan.fast_restarts);
  CHECK(t.immediate_restarts == plan.immediate_restarts);
  CHECK(t.acknowledged > 0);
  CHECK(t.refused == 0);
  CHECK(t.lost == 0);
  CHECK(t.duplicated == 0);
  CHECK(t.stored == t.acknowledged);
  CHECK(t.stuck == 0);
}

// Runs the plan (CANON_FAULTS_SEED=N replays a printed seed) and requires nothing lost.
void Run(int seconds, int kills, int fast_restarts, int immediate_restarts) {
  FaultPlan plan;
  plan.seconds = seconds;
  plan.kills = kills;
  plan.fast_restarts = fast_restarts;
  plan.immediate_restarts = immediate_restarts;
  const char* seed = std::getenv("CANON_FAULTS_SEED");
  plan.seed = seed ? static_cast<unsigned>(std::strtoul(seed, nullptr, 10)) : 0;
  RequireNothingLost(RunFaultHarness(plan), plan);
}
}  // namespace

TEST_CASE("faults, short: one kill -9 of canond and one PostgreSQL fast restart lose and duplicate nothing",
          "[pg][faults][harness]") {
  Run(40, 1, 1, 0);
}

TEST_CASE("faults, long: ten kill -9s, a fast and an immediate PostgreSQL restart lose and duplicate nothing",
          "[.][faults][long]") {
  Run(150, 10, 1, 1);
}

#include "tests/faults/harness.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/faults/private_pg.h"
#include "tests/support.h"
#include "tests/vendor_payloads.h"

namespace canon::test {
namespace {

using Clock = std::chrono::steady_clock;

// How long one record is retried before the sender gives up on it (unacknowledged). Longer than a canond restart
// and a PostgreSQL restart together, so almost every record ends acknowledged.
constexpr auto kRetryBudget = std::chrono::seconds(20);
constexpr auto kRetryPause = std::chrono::milliseconds(100);

std::string Email(long long k) { return "f" + std::to_string(k) + "@faults.test"; }

// One delivery of record k: forms, JSON and Google Ads leads in turn.
HttpResult SendOnce(uint16_t port, long long k) {
  std::string key = "faults-" + std::to_string(k);
  switch (k % 3) {
    case 0:
      return HttpRequest(port, "POST", "/ingest/website", "email=" + Email(k) + "&first_name=F" + std::to_string(k),
                         "application/x-www-form-urlencoded", {{"Idempotency-Key", key}});
    case 1:
      return HttpRequest(port, "POST", "/ingest/api", "{\"email\":\"" + Email(k) + "\",\"last_name\":\"L\"}",
                         "application/json", {{"Idempotency-Key", key}});
    default: {
      char phone[32];
      std::snprintf(phone, sizeof phone, "+1650%07lld", k % 10000000);
      return HttpRequest(port, "POST", "/ingest/google_ads", GoogleLead(key, false, Email(k), kGoogleKey, "Gina Ads", phone),
                         "application/json");
    }
  }
}

enum class Fault { kKill, kFast, kImmediate };

}  // namespace

std::string FaultTally::Summary() const {
  std::ostringstream s;
  s << "faults: " << kills << " kill -9 of canond, " << fast_restarts << " PostgreSQL fast restart(s), "
    << immediate_restarts << " immediate restart(s)\n"
    << "sent " << sent << " records; acknowledged " << acknowledged << " / stored " << stored << " / lost " << lost
    << " / duplicated " << duplicated << "; refused (4xx) " << refused << "; unacknowledged but stored once " << unacked_stored
    << "; inbox rows stuck " << stuck;
  return s.str();
}

FaultTally RunFaultHarness(const FaultPlan& plan) {
  unsigned seed = plan.seed ? plan.seed : static_cast<unsigned>(Clock::now().time_since_epoch().count());
  std::mt19937 rng(seed);
  std::printf("fault harness: seed %u, %d s, %d senders\n", seed, plan.seconds, plan.senders);

  PrivatePg pg;
  TestDb db(pg.admin());
  setenv("CANON_GOOGLE_ADS_KEY", kGoogleKey, 1);
  const std::map<std::string, std::string> settings{{"read_timeout_ms", "5000"}, {"workers", "2"}};
  // The shipped rules plus the Google Ads example source (rules/examples/sources/), the vendor the load includes.
  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") + "\n" + rules.Read("examples/sources/google_ads.toml"));
  auto node = std::make_unique<Canond>(db, settings, rules.rules());
  std::atomic<uint16_t> port{node->port()};

  const long long n = plan.max_records;
  std::vector<std::atomic<char>> acked(static_cast<size_t>(n));  // 1: 202; 2: a 4xx
  std::atomic<long long> next{0};
  std::atomic<bool> sending{true};
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(plan.seconds);
  std::vector<std::thread> senders;
  for (int t = 0; t < plan.senders; ++t)
    senders.emplace_back([&] {
      while (sending) {
        long long k = next++;
        if (k >= n) break;
        auto give_up = Clock::now() + kRetryBudget;
        for (;;) {
          HttpResult r = SendOnce(port.load(), k);
          if (r.status >= 200 && r.status < 300) {  // Google Ads is answered 200 {}, as it documents
            acked[static_cast<size_t>(k)] = 1;
            break;
          }
          if (r.status != 0 && r.status < 500) {  // 4xx
            acked[static_cast<size_t>(k)] = 2;
            break;
          }
          if (Clock::now() > give_up) break;
          std::this_thread::sleep_for(kRetryPause);
        }
        if (Clock::now() > deadline) break;
      }
    });

  std::vector<Fault> faults;
  faults.insert(faults.end(), plan.kills, Fault::kKill);
  faults.insert(faults.end(), plan.fast_restarts, Fault::kFast);
  faults.insert(faults.end(), plan.immediate_restarts, Fault::kImmediate);
  std::shuffle(faults.begin(), faults.end(), rng);
  std::vector<double> at;
  std::uniform_real_distribution<double> when(0.10 * plan.seconds, 0.85 * plan.seconds);
  for (size_t i = 0; i < faults.size(); ++i) at.push_back(when(rng));
  std::sort(at.begin(), at.end());

  FaultTally tally;
  for (size_t i = 0; i < faults.size(); ++i) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(static_cast<long long>(at[i] * 1000)));
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    switch (faults[i]) {
      case Fault::kKill: {
        node->Stop(SIGKILL);
        node = std::make_unique<Canond>(db, settings, rules.rules());
        port = node->port();
        ++tally.kills;
        std::printf("  %6.1f s: kill -9 canond; restarted\n", t);
        break;
      }
      case Fault::kFast:
      case Fault::kImmediate: {
        const char* mode = faults[i] == Fault::kFast ? "fast" : "immediate";
        pg.Stop(mode);
        std::this_thread::sleep_for(std::chrono::seconds(2));
        pg.Start();
        ++(faults[i] == Fault::kFast ? tally.fast_restarts : tally.immediate_restarts);
        std::printf("  %6.1f s: PostgreSQL %s restart (down 2 s)\n", t, mode);
        break;
      }
    }
    std::fflush(stdout);
  }
  for (auto& s : senders) s.join();
  sending = false;
  tally.sent = std::min(next.load(), n);

  // Drain: the workers finish every row; then reconcile.
  std::string pending = WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0", 120000);
  tally.stuck = pending.empty() ? 0 : std::stoll(pending);
  std::vector<int> copies(static_cast<size_t>(n), 0);
  auto conn = db.Connect();
  auto r = conn->Exec(
      "SELECT substring(normalized->'fields'->>'email' FROM '^f([0-9]+)@faults[.]test$')::bigint AS k, count(*) "
      "FROM source_record GROUP BY 1");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  for (int i = 0; i < r->rows(); ++i) {
    REQUIRE(!r->IsNull(i, 0));  // every stored record is one of ours
    long long k = r->Int(i, 0);
    REQUIRE(k < n);
    copies[static_cast<size_t>(k)] = static_cast<int>(r->Int(i, 1));
  }
  for (long long k = 0; k < tally.sent; ++k) {
    int c = copies[static_cast<size_t>(k)];
    if (c > 1) ++tally.duplicated;
    if (acked[static_cast<size_t>(k)] == 2) ++tally.refused;
    if (acked[static_cast<size_t>(k)] == 1) {
      ++tally.acknowledged;
      if (c == 1) ++tally.stored;
      if (c == 0) ++tally.lost;
    } else if (c == 1) {
      ++tally.unacked_stored;
    }
  }
  std::printf("%s\n", tally.Summary().c_str());
  std::fflush(stdout);
  return tally;
}

}  // namespace canon::test

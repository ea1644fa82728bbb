#include "tests/faults/harness.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "connectors/rule_dir.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "tests/faults/netns.h"
#include "tests/faults/private_pg.h"
#include "tests/remote_client.h"
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

// One delivery of record k to host:port: forms, JSON and Google Ads leads in turn. A node cut off drops packets:
// the sender gives up on it after kSendTimeout and tries the next.
constexpr auto kSendTimeout = std::chrono::seconds(5);
HttpResult SendOnce(const std::string& host, uint16_t port, long long k) {
  std::string key = "faults-" + std::to_string(k);
  auto send = [&](const std::string& target, const std::string& body, const char* type,
                  const std::map<std::string, std::string>& headers) {
    return HttpRequestTo(host, port, kSendTimeout, "POST", target, body, type, headers);
  };
  switch (k % 3) {
    case 0:
      return send("/ingest/website", "email=" + Email(k) + "&first_name=F" + std::to_string(k),
                  "application/x-www-form-urlencoded", {{"Idempotency-Key", key}});
    case 1:
      return send("/ingest/api", "{\"email\":\"" + Email(k) + "\",\"last_name\":\"L\"}", "application/json",
                  {{"Idempotency-Key", key}});
    default: {
      char phone[32];
      std::snprintf(phone, sizeof phone, "+1650%07lld", k % 10000000);
      return send("/ingest/google_ads", GoogleLead(key, false, Email(k), kGoogleKey, "Gina Ads", phone),
                  "application/json", {});
    }
  }
}

// The canond nodes: on loopback, or each in its network namespace. Node i's address is fixed; its port changes
// when it is restarted on loopback, so senders read it atomically.
class Nodes {
 public:
  Nodes(const TestDb& db, std::map<std::string, std::string> settings, std::string rules, int count, NetnsLab* lab,
        int idle_in_tx_ms)
      : db_(db), settings_(std::move(settings)), rules_(std::move(rules)), lab_(lab), ports_(count) {
    loopback_.resize(count);
    netns_.resize(count);
    for (int i = 0; lab_ && i < count; ++i) {
      // Node i reaches PostgreSQL at its host-side address; its sessions end soon after going idle inside a
      // transaction, and the server notices a cut-off client within seconds also when a session was waiting for
      // the rest of a message or sending a result (keepalives, tcp_user_timeout: the product's minute, shortened
      // like the idle timeout), so a node cut off mid-batch gives its rows back within the cut.
      std::string conninfo = db_.conninfo();
      size_t at = conninfo.find("host=127.0.0.1");
      REQUIRE(at != std::string::npos);
      conninfo.replace(at, std::string("host=127.0.0.1").size(), "host=" + lab_->host_address(i));
      conninfo += " options='-c idle_in_transaction_session_timeout=" + std::to_string(idle_in_tx_ms) +
                  " -c tcp_keepalives_idle=3 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"
                  " -c tcp_user_timeout=" + std::to_string(2 * idle_in_tx_ms) + "'";
      conninfo_.push_back(conninfo);
    }
    for (int i = 0; i < count; ++i) Start(i);  // one by one: the first applies the migrations
  }
  int count() const { return static_cast<int>(ports_.size()); }
  std::string address(int i) const { return lab_ ? lab_->node_address(i) : "127.0.0.1"; }
  uint16_t port(int i) const { return ports_[i].load(); }
  void Kill(int i) {
    if (lab_) netns_[i]->Stop(SIGKILL);
    else loopback_[i]->Stop(SIGKILL);
    Start(i);
  }
  std::string Log(int i) const { return lab_ ? netns_[i]->Log() : loopback_[i]->Log(); }

 private:
  void Start(int i) {
    if (lab_) {
      netns_[i].reset();
      netns_[i] = std::make_unique<NetnsCanond>(*lab_, i, conninfo_[i], settings_, rules_);
      ports_[i] = NetnsCanond::kPort;
    } else {
      loopback_[i].reset();
      loopback_[i] = std::make_unique<Canond>(db_, settings_, rules_);
      ports_[i] = loopback_[i]->port();
    }
  }

  const TestDb& db_;
  std::map<std::string, std::string> settings_;
  std::string rules_;
  NetnsLab* lab_;
  std::vector<std::atomic<uint16_t>> ports_;
  std::vector<std::string> conninfo_;
  std::vector<std::unique_ptr<Canond>> loopback_;
  std::vector<std::unique_ptr<NetnsCanond>> netns_;
};

// The sum of a family's series whose labels contain `match`, in a /metrics exposition.
long long SumSeries(const std::string& exposition, const std::string& family, const std::string& match) {
  long long sum = 0;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(family + "{", 0) != 0 || line.find(match) == std::string::npos) continue;
    sum += std::stoll(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// The time of day as canond's log lines show it (UTC here), to line the harness's events up with them.
std::string WallClock() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lld", buf, ms);
  return out;
}

enum class Fault { kKill, kFast, kImmediate };

}  // namespace

std::string FaultTally::Summary() const {
  std::ostringstream s;
  s << "faults: " << kills << " kill -9 of canond, " << fast_restarts << " PostgreSQL fast restart(s), "
    << immediate_restarts << " immediate restart(s), " << network_cuts << " network cut(s)";
  if (!cut_skipped.empty()) s << " (network cut SKIPPED: " << cut_skipped << ")";
  s << "\n";
  if (network_cuts > 0)
    s << "cut node: sessions inside a transaction " << cut_tx_sessions_before << " as the cut began, "
      << cut_tx_sessions_end << " as it ended; " << cut_reconnects_failed
      << " failed reconnect attempts\n";
  s << "sent " << sent << " records; acknowledged " << acknowledged << " / stored " << stored << " / lost " << lost
    << " / duplicated " << duplicated << "; refused (4xx) " << refused << "; unacknowledged but stored once "
    << unacked_stored << "; inbox rows stuck " << stuck;
  s << "\nentities: live contacts checked " << contacts_checked << " / inconsistent with their members "
    << contacts_inconsistent << "; members of no live contact " << members_not_live
    << "; source records in no entity " << records_without_entity << "; members whose copy of their record differs "
    << member_copies_differ;
  if (!first_inconsistent.empty()) s << "\nfirst inconsistent: " << first_inconsistent;
  if (!first_refusal.empty()) s << "\nfirst 4xx: " << first_refusal;
  return s.str();
}

void ReconcileEntities(const std::string& conninfo, const std::string& rules_dir, FaultTally* tally) {
  auto rules = LoadRuleDir(rules_dir);
  INFO(rules.status().ToString());
  REQUIRE(rules.ok());
  auto conn = store::PgConn::Connect(conninfo);
  INFO(conn.status().ToString());
  REQUIRE(conn.ok());
  store::PgConn& c = **conn;
  // One snapshot for the stored rows and the members they are compared with.
  REQUIRE(c.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ").ok());
  const auto& columns = store::ContactColumns();
  std::string cols;
  for (const auto& col : columns) cols += ", " + col;
  auto stored = c.Exec("SELECT id, coalesce(latest_source, '')" + cols +
                       " FROM contact WHERE merged_into IS NULL ORDER BY id");
  auto lineage = c.Exec(
      "SELECT ct.id, l.key, l.value FROM contact ct, jsonb_each_text(ct.lineage) l WHERE ct.merged_into IS NULL");
  auto integrity = c.Exec(
      "SELECT (SELECT count(*) FROM entity_member e LEFT JOIN contact ct ON ct.id = e.contact_id "
      "        WHERE ct.id IS NULL OR ct.merged_into IS NOT NULL), "
      "       (SELECT count(*) FROM source_record s LEFT JOIN entity_member e ON e.source_record_id = s.id "
      "        WHERE (e.source_record_id IS NULL) <> s.is_test), "
      "       (" + store::MemberCopiesDifferingSql() + ")");
  for (auto* r : {&stored, &lineage, &integrity}) {
    INFO(r->status().ToString());
    REQUIRE(r->ok());
  }
  std::vector<long long> ids;
  for (int i = 0; i < stored->rows(); ++i) ids.push_back(stored->Int(i, 0));
  auto survivors = store::ComputeSurvivors(c, ids, **rules);
  INFO(survivors.status().ToString());
  REQUIRE(survivors.ok());
  REQUIRE(c.Exec("COMMIT").ok());
  std::map<long long, std::map<std::string, long long>> stored_lineage;
  for (int i = 0; i < lineage->rows(); ++i)
    stored_lineage[lineage->Int(i, 0)][lineage->Str(i, 1)] = lineage->Int(i, 2);

  tally->members_not_live = integrity->Int(0, 0);
  tally->records_without_entity = integrity->Int(0, 1);
  tally->member_copies_differ = integrity->Int(0, 2);
  int shown = 0;
  for (int i = 0; i < stored->rows(); ++i) {
    long long id = ids[static_cast<size_t>(i)];
    ++tally->contacts_checked;
    std::vector<std::string> differing;
    auto s = survivors->find(id);
    if (s == survivors->end()) {
      differing.push_back("(no members)");
    } else {
      if (stored->Get(i, 1) != s->second.latest_source) differing.push_back("latest_source");
      for (size_t k = 0; k < columns.size(); ++k) {
        auto v = s->second.values.find(columns[k]);
        int col = static_cast<int>(k) + 2;
        bool same = v == s->second.values.end() ? stored->IsNull(i, col)
                                                 : !stored->IsNull(i, col) && stored->Get(i, col) == v->second;
        if (!same) differing.push_back(columns[k]);
      }
      if (stored_lineage[id] != s->second.lineage) differing.push_back("lineage");
    }
    if (differing.empty()) continue;
    ++tally->contacts_inconsistent;
    if (shown++ >= 5) continue;
    std::string line = "contact " + std::to_string(id) + ":";
    for (const auto& f : differing) line += " " + f;
    tally->first_inconsistent += (tally->first_inconsistent.empty() ? "" : "; ") + line;
  }
}

FaultTally RunFaultHarness(const FaultPlan& plan) {
  unsigned seed = plan.seed ? plan.seed : static_cast<unsigned>(Clock::now().time_since_epoch().count());
  std::mt19937 rng(seed);
  FaultTally tally;
  std::unique_ptr<NetnsLab> lab;
  if (plan.network_cuts > 0) {
    tally.cut_skipped = NetnsLab::Unavailable();
    if (tally.cut_skipped.empty()) lab = std::make_unique<NetnsLab>(plan.nodes);
    else std::printf("fault harness: network cut SKIPPED: %s\n", tally.cut_skipped.c_str());
  }
  std::printf("fault harness: seed %u, %d s, %d senders, %d node(s)%s\n", seed, plan.seconds, plan.senders,
              plan.nodes, lab ? " in network namespaces" : " on loopback");

  PrivatePg pg(lab ? lab->host_addresses() : std::vector<std::string>{});
  TestDb db(pg.admin());
  setenv("CANON_GOOGLE_ADS_KEY", kGoogleKey, 1);
  const std::map<std::string, std::string> settings{{"read_timeout_ms", "5000"}, {"workers", "2"}};
  // The shipped rules plus the Google Ads example source (rules/examples/sources/), the vendor the load includes.
  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") + "\n" + rules.Read("examples/sources/google_ads.toml"));
  Nodes nodes(db, settings, rules.rules(), plan.nodes, lab.get(), plan.idle_in_tx_ms);
  std::atomic<int> cut_node{-1};
  std::once_flag refusal_once;

  const long long n = plan.max_records;
  std::vector<std::atomic<char>> acked(static_cast<size_t>(n));  // 1: 2xx; 2: a 4xx
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
        // Spread over the nodes; a failed attempt goes to the next node, as a load balancer would.
        for (int node = static_cast<int>(k % nodes.count());; node = (node + 1) % nodes.count()) {
          HttpResult r = SendOnce(nodes.address(node), nodes.port(node), k);
          if (r.status >= 200 && r.status < 300) {  // Google Ads is answered 200 {}, as it documents
            acked[static_cast<size_t>(k)] = 1;
            break;
          }
          if (r.status != 0 && r.status < 500) {  // 4xx
            acked[static_cast<size_t>(k)] = 2;
            std::call_once(refusal_once, [&] {
              tally.first_refusal = "node " + std::to_string(node) + ": " + std::to_string(r.status) + " " + r.body;
            });
            break;
          }
          if (Clock::now() > give_up) break;
          std::this_thread::sleep_for(kRetryPause);
        }
        if (Clock::now() > deadline) break;
      }
    });

  // The cut: one node off the network for cut_seconds, in its own thread (kills and restarts go on meanwhile).
  std::thread cutter;
  if (lab) {
    int victim = std::uniform_int_distribution<int>(0, nodes.count() - 1)(rng);
    double latest = std::max(0.10 * plan.seconds, 0.85 * plan.seconds - plan.cut_seconds);
    double at = std::uniform_real_distribution<double>(0.10 * plan.seconds, latest)(rng);
    cutter = std::thread([&, victim, at] {
      std::this_thread::sleep_until(start + std::chrono::milliseconds(static_cast<long long>(at * 1000)));
      // Sessions of the node inside a transaction (their rows locked), seen from the database (-1: it is down).
      auto in_tx = [&]() -> long long {
        auto c = store::PgConn::Connect(db.conninfo());
        if (!c.ok()) return -1;
        auto r = (*c)->Exec("SELECT count(*) FROM pg_stat_activity WHERE client_addr = $1::inet "
                            "AND xact_start IS NOT NULL",
                            {lab->node_address(victim)});
        return r.ok() ? r->Int(0, 0) : -1;
      };
      cut_node = victim;
      if (std::string err = lab->Cut(victim); !err.empty()) {
        tally.cut_skipped = err;
        cut_node = -1;
        return;
      }
      tally.cut_tx_sessions_before = in_tx();
      std::printf("  %6.1f s (%s): network cut: node %d (%s) down for %d s\n",
                  std::chrono::duration<double>(Clock::now() - start).count(), WallClock().c_str(), victim,
                  lab->node_address(victim).c_str(), plan.cut_seconds);
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(plan.cut_seconds) - std::chrono::milliseconds(500));
      tally.cut_tx_sessions_end = in_tx();
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      std::string err = lab->Restore(victim);
      if (!err.empty()) std::printf("  network cut: node %d NOT restored: %s\n", victim, err.c_str());
      ++tally.network_cuts;
      std::printf("  %6.1f s (%s): network cut: node %d back\n",
                  std::chrono::duration<double>(Clock::now() - start).count(), WallClock().c_str(), victim);
      std::fflush(stdout);
      cut_node = -1;
    });
  }

  std::vector<Fault> faults;
  faults.insert(faults.end(), plan.kills, Fault::kKill);
  faults.insert(faults.end(), plan.fast_restarts, Fault::kFast);
  faults.insert(faults.end(), plan.immediate_restarts, Fault::kImmediate);
  std::shuffle(faults.begin(), faults.end(), rng);
  std::vector<double> at;
  std::uniform_real_distribution<double> when(0.10 * plan.seconds, 0.85 * plan.seconds);
  for (size_t i = 0; i < faults.size(); ++i) at.push_back(when(rng));
  std::sort(at.begin(), at.end());

  for (size_t i = 0; i < faults.size(); ++i) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(static_cast<long long>(at[i] * 1000)));
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    switch (faults[i]) {
      case Fault::kKill: {
        // Not the node cut off: it could not reach the database to start again until the cut ends.
        int victim = std::uniform_int_distribution<int>(0, nodes.count() - 1)(rng);
        if (victim == cut_node) victim = (victim + 1) % nodes.count();
        nodes.Kill(victim);
        ++tally.kills;
        std::printf("  %6.1f s: kill -9 canond (node %d); restarted\n", t, victim);
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
  if (cutter.joinable()) cutter.join();
  for (auto& s : senders) s.join();
  sending = false;
  tally.sent = std::min(next.load(), n);

  // Drain: the workers finish every row; then reconcile.
  std::string pending = WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0", 120000);
  tally.stuck = pending.empty() ? 0 : std::stoll(pending);
  if (tally.network_cuts > 0) {
    long long failed = 0;
    for (int i = 0; i < nodes.count(); ++i) {
      HttpResult m = HttpRequestTo(nodes.address(i), nodes.port(i), kSendTimeout, "GET", "/metrics");
      std::printf("  node %d: canon_pg_reconnects_total failed %lld, ok %lld\n", i,
                  SumSeries(m.body, "canon_pg_reconnects_total", "result=\"failed\""),
                  SumSeries(m.body, "canon_pg_reconnects_total", "result=\"ok\""));
      failed = std::max(failed, SumSeries(m.body, "canon_pg_reconnects_total", "result=\"failed\""));
    }
    tally.cut_reconnects_failed = failed;
    // What the cut looks like in the cut node's log (the node whose connections failed the most).
    for (int i = 0; i < nodes.count(); ++i) {
      std::istringstream log(nodes.Log(i));
      int shown = 0;
      for (std::string line; std::getline(log, line) && shown < 8;)
        if (line.find("PostgreSQL connection (") != std::string::npos || line.find("rolled back") != std::string::npos) {
          if (shown++ == 0) std::printf("  node %d log:\n", i);
          std::printf("    %s\n", line.c_str());
        }
    }
  }
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
  ReconcileEntities(db.conninfo(), rules.rules(), &tally);
  std::printf("%s\n", tally.Summary().c_str());
  std::fflush(stdout);
  return tally;
}

}  // namespace canon::test

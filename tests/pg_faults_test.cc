// What the README promises under faults, tested through a real canond: 503 with Retry-After for a full queue and
// for a database that is down, reconnects spaced by backoff while it is down, a worker killed mid-batch, a poison
// row found by retrying one at a time, and the sd_notify protocol. Tests that stop PostgreSQL use a private cluster (tests/faults/private_pg.h), never the
// shared one.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/backoff.h"
#include "tests/faults/private_pg.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;
using Clock = std::chrono::steady_clock;

namespace {
const char* kForm = "application/x-www-form-urlencoded";
const char* kJson = "application/json";

long long Ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

// Polls GET /readyz until it answers `want`.
int WaitReady(const Canond& d, int want, int timeout_ms) {
  auto start = Clock::now();
  int got = 0;
  while (Ms(start) < timeout_ms) {
    got = HttpRequest(d.port(), "GET", "/readyz").status;
    if (got == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return got;
}

// Every inbox row has exactly one source record of index 0, and none is pending.
void RequireEachRowStoredOnce(const TestDb& db, long long rows) {
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status <> 'done'", "0", 30000) == "0");
  CHECK(db.Count("SELECT count(*) FROM inbox") == rows);
  CHECK(db.Count("SELECT count(*) FROM source_record") == rows);
  CHECK(db.Count("SELECT count(*) FROM inbox i WHERE (SELECT count(*) FROM source_record s "
                 "WHERE s.inbox_id = i.id) <> 1") == 0);
}
// Writes `rows` form payloads through a canond with no workers, so the workers of the next canond find them all
// pending and claim them in batches of their own.
void EnqueueOnly(const TestDb& db, int rows, const std::function<std::string(int)>& body) {
  Canond intake(db, {{"workers", "0"}});
  for (int i = 0; i < rows; ++i) PostForm(intake, body(i));
  CHECK(intake.Stop() == 0);
}
}  // namespace

TEST_CASE("a full intake queue answers 503 with Retry-After at once; what it took is stored", "[pg][faults]") {
  TestDb db;
  // One writer taking one payload at a time, and room for two more: the fourth concurrent payload is refused.
  Canond d(db, {{"writer_connections", "1"}, {"group_commit_max", "1"}, {"max_queue", "2"}});
  // Hold the writer inside its INSERT: a SHARE lock on inbox blocks every insert until we roll back.
  auto blocker = db.Connect();
  REQUIRE(blocker->Exec("BEGIN").ok());
  REQUIRE(blocker->Exec("LOCK TABLE inbox IN SHARE MODE").ok());

  constexpr int kSent = 8;
  std::vector<HttpResult> results(kSent);
  std::vector<std::atomic<long long>> answered_ms(kSent);
  for (auto& a : answered_ms) a = -1;
  std::vector<std::thread> clients;
  auto start = Clock::now();
  auto send = [&](int i) {
    clients.emplace_back([&, i] {
      results[i] = HttpRequest(d.port(), "POST", "/ingest/website", "email=q" + std::to_string(i) + "@full.test", kForm);
      answered_ms[i] = Ms(start);
    });
  };
  // The first payload reaches the writer, which waits on the lock; only then the others come, so the writer holds
  // one and the queue two whatever the machine's load.
  send(0);
  auto waiting = db.Connect();
  auto writer_waits = [&] {
    auto r = waiting->Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%inbox%'");
    return r.ok() && r->rows() == 1 && r->Str(0, 0) != "0";
  };
  while (!writer_waits() && Ms(start) < 10000) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(writer_waits());
  for (int i = 1; i < kSent; ++i) send(i);
  // The refusals come while the writer is still blocked: they never wait for the database.
  auto refused = [&] {
    int n = 0;
    for (int i = 0; i < kSent; ++i) n += answered_ms[i] >= 0 ? 1 : 0;
    return n;
  };
  while (refused() < kSent - 3 && Ms(start) < 10000) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(refused() == kSent - 3);
  REQUIRE(blocker->Exec("ROLLBACK").ok());
  for (auto& c : clients) c.join();

  int accepted = 0, unavailable = 0;
  for (int i = 0; i < kSent; ++i) {
    const HttpResult& r = results[i];
    if (r.status == 202) {
      ++accepted;
    } else {
      INFO(r.status << " " << r.body);
      REQUIRE(r.status == 503);
      ++unavailable;
      CHECK(r.headers.count("retry-after") == 1);
      CHECK_THAT(r.body, Catch::Contains("intake queue full"));
    }
  }
  CHECK(accepted == 3);
  CHECK(unavailable == kSent - 3);
  // Accepted: stored once each. Refused: not stored at all.
  RequireEachRowStoredOnce(db, accepted);
  auto metrics = HttpRequest(d.port(), "GET", "/metrics");
  CHECK_THAT(metrics.body, Catch::Contains("canon_intake_total{source=\"website\",outcome=\"unavailable\"} " +
                                           std::to_string(kSent - 3)));
}

TEST_CASE("PostgreSQL down: intake answers 503 with Retry-After in time; after the restart the same payloads are "
          "stored once and /readyz follows",
          "[pg][faults]") {
  PrivatePg pg;
  TestDb db(pg.admin());
  constexpr int kReadTimeoutMs = 5000;
  Canond d(db, {{"read_timeout_ms", std::to_string(kReadTimeoutMs)}});
  REQUIRE(HttpRequest(d.port(), "POST", "/ingest/website", "email=before@down.test", kForm).status == 202);
  CHECK(WaitReady(d, 200, 5000) == 200);

  pg.Stop("fast");
  CHECK(WaitReady(d, 503, 5000) == 503);
  std::vector<std::pair<std::string, std::string>> payloads;  // (source, body)
  for (int i = 0; i < 10; ++i) payloads.push_back({"website", "email=f" + std::to_string(i) + "@down.test"});
  for (int i = 0; i < 10; ++i)
    payloads.push_back({"api", "{\"email\":\"j" + std::to_string(i) + "@down.test\"}"});
  for (const auto& [source, body] : payloads) {
    auto start = Clock::now();
    auto r = HttpRequest(d.port(), "POST", "/ingest/" + source, body, source == "api" ? kJson : kForm);
    INFO(body << " -> " << r.status << " " << r.body);
    CHECK(r.status == 503);
    CHECK(r.headers.count("retry-after") == 1);
    CHECK(Ms(start) < kReadTimeoutMs);
  }

  pg.Start();
  CHECK(WaitReady(d, 200, 15000) == 200);
  // Senders retry on 5xx: the same payloads again, now accepted (a retry or two while connections come back).
  for (const auto& [source, body] : payloads) {
    HttpResult r;
    for (int attempt = 0; attempt < 20; ++attempt) {
      r = HttpRequest(d.port(), "POST", "/ingest/" + source, body, source == "api" ? kJson : kForm);
      if (r.status != 503) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    INFO(body << " -> " << r.status << " " << r.body);
    CHECK(r.status == 202);
  }
  RequireEachRowStoredOnce(db, 1 + static_cast<long long>(payloads.size()));
  CHECK(db.Count("SELECT count(DISTINCT normalized->'fields'->>'email') FROM source_record") ==
        1 + static_cast<long long>(payloads.size()));
}

TEST_CASE("a canond killed with rows claimed mid-batch: another claims them, each is stored once", "[pg][faults]") {
  TestDb db;
  constexpr int kRows = 100;
  EnqueueOnly(db, kRows, [](int i) { return "email=k" + std::to_string(i) + "@kill.test"; });  // a full batch below
  // Block every source_record insert: the worker claims its batch, then waits inside its transaction.
  auto blocker = db.Connect();
  REQUIRE(blocker->Exec("BEGIN").ok());
  REQUIRE(blocker->Exec("LOCK TABLE source_record IN SHARE MODE").ok());
  {
    Canond d(db, {{"workers", "1"}, {"worker_batch", "50"}});
    // The worker has claimed and is waiting on our lock (probing row locks earlier would race its claim).
    std::string waiting = WaitFor(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'", "1");
    CHECK(waiting == "1");
    // Claimed rows are locked by the worker's open transaction: SKIP LOCKED does not see them.
    CHECK(kRows - db.Count("SELECT count(*) FROM (SELECT id FROM inbox WHERE status = 'pending' "
                           "FOR UPDATE SKIP LOCKED) s") == 50);
    CHECK(d.Stop(SIGKILL) == -SIGKILL);
  }
  REQUIRE(blocker->Exec("ROLLBACK").ok());
  Canond again(db, {{"workers", "2"}, {"worker_batch", "50"}});
  RequireEachRowStoredOnce(db, kRows);
  CHECK(db.Count("SELECT count(*) FROM contact") == kRows);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);
}

TEST_CASE("PostgreSQL crashes (immediate stop) while workers write batches that commit without waiting for the "
          "disk: after recovery each inbox row is stored once",
          "[pg][faults]") {
  PrivatePg pg;
  TestDb db(pg.admin());
  constexpr int kRows = 1500;
  EnqueueOnly(db, kRows, [](int i) {
    return "email=c" + std::to_string(i) + "@crash.test&first_name=Cara" + std::to_string(i % 7) + "&last_name=Stone";
  });
  Canond d(db, {{"workers", "2"}, {"worker_batch", "20"}});
  // Some batches have committed (and may not be on disk yet), others are being written.
  CHECK(WaitFor(db, "SELECT count(*) >= 100 FROM inbox WHERE status = 'done'", "t", 30000) == "t");
  pg.Stop("immediate");
  pg.Start();
  RequireEachRowStoredOnce(db, kRows);
  CHECK(db.Count("SELECT count(*) FROM contact") == kRows);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);
  CHECK(db.Count("SELECT count(*) FROM entity_member") == kRows);
}

TEST_CASE("sd_notify: READY=1 once serving, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM",
          "[pg][faults][sd_notify]") {
  TestDb db;
  char tmpl[] = "/tmp/canon-notify.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string path = std::string(tmpl) + "/notify.sock";
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto next = [&] {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("(nothing: ") + std::strerror(errno) + ")";
  };

  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  Canond d(db);
  unsetenv("NOTIFY_SOCKET");
  CHECK(next() == "READY=1");
  kill(d.pid(), SIGHUP);
  CHECK(next() == "RELOADING=1");
  CHECK(next() == "READY=1");
  CHECK(HttpRequest(d.port(), "GET", "/readyz").status == 200);
  CHECK(d.Stop(SIGTERM) == 0);
  CHECK(next() == "STOPPING=1");
  close(fd);
  std::filesystem::remove_all(tmpl);
}

TEST_CASE("a batch that fails in PostgreSQL is retried row by row; only the poison rows are dead-lettered",
          "[pg][faults]") {
  TestDb db;
  constexpr int kRows = 10;
  constexpr int kPoison = 6;  // breaks the CHECK constraint below
  // (A NUL byte in a field was the other poison; intake now refuses it with 400 at the door, tests/pg_poison_test.cc.)
  auto body = [](int i) {
    if (i == kPoison) return std::string("email=poison@row.test");
    return "email=r" + std::to_string(i) + "@row.test";
  };
  EnqueueOnly(db, kRows, body);  // the worker below claims all ten in one batch
  // The poison: a CHECK constraint that one record breaks at write time (validation lets nothing else through).
  auto c = db.Connect();
  REQUIRE(c->Exec("ALTER TABLE source_record ADD CONSTRAINT faults_poison "
                  "CHECK (normalized->'fields'->>'email' IS DISTINCT FROM 'poison@row.test')")
              .ok());
  Canond d(db, {{"workers", "1"}, {"worker_batch", std::to_string(kRows)}});
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  CHECK(db.Count("SELECT count(*) FROM inbox WHERE status = 'done'") == kRows - 1);
  CHECK(db.Count("SELECT count(*) FROM source_record") == kRows - 1);
  CHECK(db.Count("SELECT count(*) FROM inbox i WHERE status = 'done' AND (SELECT count(*) FROM source_record s "
                 "WHERE s.inbox_id = i.id) <> 1") == 0);
  // The poison row: failed, kept whole in dead_letter with the reason.
  CHECK(db.Count("SELECT count(*) FROM inbox WHERE status = 'failed'") == 1);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 1);
  auto id_of = [&](int i) {
    return db.Scalar("SELECT id::text FROM inbox WHERE body = convert_to($1, 'UTF8')", {body(i)});
  };
  std::string poison_id = id_of(kPoison);
  CHECK(db.Scalar("SELECT status FROM inbox WHERE id = $1", {poison_id}) == "failed");
  CHECK(db.Scalar("SELECT stage FROM dead_letter WHERE inbox_id = $1", {poison_id}) == "store");
  CHECK_THAT(db.Scalar("SELECT reason FROM dead_letter WHERE inbox_id = $1", {poison_id}),
             Catch::Contains("faults_poison"));
  // It took a failed batch of ten to get there.
  CHECK_THAT(d.Log(), Catch::Contains("batch failed and rolled back"));
  auto metrics = HttpRequest(d.port(), "GET", "/metrics");
  CHECK_THAT(metrics.body, Catch::Contains("canon_worker_failed_total 1"));
}

TEST_CASE("the row dead-lettered after a failed batch is the row that failed, even when another worker holds it",
          "[pg][faults]") {
  TestDb db;
  constexpr int kRows = 6;
  constexpr int kPoison = 0;  // the oldest row: the one "the next pending row" would name
  auto body = [](int i) {
    if (i == kPoison) return std::string("email=poison@alone.test");
    return "email=a" + std::to_string(i) + "@alone.test";
  };
  EnqueueOnly(db, kRows, body);
  std::string poison_id =
      db.Scalar("SELECT id::text FROM inbox WHERE body = convert_to($1, 'UTF8')", {body(kPoison)});
  // The poison fails its write after a second, so we can tell when a worker is inside it.
  auto c = db.Connect();
  REQUIRE(c->Exec("CREATE FUNCTION faults_slow_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF NEW.normalized->'fields'->>'email' = 'poison@alone.test' THEN "
                  "PERFORM pg_sleep(1); RAISE EXCEPTION 'faults_slow_poison'; END IF; RETURN NEW; END $$")
              .ok());
  REQUIRE(c->Exec("CREATE TRIGGER faults_slow_poison BEFORE INSERT ON source_record FOR EACH ROW "
                  "EXECUTE FUNCTION faults_slow_poison()")
              .ok());
  Canond d(db, {{"workers", "1"}, {"worker_batch", "1"}});
  // While the worker is inside the poison's failing write, another "worker" asks for the poison row and waits for
  // it: the moment the worker rolls back, the row is ours (as it would be a second worker's or node's claim).
  CHECK(WaitFor(db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'", "1") == "1");
  auto other = db.Connect();
  REQUIRE(other->Exec("BEGIN").ok());
  REQUIRE(other->Exec("SELECT id FROM inbox WHERE id = $1 FOR UPDATE", {poison_id}).ok());
  // Every innocent row is finished meanwhile and none is dead-lettered in the poison's place.
  CHECK(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'done'", std::to_string(kRows - 1)) ==
        std::to_string(kRows - 1));
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);
  REQUIRE(other->Exec("ROLLBACK").ok());
  // Released, the poison fails again, alone, and is the one dead-lettered.
  CHECK(WaitFor(db, "SELECT status FROM inbox WHERE id = " + poison_id, "failed") == "failed");
  CHECK(db.Count("SELECT count(*) FROM inbox WHERE status = 'done'") == kRows - 1);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 1);
  CHECK(db.Scalar("SELECT inbox_id::text FROM dead_letter") == poison_id);
  CHECK(db.Count("SELECT count(*) FROM source_record") == kRows - 1);
}

TEST_CASE("every connection probes its peer and ends a session left idle in a transaction; conninfo overrides",
          "[pg][faults][keepalive]") {
  TestDb db;
  auto c = db.Connect();
  auto show = [&](store::PgConn& conn, const char* setting) {
    auto r = conn.Exec(std::string("SHOW ") + setting);
    REQUIRE(r.ok());
    return r->Str(0, 0);
  };
  CHECK(show(*c, "idle_in_transaction_session_timeout") == "1min");
  CHECK(show(*c, "tcp_keepalives_idle") == "30");
  CHECK(show(*c, "tcp_keepalives_interval") == "10");
  CHECK(show(*c, "tcp_keepalives_count") == "3");
  int on = 0;
  socklen_t len = sizeof on;
  REQUIRE(getsockopt(PQsocket(c->raw()), SOL_SOCKET, SO_KEEPALIVE, &on, &len) == 0);
  CHECK(on == 1);
  // The caller's own settings win, and the timeout does end an idle transaction (its locks go with it).
  auto own = store::PgConn::Connect(db.conninfo() + " keepalives=0 options='-c idle_in_transaction_session_timeout=500'");
  REQUIRE(own.ok());
  CHECK(show(**own, "idle_in_transaction_session_timeout") == "500ms");
  CHECK(show(**own, "plan_cache_mode") == "force_generic_plan");
  REQUIRE(getsockopt(PQsocket((*own)->raw()), SOL_SOCKET, SO_KEEPALIVE, &on, &len) == 0);
  CHECK(on == 0);
  REQUIRE((*own)->Exec("BEGIN").ok());
  REQUIRE((*own)->Exec("SELECT 1").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(!(*own)->Exec("SELECT 1").ok());
}

namespace {
// The value of one series in a /metrics exposition (its full name with labels, as written), or -1.
double SeriesValue(const std::string& exposition, const std::string& series) {
  size_t at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}
double Reconnects(const std::string& exposition, const char* role, const char* result) {
  return SeriesValue(exposition, std::string("canon_pg_reconnects_total{role=\"") + role + "\",result=\"" + result +
                                     "\"}");
}
}  // namespace

TEST_CASE("PostgreSQL away for seconds: each connection's reconnect attempts are spaced by backoff, not one per "
          "request; the node is back within reconnect_max_ms of its return",
          "[pg][faults][reconnect]") {
  PrivatePg pg;
  TestDb db(pg.admin());
  const daemon::Backoff backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  constexpr int kWriters = 2, kWorkers = 2;
  Canond d(db, {{"reconnect_initial_ms", "100"},
                {"reconnect_max_ms", "1000"},
                {"writer_connections", std::to_string(kWriters)},
                {"workers", std::to_string(kWorkers)}});
  PostForm(d, "email=before@reconnect.test");
  CHECK(WaitReady(d, 200, 5000) == 200);

  pg.Stop("fast");
  auto down = Clock::now();
  // Four senders hammer the intake and a prober polls /readyz and /metrics meanwhile: every 503 was a
  // reconnect attempt of a writer before backoff.
  constexpr int kOutageMs = 5000;
  std::atomic<long long> refused{0}, sent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; Ms(down) < kOutageMs; ++i) {
        auto r = HttpRequest(d.port(), "POST", "/ingest/website",
                             "email=o" + std::to_string(t) + "x" + std::to_string(i) + "@reconnect.test", kForm);
        ++sent;
        if (r.status == 503) ++refused;
      }
    });
  threads.emplace_back([&] {
    while (Ms(down) < kOutageMs) {
      HttpRequest(d.port(), "GET", "/readyz");
      HttpRequest(d.port(), "GET", "/metrics");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  for (auto& t : threads) t.join();
  std::string during = HttpRequest(d.port(), "GET", "/metrics").body;
  const long long outage_ms = Ms(down);

  // At most: one attempt at once, then one after each wait, every wait at least its lower bound.
  int per_connection = 1;
  for (long long spent = 0;; ++per_connection) {
    spent += daemon::EqualJitter(backoff, per_connection, 0.0).count();
    if (spent > outage_ms) break;
  }
  INFO("outage " << outage_ms << " ms: " << sent << " posts, " << refused << " answered 503; at most "
                 << per_connection << " attempts per connection\n"
                 << during);
  CHECK(refused == sent);
  CHECK(refused > 10 * kWriters * per_connection);
  for (auto [role, connections] : {std::pair{"writer", kWriters}, std::pair{"worker", kWorkers},
                                   std::pair{"admin", 1}, std::pair{"metrics", 1}, std::pair{"backlog", 1}}) {
    INFO(role);
    CHECK(Reconnects(during, role, "failed") >= 1);
    CHECK(Reconnects(during, role, "failed") <= connections * per_connection);
    CHECK(Reconnects(during, role, "ok") == 0);
  }

  pg.Start();
  auto up = Clock::now();
  CHECK(WaitReady(d, 200, 10000) == 200);
  const long long ready_ms = Ms(up);
  HttpResult r;
  while (Ms(up) < 10000) {
    r = HttpRequest(d.port(), "POST", "/ingest/website", "email=after@reconnect.test", kForm);
    if (r.status == 202) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const long long accepted_ms = Ms(up);
  CHECK(r.status == 202);
  // Both within the longest wait (1 s) of the server's return, with room for a loaded machine.
  INFO("ready after " << ready_ms << " ms, intake accepts after " << accepted_ms << " ms");
  CHECK(ready_ms < 3000);
  CHECK(accepted_ms < 3000);
  // The workers are back too: what was accepted is written, once.
  RequireEachRowStoredOnce(db, 2);
  // Each worker is back by its next attempt, within reconnect_max_ms, whether or not it has had work since.
  std::string after;
  for (auto since = Clock::now(); Ms(since) < 5000; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
    after = HttpRequest(d.port(), "GET", "/metrics").body;
    if (Reconnects(after, "worker", "ok") == kWorkers) break;
  }
  CHECK(Reconnects(after, "worker", "ok") == kWorkers);
  CHECK(Reconnects(after, "writer", "ok") >= 1);
  CHECK(Reconnects(after, "admin", "ok") == 1);
  CHECK_THAT(d.Log(), Catch::Contains("PostgreSQL connection (worker) back after"));
}

// Fetch-based connectors retry per lead, durably (issue 15, item 1), through a real canond, a real PostgreSQL
// and a fake Graph API on loopback HTTPS (tests/https_server.h) that answers each lead its own way:
// - a two-lead notification whose second lead fails five times, with canond restarted mid-retry: both leads
// end up
//   as contacts, once each, and the second was asked for exactly six times;
// - a lead that fails past its source's retry window is dead-lettered (stage fetch), logged and counted; a
//   redelivery of its notification starts it again; `canonctl dead-letters replay` brings it in once, and a
//   second replay writes nothing.
#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "tests/https_server.h"
#include "tests/support.h"
#include "tests/vendor_payloads.h"

using namespace canon;
using namespace canon::test;

namespace {

const char* kJson = "application/json";
const char* kAppSecret = "meta-app-secret-1";
const char* kToken = "EAAB-page-token-42";
const std::string kLeadA = "900000000000001", kLeadB = "900000000000002", kLeadC = "900000000000003";

// A source of kind meta_leads talking to the fake Graph API, with its own retry policy (seconds).
std::string MetaSource(const std::string& name, unsigned short port, const std::string& ca,
                       const std::string& retry) {
  return "\n[" + name +
         "]\nkind = \"meta_leads\"\ndefault_country = \"US\"\nsecret_env = \"CANON_META_APP_SECRET\"\n"
         "verify_token_env = \"CANON_META_VERIFY_TOKEN\"\naccess_token_env = \"CANON_META_ACCESS_TOKEN\"\n"
         "graph_base = \"https://127.0.0.1:" +
         std::to_string(port) + "/v19.0\"\ngraph_ca_file = \"" + ca + "\"\n" + retry + "\n";
}

// A leadgen notification naming these leads, as Meta sends it (tests/vendor_payloads.h cites the page).
std::string Notification(const std::vector<std::string>& leads) {
  std::string changes;
  for (const std::string& id : leads)
    changes +=
        std::string(changes.empty() ? "" : ",") + R"({"field":"leadgen","value":{"leadgen_id":")" + id +
        R"(","page_id":"123123123","form_id":"12312312312","ad_id":"12312312312","created_time":1440120384}})";
  return R"({"object":"page","entry":[{"id":"153125381133","time":1438292065,"changes":[)" + changes + "]}]}";
}

// The Graph API's answer for a lead: one made-up person per lead id.
std::string GraphLead(const std::string& id) {
  static const std::map<std::string, std::pair<std::string, std::string>> kPeople = {
      {kLeadA, {"Ana Quintero", "ana.quintero@example.com"}},
      {kLeadB, {"Bruno Haddad", "bruno.haddad@example.org"}},
      {kLeadC, {"Chidi Okafor", "chidi.okafor@example.net"}}};
  const auto& [name, email] = kPeople.at(id);
  return R"({"created_time":"2015-02-28T08:49:14+0000","id":")" + id +
         R"(","form_id":"12312312312","field_data":[{"name":"full_name","values":[")" + name +
         R"("]},{"name":"email","values":[")" + email + R"("]}]})";
}

// "/v19.0/<id>?fields=..." -> "<id>"
std::string LeadOf(const std::string& target) {
  size_t start = target.find('/', 1) + 1;
  return target.substr(start, target.find('?') - start);
}

HttpResult PostNotification(const Canond& d, const std::string& source, const std::string& body) {
  return HttpRequest(d.port(), "POST", "/ingest/" + source, body, kJson,
                     {{"X-Hub-Signature-256", SignMeta(kAppSecret, body)}});
}

long long Metric(const Canond& d, const std::string& name) {
  auto m = HttpRequest(d.port(), "GET", "/metrics");
  auto at = m.body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(m.body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE(
    "meta: each lead is fetched and retried on its own, durably across a restart; dead letters replay once",
    "[pg][vendor][meta][fetch]") {
  setenv("CANON_META_APP_SECRET", kAppSecret, 1);
  setenv("CANON_META_VERIFY_TOKEN", "meatyhamhock", 1);
  setenv("CANON_META_ACCESS_TOKEN", kToken, 1);
  Pem pem = MakeSelfSigned();
  CaFile ca{pem};
  std::mutex mu;
  std::map<std::string, int> calls;  // Graph requests per lead id
  std::atomic<bool> c_up{false};
  auto count = [&](const std::string& lead) {
    std::lock_guard<std::mutex> lock(mu);
    return calls[lead];
  };
  ScriptedServer graph(pem, [&](const std::string& target) -> Answer {
    const std::string lead = LeadOf(target);
    int n;
    {
      std::lock_guard<std::mutex> lock(mu);
      n = ++calls[lead];
    }
    const Answer down{503, R"({"error":{"message":"Please retry your request later.","code":2}})"};
    if (lead == kLeadB && n <= 5) return down;
    if (lead == kLeadC && !c_up) return down;
    return {200, GraphLead(lead)};
  });
  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") +
                                  MetaSource("meta_leads", graph.port(), ca.path,
                                             "retry_initial = 0.4\nretry_max = 0.8\nretry_window = 3600") +
                                  MetaSource("meta_short", graph.port(), ca.path,
                                             "retry_initial = 0.2\nretry_max = 0.4\nretry_window = 1.5"));
  TestDb db;
  auto d = std::make_unique<Canond>(db, std::map<std::string, std::string>{}, rules.rules());
  const std::string lead_records = "SELECT count(*) FROM source_record WHERE delivery_key = $1";

  // Two leads in one notification: A is served at once, B fails five times (503) and is then served.
  const std::string ab = Notification({kLeadA, kLeadB});
  auto r = PostNotification(*d, "meta_leads", ab);
  REQUIRE(r.status == 200);
  INFO(d->Log());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE delivery_key = '" + kLeadA + "'", "1") ==
          "1");
  // Fetched leads are stored although another lead of their notification fails.
  REQUIRE(WaitFor(db, "SELECT attempts >= 2 FROM fetch_job WHERE lead_id = '" + kLeadB + "'", "t") == "t");

  // Restarted mid-retry: the retry state is in PostgreSQL.
  REQUIRE(d->Stop() == 0);
  const std::string log1 = d->Log();
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadB}) == "pending");
  const long long attempts_at_stop =
      std::stoll(db.Scalar("SELECT attempts FROM fetch_job WHERE lead_id = $1", {kLeadB}));
  CHECK(attempts_at_stop < 6);
  CHECK(count(kLeadB) == attempts_at_stop);
  CHECK_THAT(log1, Catch::Contains("attempt 1 failed, retry in"));
  CHECK_THAT(log1, !Catch::Contains(kToken));
  CHECK_THAT(log1, !Catch::Contains("quintero") && !Catch::Contains("haddad"));
  std::this_thread::sleep_for(std::chrono::milliseconds(900));  // B falls due while canond is down
  d = std::make_unique<Canond>(db, std::map<std::string, std::string>{}, rules.rules());
  INFO(d->Log());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "2", 20000) == "2");
  CHECK(db.Count(lead_records, {kLeadA}) == 1);
  CHECK(db.Count(lead_records, {kLeadB}) == 1);
  CHECK(db.Count("SELECT count(*) FROM contact") == 2);
  CHECK(db.Scalar("SELECT string_agg(email, ',' ORDER BY email) FROM contact") ==
        "ana.quintero@example.com,bruno.haddad@example.org");
  CHECK(db.Scalar("SELECT string_agg(state || ':' || attempts, ',' ORDER BY lead_id) FROM fetch_job") ==
        "done:1,done:6");
  CHECK(count(kLeadA) == 1);
  CHECK(count(kLeadB) == 6);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);
  CHECK(db.Scalar("SELECT last_error FROM fetch_job WHERE lead_id = $1", {kLeadB}).find("503") !=
        std::string::npos);

  // A redelivery of a notification whose leads are in: a duplicate, nothing fetched again.
  auto again = PostNotification(*d, "meta_leads", ab);
  REQUIRE(again.status == 200);
  CHECK_THAT(again.body, Catch::Contains("\"duplicate\":true"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(count(kLeadA) == 1);
  CHECK(count(kLeadB) == 6);

  // A lead that fails past its window (1.5 s here, 24 h by default): a dead letter, logged and counted.
  const std::string c = Notification({kLeadC});
  auto rc = PostNotification(*d, "meta_short", c);
  REQUIRE(rc.status == 200);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1", 15000) == "1");
  CHECK(db.Scalar("SELECT stage || '|' || source || '|' || location FROM dead_letter") ==
        "fetch|meta_short|leadgen_id " + kLeadC);
  std::string reason = db.Scalar("SELECT reason FROM dead_letter");
  CHECK_THAT(reason, Catch::Contains("Graph API") && Catch::Contains("503") && !Catch::Contains(kToken));
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadC}) == "dead");
  CHECK(db.Scalar("SELECT dl.fetch_job_id = j.id FROM dead_letter dl, fetch_job j WHERE j.lead_id = $1",
                  {kLeadC}) == "t");
  const int c_calls = count(kLeadC);
  CHECK(c_calls >= 3);
  CHECK_THAT(d->Log(), Catch::Contains("dead-lettered after") && Catch::Contains("retry window passed"));
  CHECK_THAT(d->Log(), !Catch::Contains(kToken));
  CHECK(Metric(*d, "canon_dead_letters_total{stage=\"fetch\"}") == 1);
  // This daemon's: C's failed attempts (each but the last rescheduled) and those of B after the restart.
  CHECK(Metric(*d, "canon_fetch_failures_total{source=\"meta_short\"}") == c_calls);
  CHECK(Metric(*d, "canon_fetch_retries_total{source=\"meta_short\"}") == c_calls - 1);
  CHECK(Metric(*d, "canon_fetch_requests_total{source=\"meta_short\"}") == c_calls);
  CHECK(Metric(*d, "canon_fetch_failures_total{source=\"meta_leads\"}") == 5 - attempts_at_stop);
  CHECK(Metric(*d, "canon_fetch_leads_total{source=\"meta_short\"}") == 0);
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE delivery_key = $1", {kLeadC}) == 0);

  // Its redelivery is not a duplicate of the failure: the fetch starts again (and fails again, C is still
  // down).
  auto redelivered = PostNotification(*d, "meta_short", c);
  REQUIRE(redelivered.status == 200);
  CHECK_THAT(redelivered.body, !Catch::Contains("duplicate"));
  CHECK(db.Scalar("SELECT replayed_at IS NOT NULL FROM dead_letter") == "t");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "2", 15000) == "2");
  CHECK(count(kLeadC) > c_calls);

  // C is back: the replay brings it in once; a second replay writes nothing.
  c_up = true;
  const std::string dbarg = " --db '" + db.conninfo() + "'";
  auto list = RunCanonctl("dead-letters list --stage fetch --source meta_short" + dbarg);
  INFO(list.out);
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::StartsWith("ID       STAGE     SOURCE"));
  CHECK(std::count(list.out.begin(), list.out.end(), '\n') == 2);  // the header and the one not replayed
  auto replay = RunCanonctl("dead-letters replay --stage fetch --source meta_short" + dbarg);
  INFO(replay.out);
  REQUIRE(replay.code == 0);
  CHECK_THAT(replay.out,
             Catch::StartsWith("1 dead letter(s) replayed: 1 lead(s) to fetch again, 0 payload(s)"));
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE delivery_key = '" + kLeadC + "'", "1") ==
          "1");
  CHECK(db.Count("SELECT count(*) FROM contact") == 3);
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadC}) == "done");
  const int c_after = count(kLeadC);
  auto second = RunCanonctl("dead-letters replay --stage fetch --source meta_short" + dbarg);
  CHECK_THAT(second.out, Catch::StartsWith("0 dead letter(s) replayed"));
  auto api = HttpRequest(d->port(), "POST", "/admin/dead-letters/replay?stage=fetch&source=meta_short");
  CHECK(api.status == 200);
  CHECK(api.body == "{\"replayed\":[],\"fetches\":0,\"payloads\":0}");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(db.Count(lead_records, {kLeadC}) == 1);
  CHECK(count(kLeadC) == c_after);
  auto show = RunCanonctl("dead-letters show " + db.Scalar("SELECT min(id)::text FROM dead_letter") + dbarg);
  CHECK(show.code == 0);
  CHECK_THAT(show.out,
             Catch::Contains("stage: fetch") && Catch::Contains("\"leadgen_id\":\"" + kLeadC + "\""));
}

TEST_CASE("dead letters: a replayed payload is parsed again; its stored records are not written twice",
          "[pg][dead_letters]") {
  TestDb db;
  Canond d(db);
  // Two records in one payload: the first is stored, the second refused (consent "perhaps") into a dead
  // letter.
  auto r = HttpRequest(d.port(), "POST", "/ingest/api",
                       R"([{"email":"gil.ferreira@example.com","first_name":"Gil"},)"
                       R"({"email":"ines.moraes@example.com","consent":"perhaps"}])",
                       kJson);
  REQUIRE(r.status == 202);
  INFO(d.Log());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1") == "1");
  CHECK(db.Scalar("SELECT stage || '|' || location FROM dead_letter") == "validate|record 1 field consent");
  CHECK(db.Count("SELECT count(*) FROM source_record") == 1);
  const std::string id = db.Scalar("SELECT id::text FROM dead_letter");

  auto bad = HttpRequest(d.port(), "POST", "/admin/dead-letters/replay?since=yesterday");
  CHECK(bad.status == 400);
  auto replay = HttpRequest(d.port(), "POST", "/admin/dead-letters/replay?id=" + id);
  REQUIRE(replay.status == 200);
  CHECK(replay.body == "{\"replayed\":[" + id + "],\"fetches\":0,\"payloads\":1}");
  // Parsed again: the stored record is skipped, the refused one refused again (the rules did not change).
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "2") == "2");
  CHECK(db.Scalar("SELECT status FROM inbox") == "done");
  CHECK(db.Count("SELECT count(*) FROM source_record") == 1);
  CHECK(db.Count("SELECT count(*) FROM contact") == 1);
  auto twice = HttpRequest(d.port(), "POST", "/admin/dead-letters/replay?id=" + id);
  CHECK(twice.body == "{\"replayed\":[],\"fetches\":0,\"payloads\":0}");
  auto listed = HttpRequest(d.port(), "GET", "/admin/dead-letters?stage=validate&since=1h");
  CHECK_THAT(listed.body,
             Catch::Contains("\"replayed_at\": null") && Catch::Contains("\"replayed_at\": \"20"));
}

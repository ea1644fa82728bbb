// LinkedIn Lead Gen (issue 15, item 5) through a real canond, a real PostgreSQL and a fake LinkedIn API on loopback
// HTTPS (tests/https_server.h) that checks the bearer token and the versioning headers and answers each lead its
// own way:
// - the notification is signed (X-LI-Signature over "hmacsha256=" + body): a wrong or missing signature is 401
//   and stores nothing; the GET challengeCode handshake is answered;
// - a two-lead notification whose second lead fails three times (503): both end up as contacts, once each, mapped
//   by question id through the source's map, with consent; a redelivery is a duplicate and fetches nothing;
// - a refused token (401) dead-letters the lead at once (stage fetch, the token in no reason or log line); once
//   the token works, `canonctl dead-letters replay` brings it in once and a second replay writes nothing;
// - a DELETED notification is acknowledged, fetches, creates and erases nothing, and a replay of it is one delivery.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "tests/https_server.h"
#include "tests/support.h"
#include "tests/vendor_payloads.h"

using namespace canon;
using namespace canon::test;

namespace {

const char* kJson = "application/json";
const char* kClientSecret = "li-client-secret-7";
const char* kToken = "AQV-linkedin-token-good";
const char* kStaleToken = "AQV-linkedin-token-revoked";
const std::string kLeadA = "4f1c2a9e-0000-4000-8000-00000000000a", kLeadB = "4f1c2a9e-0000-4000-8000-00000000000b",
                  kLeadC = "4f1c2a9e-0000-4000-8000-00000000000c", kLeadD = "4f1c2a9e-0000-4000-8000-00000000000d";

// A linkedin_leads source on the fake API; `retry` is its retry policy (seconds).
std::string Source(const std::string& name, const std::string& token_env, unsigned short port, const std::string& ca,
                   const std::string& retry = "retry_initial = 0.3\nretry_max = 0.6") {
  return "\n[" + name +
         "]\nkind = \"linkedin_leads\"\ndefault_country = \"US\"\nsecret_env = \"CANON_LINKEDIN_CLIENT_SECRET\"\n"
         "access_token_env = \"" +
         token_env + "\"\napi_base = \"https://127.0.0.1:" + std::to_string(port) + "/rest\"\napi_ca_file = \"" +
         ca +
         "\"\napi_version = \"202511\"\n" + retry + "\n[" + name +
         ".map]\nfirst_name = \"1\"\nlast_name = \"2\"\nemail = \"3\"\ncompany = \"4\"\n";
}

// The lead form response (GET /rest/leadFormResponses/{id}): one made-up person per lead id.
std::string ApiLead(const std::string& id) {
  static const std::map<std::string, std::vector<std::string>> kPeople = {
      {kLeadA, {"Aiko", "Tanaka", "aiko.tanaka@example.com", "Kumo Labs"}},
      {kLeadB, {"Bram", "de Vries", "bram.devries@example.org", "Polder BV"}},
      {kLeadC, {"Carla", "Mendes", "carla.mendes@example.net", "Serra Lda"}},
      {kLeadD, {"Dora\\u0000", "Pohl", "dora.pohl@example.net", "Hafen AG"}}};  // a NUL: poison text
  return LinkedInLead(id, kPeople.at(id));
}

std::string Notice(const std::string& lead, const std::string& action = "CREATED") {
  return LinkedInNotice(lead, action);
}

std::string SignLinkedIn(const std::string& body) { return canon::test::SignLinkedIn(kClientSecret, body); }

HttpResult Post(const Canond& d, const std::string& source, const std::string& body) {
  return HttpRequest(d.port(), "POST", "/ingest/" + source, body, kJson, {{"X-LI-Signature", SignLinkedIn(body)}});
}

}  // namespace

TEST_CASE("linkedin: a lead form response maps by question id, with consent and the lead type",
          "[vendor][linkedin]") {
  SourceConfig source;
  source.name = "linkedin_leads";
  source.kind = "linkedin_leads";
  source.map = {{"first_name", "1"}, {"last_name", "2"}, {"email", "3"}, {"company", "4"}};
  auto refs = ParseLinkedInNotification("[" + Notice(kLeadA) + "," + Notice(kLeadB, "DELETED") + "]");
  REQUIRE(refs.ok());
  REQUIRE(refs->size() == 2);
  CHECK((*refs)[0].lead_id == kLeadA);
  auto fetch = LinkedInLeadsToFetch(*refs);
  REQUIRE(fetch.size() == 1);
  CHECK(LinkedInLeadTarget(fetch[0].lead_id) == "/leadFormResponses/" + kLeadA);
  // The delivery key: the lead to fetch; a DELETED notice, which names none, by its own bytes (not A's key).
  Payload created, deleted;
  const std::string created_body = Notice(kLeadA), deleted_body = Notice(kLeadA, "DELETED");
  created.body = created_body;
  deleted.body = deleted_body;
  CHECK(DeliveryKey(source, created) == kLeadA);
  CHECK(DeliveryKey(source, deleted) == "sha256:" + HexEncode(Sha256(deleted_body)));
  auto rec = ParseLinkedInLead(source, ApiLead(kLeadA), fetch[0]);
  REQUIRE(rec.ok());
  CHECK(rec->delivery_key == kLeadA);
  CHECK(rec->Get("first_name") == "Aiko");
  CHECK(rec->Get("last_name") == "Tanaka");
  CHECK(rec->Get("email") == "aiko.tanaka@example.com");
  CHECK(rec->Get("company") == "Kumo Labs");
  CHECK(rec->Get("consent") == "true");
  CHECK(rec->Get("lead_source") == "paid_social");
  CHECK(rec->Get("created_at") == "2024-12-03T10:00:00Z");
  CHECK(rec->extra.at("question.9") == "2");
  CHECK(rec->extra.at("consent.7") == "true");
  CHECK(rec->extra.at("campaign") == "urn:li:sponsoredCampaign:1234567");
  CHECK_FALSE(rec->is_test);
  // An answer for another lead than the notification's is refused.
  auto other = ParseLinkedInLead(source, ApiLead(kLeadB), fetch[0]);
  CHECK_FALSE(other.ok());
  CHECK(other.status().where() == "/id");
  // Shapes LinkedIn does not send are refused with a pointer.
  CHECK(ParseLinkedInNotification(R"({"type":"OTHER"})").status().where() == "/type");
  CHECK(ParseLinkedInNotification(R"([{"type":"LEAD_ACTION"}])").status().where() == "/0/leadGenFormResponse");
  CHECK(ParseLinkedInNotification(R"({"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:.."})")
            .status()
            .where() == "/leadGenFormResponse");
}

TEST_CASE("linkedin: signed notifications, leads fetched with a bearer token and retried on their own; a refused "
          "token dead-letters and replays once",
          "[pg][vendor][linkedin][fetch]") {
  setenv("CANON_LINKEDIN_CLIENT_SECRET", kClientSecret, 1);
  setenv("CANON_LINKEDIN_TOKEN", kToken, 1);
  setenv("CANON_LINKEDIN_STALE_TOKEN", kStaleToken, 1);
  Pem pem = MakeSelfSigned();
  CaFile ca{pem};
  std::mutex mu;
  std::map<std::string, int> calls;  // API requests per lead id
  bool stale_works = false;
  std::vector<std::string> bad_headers;
  auto count = [&](const std::string& lead) {
    std::lock_guard<std::mutex> lock(mu);
    return calls[lead];
  };
  ScriptedServer api(pem, [&](const std::string& target, const std::map<std::string, std::string>& h) -> Answer {
    const std::string prefix = "/rest/leadFormResponses/";
    const std::string lead = target.rfind(prefix, 0) == 0 ? target.substr(prefix.size()) : target;
    std::lock_guard<std::mutex> lock(mu);
    const int n = ++calls[lead];
    auto header = [&](const char* name) { return h.count(name) ? h.at(name) : std::string(); };
    if (header("linkedin-version") != "202511" || header("x-restli-protocol-version") != "2.0.0")
      bad_headers.push_back(target);
    const std::string auth = header("authorization");
    if (auth != std::string("Bearer ") + kToken && !(stale_works && auth == std::string("Bearer ") + kStaleToken))
      return {401, R"({"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN",)"
                   R"("message":"Invalid access to resource"})"};
    if (lead == kLeadB && n <= 3) return {503, R"({"status":503,"message":"Service Unavailable"})"};
    return {200, ApiLead(lead)};
  });
  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") +
                                  Source("linkedin_leads", "CANON_LINKEDIN_TOKEN", api.port(), ca.path) +
                                  Source("linkedin_stale", "CANON_LINKEDIN_STALE_TOKEN", api.port(), ca.path));
  TestDb db;
  Canond d(db, {}, rules.rules());
  INFO(d.Log());

  // The URL validation handshake: the HMAC of the challenge code under the client secret.
  const std::string code = "f8e1b2c3-4d5e-4f60-8a7b-9c0d1e2f3a4b";
  auto hs = HttpRequest(d.port(), "GET", "/ingest/linkedin_leads?challengeCode=" + code);
  CHECK(hs.status == 200);
  CHECK(hs.body == R"({"challengeCode":")" + code + R"(","challengeResponse":")" +
                       HexEncode(HmacSha256(kClientSecret, code)) + "\"}");

  // Signed or refused: a wrong, a missing, and another body's signature are 401 and store nothing.
  const std::string ab = "[" + Notice(kLeadA) + "," + Notice(kLeadB) + "]";
  auto wrong = HttpRequest(d.port(), "POST", "/ingest/linkedin_leads", ab, kJson,
                           {{"X-LI-Signature", HexEncode(HmacSha256("not-the-secret", "hmacsha256=" + ab))}});
  CHECK(wrong.status == 401);
  CHECK(HttpRequest(d.port(), "POST", "/ingest/linkedin_leads", ab, kJson).status == 401);
  CHECK(HttpRequest(d.port(), "POST", "/ingest/linkedin_leads", ab, kJson,
                    {{"X-LI-Signature", SignLinkedIn(Notice(kLeadA))}})
            .status == 401);
  CHECK(db.Count("SELECT count(*) FROM inbox") == 0);

  // Two leads: A is served at once, B fails three times (503) and is then served.
  auto r = Post(d, "linkedin_leads", ab);
  REQUIRE(r.status == 200);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "2", 20000) == "2");
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE delivery_key = $1", {kLeadA}) == 1);
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE delivery_key = $1", {kLeadB}) == 1);
  CHECK(db.Count("SELECT count(*) FROM contact") == 2);
  CHECK(db.Scalar("SELECT string_agg(first_name || ' ' || last_name || ' <' || email || '> ' || company || ' ' || "
                  "consent || ' ' || lead_source, ',' ORDER BY email) FROM contact") ==
        "Aiko Tanaka <aiko.tanaka@example.com> Kumo Labs true paid_social,"
        "Bram de Vries <bram.devries@example.org> Polder BV true paid_social");
  CHECK(db.Scalar("SELECT string_agg(state || ':' || attempts, ',' ORDER BY lead_id) FROM fetch_job") ==
        "done:1,done:4");
  CHECK(db.Scalar("SELECT raw->'extra'->>'question.9' FROM source_record WHERE delivery_key = $1", {kLeadA}) ==
        "2");
  CHECK(count(kLeadA) == 1);
  CHECK(count(kLeadB) == 4);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(bad_headers.empty());
  }

  // A redelivery: a duplicate, nothing fetched again.
  auto again = Post(d, "linkedin_leads", ab);
  REQUIRE(again.status == 200);
  CHECK_THAT(again.body, Catch::Contains("\"duplicate\":true"));

  // A DELETED notification (the member deleted the lead on LinkedIn) is acknowledged with 200, as LinkedIn expects,
  // and kept as its inbox row, handled: it fetches nothing and creates nothing, and it erases nothing either:
  // the contact A became stays until an operator erases it (canonctl erase). Replayed, it is one delivery.
  const std::string deleted_a = Notice(kLeadA, "DELETED");
  auto deleted = Post(d, "linkedin_leads", deleted_a);
  CHECK(deleted.status == 200);
  CHECK_THAT(deleted.body, !Catch::Contains("duplicate"));
  const std::string deleted_row = "SELECT status FROM inbox WHERE convert_from(body, 'UTF8') LIKE '%DELETED%'";
  CHECK(WaitFor(db, deleted_row, "done") == "done");
  auto deleted_again = Post(d, "linkedin_leads", deleted_a);
  CHECK(deleted_again.status == 200);
  CHECK_THAT(deleted_again.body, Catch::Contains("\"duplicate\":true"));
  // A DELETED notice for a lead never seen (created and deleted before the subscription): nothing at all.
  REQUIRE(Post(d, "linkedin_leads", Notice(kLeadD, "DELETED")).status == 200);
  CHECK(WaitFor(db, "SELECT string_agg(status, ',') FROM inbox WHERE convert_from(body, 'UTF8') LIKE '%DELETED%'",
                "done,done") == "done,done");
  CHECK(db.Count("SELECT count(*) FROM fetch_job") == 2);
  CHECK(db.Count("SELECT count(*) FROM source_record") == 2);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE email = 'aiko.tanaka@example.com'") == 1);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);

  // A refused token: the lead is dead-lettered at once (a 401 will not get better by asking again).
  auto rc = Post(d, "linkedin_stale", Notice(kLeadC));
  REQUIRE(rc.status == 200);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1", 15000) == "1");
  CHECK(db.Scalar("SELECT stage || '|' || source || '|' || location FROM dead_letter") ==
        "fetch|linkedin_stale|lead_id " + kLeadC);
  const std::string reason = db.Scalar("SELECT reason FROM dead_letter");
  CHECK_THAT(reason, Catch::Contains("LinkedIn API") && Catch::Contains("401") && !Catch::Contains(kStaleToken));
  CHECK(db.Scalar("SELECT state || ':' || attempts FROM fetch_job WHERE lead_id = $1", {kLeadC}) == "dead:1");
  CHECK(count(kLeadC) == 1);
  CHECK_THAT(d.Log(), Catch::Contains("refused, not retried"));
  CHECK_THAT(d.Log(), !Catch::Contains(kStaleToken) && !Catch::Contains(kToken));
  CHECK_THAT(d.Log(), !Catch::Contains("tanaka") && !Catch::Contains("mendes"));

  // The token is authorized again: the replay brings the lead in once; a second replay writes nothing.
  {
    std::lock_guard<std::mutex> lock(mu);
    stale_works = true;
  }
  const std::string dbarg = " --db '" + db.conninfo() + "'";
  auto replay = RunCanonctl("dead-letters replay --stage fetch --source linkedin_stale" + dbarg);
  INFO(replay.out);
  REQUIRE(replay.code == 0);
  CHECK_THAT(replay.out, Catch::StartsWith("1 dead letter(s) replayed: 1 lead(s) to fetch again, 0 payload(s)"));
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE delivery_key = '" + kLeadC + "'", "1") == "1");
  CHECK(db.Count("SELECT count(*) FROM contact") == 3);
  auto second = RunCanonctl("dead-letters replay --stage fetch --source linkedin_stale" + dbarg);
  CHECK_THAT(second.out, Catch::StartsWith("0 dead letter(s) replayed"));
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE delivery_key = $1", {kLeadC}) == 1);
  CHECK(count(kLeadA) == 1);  // neither the redelivery nor the DELETED notice fetched A again
  CHECK(db.Count("SELECT count(*) FROM fetch_job") == 3);

  // Poison text in a fetched answer (issue 15, item 7): the lead is a dead letter of stage validate naming the
  // field, not the value; its job is done (handled), nothing rolled back.
  REQUIRE(Post(d, "linkedin_leads", Notice(kLeadD)).status == 200);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter WHERE stage = 'validate'", "1", 15000) == "1");
  CHECK(db.Scalar("SELECT location || '|' || reason FROM dead_letter WHERE stage = 'validate'") ==
        "record 0 field first_name|first_name: holds a NUL byte (byte 4)");
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadD}) == "done");
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE delivery_key = $1", {kLeadD}) == 0);
  CHECK(db.Count("SELECT count(*) FROM contact") == 3);
  CHECK(d.Log().find("rolled back") == std::string::npos);
  CHECK(db.Count("SELECT count(*) FROM inbox WHERE status = 'pending'") == 0);
}

// Issue 15's "What it must show" for LinkedIn as for Meta (tests/pg_fetch_retry_test.cc): one lead of a
// two-lead notification fails five times and canond is restarted mid-retry; both leads end up as contacts
// once each. A lead that fails past its source's window is a dead letter, and `canonctl dead-letters replay`
// brings it in once.
TEST_CASE(
    "linkedin: each lead retried on its own, durably across a restart; past the window a dead letter that "
    "replays once",
    "[pg][vendor][linkedin][fetch]") {
  setenv("CANON_LINKEDIN_CLIENT_SECRET", kClientSecret, 1);
  setenv("CANON_LINKEDIN_TOKEN", kToken, 1);
  Pem pem = MakeSelfSigned();
  CaFile ca{pem};
  std::mutex mu;
  std::map<std::string, int> calls;  // API requests per lead id
  bool c_up = false;
  auto count = [&](const std::string& lead) {
    std::lock_guard<std::mutex> lock(mu);
    return calls[lead];
  };
  ScriptedServer api(pem, [&](const std::string& target) -> Answer {
    const std::string prefix = "/rest/leadFormResponses/";
    const std::string lead = target.rfind(prefix, 0) == 0 ? target.substr(prefix.size()) : target;
    std::lock_guard<std::mutex> lock(mu);
    const int n = ++calls[lead];
    const Answer down{503, R"({"status":503,"message":"Service Unavailable"})"};
    if (lead == kLeadB && n <= 5) return down;
    if (lead == kLeadC && !c_up) return down;
    return {200, ApiLead(lead)};
  });
  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") +
                                  Source("linkedin_leads", "CANON_LINKEDIN_TOKEN", api.port(), ca.path,
                                         "retry_initial = 0.4\nretry_max = 0.8\nretry_window = 3600") +
                                  Source("linkedin_short", "CANON_LINKEDIN_TOKEN", api.port(), ca.path,
                                         "retry_initial = 0.2\nretry_max = 0.4\nretry_window = 1.5"));
  TestDb db;
  auto d = std::make_unique<Canond>(db, std::map<std::string, std::string>{}, rules.rules());
  const std::string lead_records = "SELECT count(*) FROM source_record WHERE delivery_key = $1";

  // A is served at once; B fails five times (503) and is then served.
  const std::string ab = "[" + Notice(kLeadA) + "," + Notice(kLeadB) + "]";
  REQUIRE(Post(*d, "linkedin_leads", ab).status == 200);
  INFO(d->Log());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE delivery_key = '" + kLeadA + "'", "1") ==
          "1");
  REQUIRE(WaitFor(db, "SELECT attempts >= 2 FROM fetch_job WHERE lead_id = '" + kLeadB + "'", "t") == "t");

  // Restarted mid-retry: B's retry state is in PostgreSQL, not in the stopped process.
  REQUIRE(d->Stop() == 0);
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadB}) == "pending");
  const long long attempts_at_stop =
      std::stoll(db.Scalar("SELECT attempts FROM fetch_job WHERE lead_id = $1", {kLeadB}));
  CHECK(attempts_at_stop < 6);
  CHECK(count(kLeadB) == attempts_at_stop);
  CHECK_THAT(d->Log(), Catch::Contains("attempt 1 failed, retry in") && !Catch::Contains(kToken));
  std::this_thread::sleep_for(std::chrono::milliseconds(900));  // B falls due while canond is down
  d = std::make_unique<Canond>(db, std::map<std::string, std::string>{}, rules.rules());
  INFO(d->Log());
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "2", 20000) == "2");
  CHECK(db.Count(lead_records, {kLeadA}) == 1);
  CHECK(db.Count(lead_records, {kLeadB}) == 1);
  CHECK(db.Scalar("SELECT string_agg(email, ',' ORDER BY email) FROM contact") ==
        "aiko.tanaka@example.com,bram.devries@example.org");
  CHECK(db.Scalar("SELECT string_agg(state || ':' || attempts, ',' ORDER BY lead_id) FROM fetch_job") ==
        "done:1,done:6");
  CHECK(count(kLeadA) == 1);
  CHECK(count(kLeadB) == 6);
  CHECK(db.Count("SELECT count(*) FROM dead_letter") == 0);
  // The redelivery of a notification whose leads are in: a duplicate, nothing fetched again.
  auto again = Post(*d, "linkedin_leads", ab);
  REQUIRE(again.status == 200);
  CHECK_THAT(again.body, Catch::Contains("\"duplicate\":true"));

  // C fails past its window (1.5 s here; 24 h by default): a dead letter of stage fetch, the reason without
  // the token.
  REQUIRE(Post(*d, "linkedin_short", Notice(kLeadC)).status == 200);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1", 15000) == "1");
  CHECK(db.Scalar("SELECT stage || '|' || source || '|' || location FROM dead_letter") ==
        "fetch|linkedin_short|lead_id " + kLeadC);
  CHECK_THAT(db.Scalar("SELECT reason FROM dead_letter"),
             Catch::Contains("LinkedIn API") && Catch::Contains("503") && !Catch::Contains(kToken));
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadC}) == "dead");
  CHECK(count(kLeadC) >= 3);
  CHECK_THAT(d->Log(), Catch::Contains("dead-lettered after") && Catch::Contains("retry window passed"));
  CHECK(db.Count(lead_records, {kLeadC}) == 0);

  // C is back: the replay brings it in once; a second replay writes nothing.
  {
    std::lock_guard<std::mutex> lock(mu);
    c_up = true;
  }
  const std::string dbarg = " --db '" + db.conninfo() + "'";
  auto replay = RunCanonctl("dead-letters replay --stage fetch --source linkedin_short" + dbarg);
  INFO(replay.out);
  REQUIRE(replay.code == 0);
  CHECK_THAT(replay.out,
             Catch::StartsWith("1 dead letter(s) replayed: 1 lead(s) to fetch again, 0 payload(s)"));
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE delivery_key = '" + kLeadC + "'", "1") ==
          "1");
  CHECK(db.Scalar("SELECT state FROM fetch_job WHERE lead_id = $1", {kLeadC}) == "done");
  const int c_after = count(kLeadC);
  auto second = RunCanonctl("dead-letters replay --stage fetch --source linkedin_short" + dbarg);
  CHECK_THAT(second.out, Catch::StartsWith("0 dead letter(s) replayed"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(db.Count(lead_records, {kLeadC}) == 1);
  CHECK(count(kLeadC) == c_after);
  CHECK(db.Count("SELECT count(*) FROM contact") == 3);
  CHECK(count(kLeadA) == 1);
  CHECK(count(kLeadB) == 6);
}

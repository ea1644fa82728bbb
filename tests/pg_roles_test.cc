// API tokens and roles against a real canond: every admin route from the server's own table
// (GET /admin/routes) answers 401 without a token or with an unknown one, 403 to a token one role below the
// route's, and 2xx to a token of the route's role; steward and admin actions land in audit_event with the
// token's name. A route added without a case here fails the test. Also: /metrics with its own token, and the
// admin API without tokens, which answers only on loopback.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "connectors/hmac.h"
#include "tests/remote_client.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

struct Tok {
  std::string name, role, secret;
};
const std::vector<Tok> kTokens = {{"vera", "viewer", "viewer-t0ken"},
                                  {"stew", "steward", "steward-t0ken"},
                                  {"adam", "admin", "admin-t0ken"}};

std::map<std::string, std::string> TokenSettings() {
  std::string list = "[";
  for (const Tok& t : kTokens)
    list += (list.size() > 1 ? ", " : "") + std::string("{name = \"") + t.name + "\", role = \"" + t.role +
            "\", sha256 = \"" + HexEncode(Sha256(t.secret)) + "\"}";
  return {{"token", list + "]"}, {"metrics_token_sha256", "\"" + HexEncode(Sha256("scrape-t0ken")) + "\""}};
}

std::map<std::string, std::string> Bearer(const std::string& secret, const std::string& scheme = "Bearer") {
  return {{"Authorization", scheme + " " + secret}};
}

const Tok& TokenOf(const std::string& role) {
  for (const Tok& t : kTokens)
    if (t.role == role) return t;
  FAIL("no token of role " << role);
  return kTokens[0];
}

std::string Below(const std::string& role) {
  return role == "admin" ? "steward" : role == "steward" ? "viewer" : "";
}

// A pending merge candidate between two records of one made-up person (same name, postcodes one edit apart).
std::string Pair(const TestDb& db, const Canond& d, const std::string& first, const std::string& last,
                 const std::string& phone) {
  long long before = db.Count("SELECT count(*) FROM merge_candidate");
  const std::string records = std::to_string(db.Count("SELECT count(*) FROM source_record") + 1);
  PostForm(d, "first_name=" + first + "&last_name=" + last + "&phone=" + phone +
                  "&postal_code=94105&birth_date=1980-01-02");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", records) == records);
  // The same postcode corroborates the names; another phone and birth date keep the pair below the merge threshold.
  PostForm(d, "first_name=" + first + "&last_name=" + last + "&email=" + first +
                  "%40example.org&postal_code=94105&birth_date=1975-06-30&phone=" +
                  phone.substr(0, phone.find("555")) + "666" + phone.substr(phone.find("555") + 3));
  REQUIRE(WaitFor(db, "SELECT count(*) FROM merge_candidate", std::to_string(before + 1)) ==
          std::to_string(before + 1));
  return db.Scalar("SELECT max(id)::text FROM merge_candidate");
}

struct Call {
  std::string path, body;
};

}  // namespace

TEST_CASE("every admin route: 401 without a token, 403 to the role below, 2xx to its role; actions audited",
          "[pg][roles]") {
  TestDb db;
  Canond d(db, TokenSettings());
  std::string approve = Pair(db, d, "Ann", "Wexford", "%2B1+415+555+0111");
  std::string reject = Pair(db, d, "Bea", "Holloway", "%2B1+415+555+0122");
  std::string defer = Pair(db, d, "Cal", "Pennington", "%2B1+415+555+0133");
  // One entity with two members (a shared e-mail always joins), for unmerge.
  PostForm(d, "first_name=Dora&last_name=Quill&email=dora%40example.org");
  PostForm(d, "first_name=Dora&last_name=Quill&email=dora%40example.org&phone=%2B1+415+555+0144");
  std::string dora_sql =
      "SELECT e.contact_id::text FROM entity_member e JOIN source_record s ON s.id = e.source_record_id "
      "WHERE s.normalized->'fields'->>'email' = 'dora@example.org' GROUP BY e.contact_id HAVING count(*) = 2";
  REQUIRE(WaitFor(db, "SELECT count(*) FROM (" + dora_sql + ") x", "1") == "1");
  const std::string dora = db.Scalar(dora_sql);
  const std::string member =
      db.Scalar("SELECT max(source_record_id)::text FROM entity_member WHERE contact_id = $1", {dora});
  // Two people to erase (admin role), one by contact id, one by e-mail.
  PostForm(d, "first_name=Eve&last_name=Erasmus&email=eve.erasmus%40example.org");
  PostForm(d, "first_name=Finn&last_name=Gale&email=finn.gale%40example.org");
  const std::string eve_sql =
      "SELECT e.contact_id::text FROM entity_member e JOIN source_record s ON s.id = e.source_record_id "
      "WHERE s.normalized->'fields'->>'email' = 'eve.erasmus@example.org'";
  REQUIRE(WaitFor(db, "SELECT count(*) FROM (" + eve_sql + ") x", "1") == "1");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record WHERE normalized->'fields'->>'last_name' = 'Gale'", "1") ==
          "1");
  const std::string eve = db.Scalar(eve_sql);

  // The request each route gets, by "METHOD pattern". A new route needs a line here.
  const std::map<std::string, Call> calls = {
      {"GET /admin/routes", {"/admin/routes", ""}},
      {"GET /admin/rules", {"/admin/rules", ""}},
      {"POST /admin/rules/reload", {"/admin/rules/reload", ""}},
      {"GET /admin/report/vocabulary", {"/admin/report/vocabulary", ""}},
      {"GET /admin/report/blocking-keys", {"/admin/report/blocking-keys", ""}},
      {"GET /admin/dead-letters", {"/admin/dead-letters", ""}},
      {"POST /admin/dead-letters/replay", {"/admin/dead-letters/replay?stage=fetch", ""}},
      {"GET /admin/report/quality", {"/admin/report/quality", ""}},
      {"GET /admin/search", {"/admin/search?kind=name&q=Quill", ""}},
      {"GET /admin/imports", {"/admin/imports", ""}},
      {"GET /admin/queue", {"/admin/queue?status=all", ""}},
      {"GET /admin/queue/{id}", {"/admin/queue/" + approve, ""}},
      {"POST /admin/queue/{id}/approve", {"/admin/queue/" + approve + "/approve", ""}},
      {"POST /admin/queue/{id}/reject", {"/admin/queue/" + reject + "/reject", ""}},
      {"POST /admin/queue/{id}/defer", {"/admin/queue/" + defer + "/defer", ""}},
      {"GET /admin/entities/{id}", {"/admin/entities/" + dora, ""}},
      {"GET /admin/entities/{id}/touches", {"/admin/entities/" + dora + "/touches", ""}},
      {"POST /admin/entities/{id}/unmerge",
       {"/admin/entities/" + dora + "/unmerge", "{\"members\":[" + member + "]}"}},
      {"POST /admin/entities/{id}/edit",
       {"/admin/entities/" + dora + "/edit", "{\"fields\":{\"job_title\":\"CTO\"}}"}},
      {"GET /admin/review", {"/admin/review", ""}},
      {"DELETE /admin/contacts/{id}", {"/admin/contacts/" + eve, ""}},
      {"DELETE /admin/contacts", {"/admin/contacts", "{\"email\":\"finn.gale@example.org\"}"}},
  };

  auto table = HttpRequest(d.port(), "GET", "/admin/routes", "", "", Bearer("viewer-t0ken"));
  REQUIRE(table.status == 200);
  std::set<std::string> seen;
  size_t pos = 0;
  int audited = 0;
  while ((pos = table.body.find("{\"method\":\"", pos)) != std::string::npos) {
    auto field = [&](const std::string& name) {
      auto a = table.body.find("\"" + name + "\":\"", pos) + name.size() + 4;
      return table.body.substr(a, table.body.find('"', a) - a);
    };
    const std::string method = field("method"), pattern = field("pattern"), role = field("role");
    pos += 10;
    const std::string key = method + " " + pattern;
    seen.insert(key);
    INFO(key << " (role " << role << ")");
    auto it = calls.find(key);
    if (it == calls.end()) FAIL("no role test for admin route " << key << ": add it to `calls`");
    const Call& c = it->second;
    const std::string type = c.body.empty() ? "" : "application/json";
    if (role == "public") {
      CHECK(HttpRequest(d.port(), method, c.path).status == 200);
      continue;
    }
    CHECK(HttpRequest(d.port(), method, c.path, c.body, type).status == 401);
    CHECK(HttpRequest(d.port(), method, c.path, c.body, type, Bearer("not-a-t0ken")).status == 401);
    CHECK(HttpRequest(d.port(), method, c.path, c.body, type, Bearer("scrape-t0ken")).status == 401);
    CHECK(HttpRequest(d.port(), method, c.path, c.body, type, Bearer("viewer-t0ken", "Basic")).status == 401);
    long long events = db.Count("SELECT count(*) FROM merge_event");
    if (!Below(role).empty()) {
      auto r = HttpRequest(d.port(), method, c.path, c.body, type, Bearer(TokenOf(Below(role)).secret));
      CHECK(r.status == 403);
      CHECK_THAT(r.body, Catch::Contains("\"error\":\"forbidden\"") && Catch::Contains(role));
      CHECK(db.Count("SELECT count(*) FROM merge_event") == events);  // refused: nothing done
    }
    const Tok& right = TokenOf(role);
    // The scheme is case-insensitive.
    auto ok = HttpRequest(d.port(), method, c.path, c.body, type, Bearer(right.secret, "bEARER"));
    INFO(ok.body);
    CHECK(ok.status >= 200);
    CHECK(ok.status < 300);
    if (role != "viewer") {
      ++audited;
      // Written before the answer left: no waiting.
      CHECK(db.Scalar("SELECT string_agg(token_name || ' ' || role || ' ' || status, ';') FROM audit_event "
                      "WHERE method = $1 AND route = $2 AND target = $3",
                      {method, pattern, c.path.substr(0, c.path.find('?'))}) ==
            right.name + " " + right.role + " " + std::to_string(ok.status));
    }
  }
  CHECK(seen.size() == calls.size());  // every case here is a route the server has
  CHECK(audited == 9);
  CHECK(db.Count("SELECT count(*) FROM audit_event") == audited);  // 401s and 403s are not actions

  // 401 and 403 are logged with the token's name, never a token.
  std::string log = d.Log();
  CHECK_THAT(log, Catch::Contains("403, token 'vera' has role viewer") &&
                      Catch::Contains("401, unknown token") &&
                      Catch::Contains("401, no Authorization header"));
  for (const Tok& t : kTokens) CHECK_THAT(log, !Catch::Contains(t.secret));
  CHECK_THAT(log, !Catch::Contains("not-a-t0ken"));
  CHECK_THAT(log, Catch::Contains("admin API tokens: vera (viewer), stew (steward), adam (admin)"));

  // /metrics takes its own token only.
  CHECK(HttpRequest(d.port(), "GET", "/metrics").status == 401);
  CHECK(HttpRequest(d.port(), "GET", "/metrics", "", "", Bearer("admin-t0ken")).status == 401);
  auto m = HttpRequest(d.port(), "GET", "/metrics", "", "", Bearer("scrape-t0ken", "bearer"));
  CHECK(m.status == 200);
  CHECK_THAT(m.body, Catch::Contains("canon_intake_accepted_total"));
}

TEST_CASE("without tokens the admin API answers only clients on loopback, and says so at start-up",
          "[pg][roles]") {
  TestDb db;
  Canond d(db);
  CHECK_THAT(d.Log(),
             Catch::Contains("no API tokens configured") && Catch::Contains("only clients on loopback"));
  CHECK(HttpRequest(d.port(), "GET", "/admin/rules").status == 200);
  CHECK(HttpRequest(d.port(), "GET", "/metrics").status == 200);  // no metrics token: open
  const std::string ip = LocalNonLoopbackIp();
  if (ip.empty()) FAIL("this machine has no non-loopback IPv4 address to be a remote client from");
  INFO("client address " << ip);
  // The listener is on 127.0.0.1; a client bound to another local address reaches it but is not on loopback.
  auto remote = HttpRequestFrom(ip, d.port(), "GET", "/admin/rules");
  CHECK(remote.status == 403);
  CHECK_THAT(remote.body, Catch::Contains("answers only on loopback"));
  CHECK(HttpRequestFrom(ip, d.port(), "GET", "/admin/review").status == 200);  // the static page
  CHECK(HttpRequestFrom(ip, d.port(), "GET", "/healthz").status == 200);
  // With no tokens, loopback actions are audited as "loopback".
  auto reload = HttpRequest(d.port(), "POST", "/admin/rules/reload");
  CHECK(reload.status == 200);
  CHECK(WaitFor(db, "SELECT token_name || ' ' || role FROM audit_event", "loopback admin", 5000) ==
        "loopback admin");
}

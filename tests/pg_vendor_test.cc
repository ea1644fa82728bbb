// Vendor webhooks end to end: payloads built as each vendor documents them, sent over HTTP to a real canond, rows
// checked in a real PostgreSQL. Meta's Graph API is played by a loopback HTTPS server (tests/https_server.h) that
// the daemon reaches through graph_base + graph_ca_file in a temporary copy of the rules.
// Secrets reach canond through its environment (it inherits ours), so each test setenv()s them before starting it.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "connectors/hmac.h"
#include "tests/https_server.h"
#include "tests/support.h"
#include "tests/vendor_payloads.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

const char* kJson = "application/json";
const char* kForm = "application/x-www-form-urlencoded";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A copy of the shipped rules (and schemas/, which LoadRuleDir reads beside them) with the vendor sources of
// rules/examples/sources/ put in force, as an operator does: Meta's talks to the loopback Graph server.
std::string RulesCopy(const std::string& dir, unsigned short graph_port, const std::string& ca_file) {
  fs::copy(SourceDir() + "/rules", dir + "/rules", fs::copy_options::recursive);
  fs::copy(SourceDir() + "/schemas", dir + "/schemas", fs::copy_options::recursive);
  const std::string examples = dir + "/rules/examples/sources/";
  std::string meta = ReadFile(examples + "meta_leads.toml");
  const std::string base = "graph_base = \"https://graph.facebook.com/v19.0\"";
  auto p = meta.find(base);
  REQUIRE(p != std::string::npos);
  meta.replace(p, base.size(),
               "graph_base = \"https://127.0.0.1:" + std::to_string(graph_port) + "/v19.0\"\ngraph_ca_file = \"" +
                   ca_file + "\"");
  std::string text = ReadFile(dir + "/rules/sources.toml") + "\n" + meta;
  for (const char* vendor : {"google_ads", "typeform", "signed_json", "webflow", "gravity_forms", "url_token",
                             "standard_webhooks", "linkedin"})
    text += "\n" + ReadFile(examples + vendor + ".toml");
  std::ofstream(dir + "/rules/sources.toml", std::ios::trunc) << text;
  return dir + "/rules";
}

void SetSecrets() {
  setenv("CANON_META_APP_SECRET", "meta-app-secret-1", 1);
  setenv("CANON_META_VERIFY_TOKEN", "meatyhamhock", 1);
  setenv("CANON_META_ACCESS_TOKEN", "EAAB-page-token-42", 1);
  setenv("CANON_GOOGLE_ADS_KEY", "xxxxxxxxxxxxxxxx", 1);
  setenv("CANON_TYPEFORM_SECRET", "typeform-secret-9", 1);
  setenv("CANON_SIGNED_API_SECRET", "json-secret-7", 1);
  setenv("CANON_WEBFLOW_SECRET", "webflow-secret-3", 1);
  setenv("CANON_GRAVITY_SECRET", "gravity-secret-5", 1);
  setenv("CANON_URL_FORM_TOKEN", "tok-9f2c81d4e7", 1);
  setenv("CANON_STANDARD_WEBHOOKS_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
  setenv("CANON_LINKEDIN_CLIENT_SECRET", "li-client-secret-2", 1);
}

long long ReceiptId(const std::string& body) {
  auto p = body.find("\"id\":");
  REQUIRE(p != std::string::npos);
  return std::stoll(body.substr(p + 5));
}

bool Duplicate(const std::string& body) { return body.find("\"duplicate\":true") != std::string::npos; }

// A daemon with every vendor secret set and the Graph API on loopback.
struct Env {
  TempDir tmp{"canon-vendor"};
  Pem pem = MakeSelfSigned();
  CaFile ca{pem};
  ScriptedServer graph;
  TestDb db;
  std::unique_ptr<Canond> d;
  explicit Env(std::vector<Answer> graph_script) : graph(pem, std::move(graph_script)) {
    SetSecrets();
    d = std::make_unique<Canond>(db, std::map<std::string, std::string>{},
                                 RulesCopy(tmp.path, graph.port(), ca.path));
  }
  uint16_t port() const { return d->port(); }
};

// Vendor payloads (kMetaNotification, kMetaLead, GoogleLead, TypeformResponse) and their signatures, with the
// documentation each follows, are in tests/vendor_payloads.h; these helpers put a signature in its header.
std::map<std::string, std::string> MetaSignature(const std::string& secret, const std::string& body) {
  return {{"X-Hub-Signature-256", SignMeta(secret, body)}};
}

std::map<std::string, std::string> TypeformSignature(const std::string& secret, const std::string& body) {
  return {{"Typeform-Signature", SignTypeform(secret, body)}};
}

// Typeform's example payload with the refs rules/examples/sources/typeform.toml maps.
const std::string kTypeform = TypeformResponse(
    R"({"utm_source":"newsletter","utm_campaign":"spring","user_id":"u-42"})",
    {TypeformAnswer("text", R"("Laura")", "JwWggjAKtOkA", "short_text", "first_name"),
     TypeformAnswer("text", R"("Diaz")", "JwWggjAKtOkB", "short_text", "last_name"),
     TypeformAnswer("email", R"("laura@example.com")", "SMEUb7VJz92Q", "email", "email"),
     TypeformAnswer("text", R"("Acme")", "k6TP9oLGgHjl", "short_text", "company"),
     TypeformAnswer("number", "5", "Q7M2XAwY04dW", "number", "team_size")});

}  // namespace

TEST_CASE("meta: handshake, signed notification, Graph fetch, refusal and redelivery", "[pg][vendor][meta]") {
  Env e({{200, kMetaLead}});
  auto ok = HttpRequest(e.port(), "GET",
                        "/ingest/meta_leads?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock");
  CHECK(ok.status == 200);
  CHECK(ok.body == "1158201444");
  auto wrong =
      HttpRequest(e.port(), "GET", "/ingest/meta_leads?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope");
  CHECK(wrong.status == 403);
  CHECK(wrong.body.find("meatyhamhock") == std::string::npos);

  std::string body = kMetaNotification;
  auto forged = HttpRequest(e.port(), "POST", "/ingest/meta_leads", body, kJson, MetaSignature("not-the-secret", body));
  CHECK(forged.status == 401);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);

  // Meta retries anything but a 200.
  auto r = HttpRequest(e.port(), "POST", "/ingest/meta_leads", body, kJson, MetaSignature("meta-app-secret-1", body));
  INFO(r.body);
  REQUIRE(r.status == 200);
  long long id = ReceiptId(r.body);
  CHECK(e.db.Scalar("SELECT delivery_key FROM inbox WHERE id = $1", {std::to_string(id)}) == "123123123123");
  INFO(e.d->Log());
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Scalar("SELECT status FROM inbox WHERE id = $1", {std::to_string(id)}) == "done");
  CHECK(e.db.Scalar("SELECT delivery_key FROM source_record") == "123123123123");
  CHECK(e.db.Scalar("SELECT normalized->'fields'->>'lead_source' FROM source_record") == "paid_social");
  CHECK(e.db.Scalar("SELECT raw->'extra'->>'car_make' FROM source_record") == "Honda");
  CHECK(e.db.Count("SELECT count(*) FROM contact") == 1);
  CHECK(e.db.Scalar("SELECT email FROM contact") == "joe@example.com");
  CHECK(e.db.Scalar("SELECT lead_source FROM contact") == "paid_social");
  CHECK(e.db.Scalar("SELECT city FROM contact") == "Menlo Park");
  CHECK(e.db.Scalar("SELECT postal_code FROM contact") == "94025");
  CHECK(e.db.Scalar("SELECT company FROM contact") != "");
  auto targets = e.graph.targets();
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].rfind("/v19.0/123123123123?fields=", 0) == 0);
  CHECK(targets[0].find("access_token=EAAB-page-token-42") != std::string::npos);

  // Meta retries a notification it thinks failed: the same leadgen id is the same delivery.
  auto again = HttpRequest(e.port(), "POST", "/ingest/meta_leads", body, kJson, MetaSignature("meta-app-secret-1", body));
  CHECK(again.status == 200);
  CHECK(ReceiptId(again.body) == id);
  CHECK(Duplicate(again.body));
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(e.db.Count("SELECT count(*) FROM source_record") == 1);
  CHECK(e.graph.targets().size() == 1);
}

TEST_CASE("meta: a Graph API that refuses the token becomes a fetch dead letter without the token",
          "[pg][vendor][meta]") {
  Env e({{401, R"({"error":{"message":"Invalid OAuth access token - Cannot parse access token",)"
               R"("type":"OAuthException","code":190,"fbtrace_id":"AbCdEf"}})"}});
  std::string body = kMetaNotification;
  auto r = HttpRequest(e.port(), "POST", "/ingest/meta_leads", body, kJson, MetaSignature("meta-app-secret-1", body));
  REQUIRE(r.status == 200);
  INFO(e.d->Log());
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM dead_letter", "1") == "1");
  CHECK(e.db.Scalar("SELECT stage FROM dead_letter") == "fetch");
  std::string reason = e.db.Scalar("SELECT reason FROM dead_letter");
  INFO(reason);
  CHECK(reason.find("Graph API") != std::string::npos);
  CHECK(reason.find("401") != std::string::npos);
  CHECK(reason.find("EAAB-page-token-42") == std::string::npos);
  CHECK(e.db.Scalar("SELECT location FROM dead_letter") == "leadgen_id 123123123123");
  CHECK(e.db.Scalar("SELECT convert_from(raw, 'UTF8') FROM dead_letter") == body);
  // The notification was handled (its lead became a fetch job); the lead is what failed, for good: a refused
  // token is not retried.
  CHECK(e.db.Scalar("SELECT status FROM inbox") == "done");
  CHECK(e.db.Scalar("SELECT state FROM fetch_job") == "dead");
  CHECK(e.db.Scalar("SELECT coalesce(last_error, '') FROM fetch_job").find("EAAB-page-token-42") == std::string::npos);
  CHECK(e.db.Scalar("SELECT coalesce(error, '') FROM inbox").find("EAAB-page-token-42") == std::string::npos);
  CHECK(e.db.Count("SELECT count(*) FROM source_record") == 0);
  CHECK(e.d->Log().find("EAAB-page-token-42") == std::string::npos);
  CHECK(e.graph.connections() == 1);  // a refused token is not retried
  auto m = HttpRequest(e.port(), "GET", "/metrics");
  CHECK_THAT(m.body, Catch::Contains("\ncanon_fetch_failures_total{source=\"meta_leads\"} 1\n") &&
                         Catch::Contains("\ncanon_fetch_retries_total{source=\"meta_leads\"} 0\n") &&
                         Catch::Contains("\ncanon_dead_letters_total{stage=\"fetch\"} 1\n"));
}

// The 503 reschedules the lead's fetch_job (retry_initial 5 s, jittered: 2.5 to 5 s), which fetches it again.
TEST_CASE("meta: a Graph API 503 is retried, and /metrics counts both fetches and the retry", "[pg][vendor][meta][metrics]") {
  Env e({{503, R"({"error":{"message":"busy"}})"}, {200, kMetaLead}});
  std::string body = kMetaNotification;
  auto r = HttpRequest(e.port(), "POST", "/ingest/meta_leads", body, kJson, MetaSignature("meta-app-secret-1", body));
  REQUIRE(r.status == 200);
  INFO(e.d->Log());
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.graph.connections() == 2);
  auto m = HttpRequest(e.port(), "GET", "/metrics");
  INFO(m.body);
  CHECK_THAT(m.body, Catch::Contains("\ncanon_fetch_requests_total{source=\"meta_leads\"} 2\n") &&
                         Catch::Contains("\ncanon_fetch_retries_total{source=\"meta_leads\"} 1\n") &&
                         Catch::Contains("\ncanon_fetch_failures_total{source=\"meta_leads\"} 1\n") &&
                         Catch::Contains("\ncanon_fetch_leads_total{source=\"meta_leads\"} 1\n") &&
                         Catch::Contains("\ncanon_dead_letters_total{stage=\"fetch\"} 0\n") &&
                         Catch::Contains("\ncanon_records_total{outcome=\"new\"} 1\n"));
}

TEST_CASE("google ads: google_key, gclid, paid_search, redelivery, shape errors kept as dead letters",
          "[pg][vendor][google]") {
  Env e({{500, "unused"}});
  std::string lead = GoogleLead("L-real-1", false, "gina@example.com");
  auto forged = HttpRequest(e.port(), "POST", "/ingest/google_ads",
                            GoogleLead("L-real-1", false, "gina@example.com", "yyyyyyyyyyyyyyyy"), kJson);
  CHECK(forged.status == 401);
  CHECK(forged.body.find("xxxxxxxxxxxxxxxx") == std::string::npos);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);

  // Google documents 200 with an empty JSON object.
  auto r = HttpRequest(e.port(), "POST", "/ingest/google_ads", lead, kJson);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.body == "{}");
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Scalar("SELECT delivery_key FROM source_record") == "L-real-1");
  CHECK(e.db.Scalar("SELECT is_test::text FROM source_record") == "false");
  CHECK(e.db.Scalar("SELECT gclid FROM contact") == "TeSter-123-gclid");
  CHECK(e.db.Scalar("SELECT lead_source FROM contact") == "paid_search");
  CHECK(e.db.Scalar("SELECT email FROM contact") == "gina@example.com");
  // The key is checked, never kept in what the record says.
  CHECK(e.db.Scalar("SELECT raw::text FROM source_record").find("xxxxxxxxxxxxxxxx") == std::string::npos);

  // A redelivery is answered the same and stored once.
  auto again = HttpRequest(e.port(), "POST", "/ingest/google_ads", lead, kJson);
  CHECK(again.status == 200);
  CHECK(again.body == "{}");
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 1);

  // "Send test data" from the Google Ads UI: acknowledged, kept as a source record marked as a test, no contact.
  auto test = HttpRequest(e.port(), "POST", "/ingest/google_ads", GoogleLead("TeSter-123-L2", true, "tess@example.com",
                                                                      "xxxxxxxxxxxxxxxx", "Tess Tester", "+14155550100"),
                          kJson);
  CHECK(test.status == 200);
  CHECK(test.body == "{}");
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(e.db.Scalar("SELECT is_test::text FROM source_record WHERE delivery_key = 'TeSter-123-L2'") == "true");
  CHECK(e.db.Scalar("SELECT status FROM inbox WHERE delivery_key = 'TeSter-123-L2'") == "done");
  CHECK(e.db.Count("SELECT count(*) FROM contact") == 1);
  CHECK(e.db.Count("SELECT count(*) FROM entity_member m JOIN source_record s ON s.id = m.source_record_id "
                   "WHERE s.is_test") == 0);

  // Shape errors: answered 400 with the JSON Pointer, the payload kept (failed inbox row + dead letter).
  std::string missing =
      R"({"lead_id":"L-bad-1","api_version":"1.0","google_key":"xxxxxxxxxxxxxxxx","is_test":false})";
  auto bad = HttpRequest(e.port(), "POST", "/ingest/google_ads", missing, kJson);
  CHECK(bad.status == 400);
  CHECK(bad.body.find("\"where\":\"/user_column_data\"") != std::string::npos);
  long long bad_id = ReceiptId(bad.body);
  CHECK(e.db.Scalar("SELECT status FROM inbox WHERE id = $1", {std::to_string(bad_id)}) == "failed");
  CHECK(e.db.Scalar("SELECT stage FROM dead_letter WHERE inbox_id = $1", {std::to_string(bad_id)}) == "intake");
  CHECK(e.db.Scalar("SELECT location FROM dead_letter WHERE inbox_id = $1", {std::to_string(bad_id)}) ==
        "/user_column_data");
  CHECK(e.db.Scalar("SELECT convert_from(raw, 'UTF8') FROM dead_letter WHERE inbox_id = $1",
                    {std::to_string(bad_id)}) == missing);

  std::string wrong_type =
      R"({"lead_id":"L-bad-2","user_column_data":[{"column_name":"User Email","string_value":42,)"
      R"("column_id":"EMAIL"}],"google_key":"xxxxxxxxxxxxxxxx","is_test":false})";
  auto bad2 = HttpRequest(e.port(), "POST", "/ingest/google_ads", wrong_type, kJson);
  CHECK(bad2.status == 400);
  CHECK(bad2.body.find("\"where\":\"/user_column_data/0/string_value\"") != std::string::npos);
  CHECK(e.db.Count("SELECT count(*) FROM dead_letter WHERE stage = 'intake'") == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(e.db.Count("SELECT count(*) FROM source_record") == 2);
}

// The same person as a test lead (Google Ads' "Send test data" with a real customer's e-mail and phone) and as a
// real lead, in either order, one after the other or in one worker batch: the real lead makes one real contact;
// the test lead is a source record of its own, in no contact, and adds no key a later real lead could meet.
TEST_CASE("google ads: a test lead never becomes or joins a contact, whichever arrives first",
          "[pg][vendor][google]") {
  Env e({{500, "unused"}});
  auto post = [&](const std::string& id, bool test) {
    auto r = HttpRequest(e.port(), "POST", "/ingest/google_ads",
                         GoogleLead(id, test, "same@example.com", "xxxxxxxxxxxxxxxx", "Sam Same", "+14155550123"),
                         kJson);
    REQUIRE(r.status == 200);
    CHECK(r.body == "{}");
  };
  auto check = [&](const std::string& real_id, const std::string& test_id) {
    INFO(real_id << " " << test_id);
    CHECK(e.db.Scalar("SELECT is_test::text FROM source_record WHERE delivery_key = $1", {test_id}) == "true");
    CHECK(e.db.Count("SELECT count(*) FROM entity_member m JOIN source_record s ON s.id = m.source_record_id "
                     "WHERE s.delivery_key = $1",
                     {test_id}) == 0);
    CHECK(e.db.Count("SELECT count(*) FROM entity_member m JOIN source_record s ON s.id = m.source_record_id "
                     "WHERE s.delivery_key = $1",
                     {real_id}) == 1);
  };
  SECTION("real, then test") {
    post("L-real-9", false);
    REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
    post("TeSter-9", true);
    REQUIRE(WaitFor(e.db, "SELECT count(*) FROM inbox WHERE status = 'done'", "2") == "2");
    check("L-real-9", "TeSter-9");
  }
  SECTION("test, then real") {
    post("TeSter-8", true);
    REQUIRE(WaitFor(e.db, "SELECT count(*) FROM inbox WHERE status = 'done'", "1") == "1");
    CHECK(e.db.Count("SELECT count(*) FROM contact") == 0);
    CHECK(e.db.Count("SELECT count(*) FROM match_key") == 0);
    post("L-real-8", false);
    REQUIRE(WaitFor(e.db, "SELECT count(*) FROM inbox WHERE status = 'done'", "2") == "2");
    check("L-real-8", "TeSter-8");
  }
  SECTION("both in one worker batch, the test lead first") {
    // Queued while no worker runs; then one worker claims both together.
    e.d.reset();
    e.d = std::make_unique<Canond>(e.db, std::map<std::string, std::string>{{"workers", "0"}}, e.tmp.path + "/rules");
    post("TeSter-7", true);
    post("L-real-7", false);
    CHECK(e.db.Count("SELECT count(*) FROM inbox WHERE status = 'pending'") == 2);
    e.d.reset();
    e.d = std::make_unique<Canond>(e.db, std::map<std::string, std::string>{{"workers", "1"}}, e.tmp.path + "/rules");
    REQUIRE(WaitFor(e.db, "SELECT count(*) FROM inbox WHERE status = 'done'", "2") == "2");
    check("L-real-7", "TeSter-7");
  }
  CHECK(e.db.Count("SELECT count(*) FROM contact") == 1);
  CHECK(e.db.Scalar("SELECT is_test::text FROM contact") == "false");
  CHECK(e.db.Scalar("SELECT email FROM contact") == "same@example.com");
  CHECK(e.db.Count("SELECT count(*) FROM dead_letter") == 0);
}

TEST_CASE("typeform: signature, answers by ref, hidden UTM fields, redelivery", "[pg][vendor][typeform]") {
  Env e({{500, "unused"}});
  std::string body = kTypeform;
  auto forged = HttpRequest(e.port(), "POST", "/ingest/typeform", body, kJson, TypeformSignature("guess", body));
  CHECK(forged.status == 401);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);

  auto r = HttpRequest(e.port(), "POST", "/ingest/typeform", body, kJson, TypeformSignature("typeform-secret-9", body));
  INFO(r.body);
  REQUIRE(r.status == 202);
  long long id = ReceiptId(r.body);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Scalar("SELECT delivery_key FROM source_record") == "LtWXD3crgy");
  CHECK(e.db.Scalar("SELECT first_name FROM contact") == "Laura");
  CHECK(e.db.Scalar("SELECT last_name FROM contact") == "Diaz");
  CHECK(e.db.Scalar("SELECT email FROM contact") == "laura@example.com");
  CHECK(e.db.Scalar("SELECT utm_source FROM contact") == "newsletter");
  CHECK(e.db.Scalar("SELECT utm_campaign FROM contact") == "spring");
  CHECK(e.db.Scalar("SELECT raw->'extra'->>'team_size' FROM source_record") == "5");
  CHECK(e.db.Scalar("SELECT raw->'extra'->>'hidden.user_id' FROM source_record") == "u-42");

  auto again =
      HttpRequest(e.port(), "POST", "/ingest/typeform", body, kJson, TypeformSignature("typeform-secret-9", body));
  CHECK(again.status == 202);
  CHECK(ReceiptId(again.body) == id);
  CHECK(Duplicate(again.body));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(e.db.Count("SELECT count(*) FROM source_record") == 1);
}

TEST_CASE("generic json with an HMAC header; a form's page_url carries utm_source and gclid",
          "[pg][vendor][generic]") {
  Env e({{500, "unused"}});
  std::string body = R"({"email":"hank@example.com","first_name":"Hank"})";
  auto forged = HttpRequest(e.port(), "POST", "/ingest/signed_api", body, kJson,
                            {{"X-Signature", HexEncode(HmacSha256("other", body))}});
  CHECK(forged.status == 401);
  auto unsigned_post = HttpRequest(e.port(), "POST", "/ingest/signed_api", body, kJson);
  CHECK(unsigned_post.status == 401);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);
  auto r = HttpRequest(e.port(), "POST", "/ingest/signed_api", body, kJson,
                       {{"X-Signature", "sha256=" + HexEncode(HmacSha256("json-secret-7", body))}});
  INFO(r.body);
  CHECK(r.status == 202);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Scalar("SELECT email FROM contact") == "hank@example.com");

  auto f = HttpRequest(e.port(), "POST", "/ingest/website",
                       "email=ivy%40example.com&first_name=Ivy&page_url=https%3A%2F%2Fexample.com%2Flp%3Futm_source%3D"
                       "google%26utm_medium%3Dcpc%26gclid%3DCj0KCQ-abc",
                       kForm);
  INFO(f.body);
  REQUIRE(f.status == 202);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(e.db.Scalar("SELECT utm_source FROM contact WHERE email = 'ivy@example.com'") == "google");
  CHECK(e.db.Scalar("SELECT utm_medium FROM contact WHERE email = 'ivy@example.com'") == "cpc");
  CHECK(e.db.Scalar("SELECT gclid FROM contact WHERE email = 'ivy@example.com'") == "Cj0KCQ-abc");
  CHECK(e.db.Scalar("SELECT lead_source FROM contact WHERE email = 'ivy@example.com'") == "paid_search");

  // A TikTok ad click: ttclid is no canonical field, but the derivation reads it from the record's extras.
  auto t = HttpRequest(e.port(), "POST", "/ingest/website",
                       "email=tia%40example.com&page_url=https%3A%2F%2Fexample.com%2Flp%3Fttclid%3DE.C.P.tt1", kForm);
  REQUIRE(t.status == 202);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "3") == "3");
  CHECK(e.db.Scalar("SELECT raw->'extra'->>'ttclid' FROM source_record WHERE raw::text LIKE '%tia@%'") == "E.C.P.tt1");
  CHECK(e.db.Scalar("SELECT lead_source FROM contact WHERE email = 'tia@example.com'") == "paid_social");
}

// Signature schemes as data through the daemon: Webflow's timestamp:body scheme (milliseconds, five-minute window)
// and Gravity Forms' static header, both from rules/examples/sources/.
TEST_CASE("webflow and a static secret header: right, wrong and stale through canond", "[pg][vendor][signature]") {
  Env e({{500, "unused"}});
  const std::string body = R"({"triggerType":"form_submission","payload":{"data":{"Email":"wf@example.com",)"
                           R"("Name":"Wanda Flow"}}})";
  auto post = [&](long long unix_ms, const std::string& secret) {
    std::string ts = std::to_string(unix_ms);
    return HttpRequest(e.port(), "POST", "/ingest/webflow", body, kJson,
                       {{"x-webflow-timestamp", ts},
                        {"x-webflow-signature", HexEncode(HmacSha256(secret, ts + ":" + body))}});
  };
  long long now_ms = static_cast<long long>(std::time(nullptr)) * 1000;
  CHECK(post(now_ms, "guess").status == 401);
  auto stale = post(now_ms - 10 * 60 * 1000, "webflow-secret-3");
  CHECK(stale.status == 401);
  CHECK(stale.body.find("replay window") != std::string::npos);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);
  auto ok = post(now_ms, "webflow-secret-3");
  INFO(ok.body);
  REQUIRE(ok.status == 202);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Scalar("SELECT email FROM contact") == "wf@example.com");

  // Gravity Forms' entry, keyed by field id as rules/examples/sources/gravity_forms.toml maps it.
  std::string gf = R"({"id":"7","form_id":"1","2":"gf@example.com","1.3":"Gus"})";
  CHECK(HttpRequest(e.port(), "POST", "/ingest/gravity_forms", gf, kJson, {{"X-Canon-Secret", "nope"}}).status ==
        401);
  CHECK(HttpRequest(e.port(), "POST", "/ingest/gravity_forms", gf, kJson).status == 401);
  CHECK(HttpRequest(e.port(), "POST", "/ingest/gravity_forms", gf, kJson, {{"X-Canon-Secret", "gravity-secret-5"}})
            .status == 202);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(e.d->Log().find("gravity-secret-5") == std::string::npos);
  CHECK(e.d->Log().find("webflow-secret-3") == std::string::npos);
}

// A sender that can only be given a URL: /ingest/{source}/{token}, the token compared in constant time and never
// logged, stored or counted by name.
TEST_CASE("a secret URL token: right, wrong and missing through canond, and never shown", "[pg][vendor][signature]") {
  Env e({{500, "unused"}});
  const std::string form = "email=ut%40example.com&first_name=Uma";
  CHECK(HttpRequest(e.port(), "POST", "/ingest/url_form/tok-wrong", form, kForm).status == 401);
  CHECK(HttpRequest(e.port(), "POST", "/ingest/url_form", form, kForm).status == 401);
  // A token for a source that takes none is no endpoint at all.
  CHECK(HttpRequest(e.port(), "POST", "/ingest/website/tok-9f2c81d4e7", form, kForm).status == 404);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);
  auto ok = HttpRequest(e.port(), "POST", "/ingest/url_form/tok-9f2c81d4e7?utm_source=x", form, kForm);
  INFO(ok.body);
  REQUIRE(ok.status == 202);
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Scalar("SELECT email FROM contact") == "ut@example.com");
  CHECK(e.db.Count("SELECT count(*) FROM inbox WHERE headers::text || query || encode(body, 'escape') "
                   "LIKE '%tok-9f2c%'") == 0);
  auto m = HttpRequest(e.port(), "GET", "/metrics");
  CHECK(m.body.find("tok-") == std::string::npos);
  CHECK(m.body.find("canon_intake_total{source=\"url_form\",outcome=\"unauthenticated\"} 2\n") !=
        std::string::npos);
  CHECK(e.d->Log().find("tok-") == std::string::npos);
}

// Refusals are counted per source and outcome on GET /metrics (Prometheus text), so a vendor whose secret was
// rotated on one side shows up as that source's unauthenticated count, not as a global number.
TEST_CASE("refusals are counted per source and outcome on /metrics", "[pg][vendor][metrics]") {
  Env e({{500, "unused"}});
  CHECK(HttpRequest(e.port(), "POST", "/ingest/google_ads",
                    GoogleLead("L-m-1", false, "m@example.com", "yyyyyyyyyyyyyyyy"), kJson)
            .status == 401);
  CHECK(HttpRequest(e.port(), "POST", "/ingest/google_ads",
                    GoogleLead("L-m-2", false, "m@example.com", "zzzzzzzzzzzzzzzz"), kJson)
            .status == 401);
  std::string body = kTypeform;
  CHECK(HttpRequest(e.port(), "POST", "/ingest/typeform", body, kJson, TypeformSignature("guess", body)).status ==
        401);
  CHECK(HttpRequest(e.port(), "GET", "/ingest/meta_leads?hub.mode=subscribe&hub.challenge=1&hub.verify_token=no")
            .status == 403);
  CHECK(HttpRequest(e.port(), "POST", "/ingest/google_ads",
                    R"({"lead_id":"L-m-3","google_key":"xxxxxxxxxxxxxxxx"})", kJson)
            .status == 400);
  CHECK(HttpRequest(e.port(), "POST", "/ingest/google_ads", GoogleLead("L-m-4", false, "m@example.com"), kJson)
            .status == 200);
  auto m = HttpRequest(e.port(), "GET", "/metrics");
  REQUIRE(m.status == 200);
  INFO(m.body);
  CHECK(m.body.find("canon_intake_total{source=\"google_ads\",outcome=\"unauthenticated\"} 2\n") != std::string::npos);
  CHECK(m.body.find("canon_intake_total{source=\"typeform\",outcome=\"unauthenticated\"} 1\n") != std::string::npos);
  CHECK(m.body.find("canon_intake_total{source=\"meta_leads\",outcome=\"handshake_refused\"} 1\n") !=
        std::string::npos);
  CHECK(m.body.find("canon_intake_total{source=\"google_ads\",outcome=\"bad_payload\"} 1\n") != std::string::npos);
  CHECK(m.body.find("canon_intake_total{source=\"google_ads\",outcome=\"accepted\"} 1\n") != std::string::npos);
}

TEST_CASE("Standard Webhooks through canond: right, wrong, stale, replayed; LinkedIn's challengeCode",
          "[pg][vendor][signature]") {
  Env e({{500, "unused"}});
  const std::string key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto raw_key = Base64Decode(key.substr(6));
  REQUIRE(raw_key.ok());
  const std::string body = R"({"type":"lead.created","data":{"email":"sw@example.com","first_name":"Sven"}})";
  auto headers = [&](const std::string& id, long long ts, const std::string& k) {
    std::string t = std::to_string(ts);
    return std::map<std::string, std::string>{
        {"webhook-id", id},
        {"webhook-timestamp", t},
        {"webhook-signature", "v1," + Base64Encode(HmacSha256(k, id + "." + t + "." + body))}};
  };
  const long long now = static_cast<long long>(std::time(nullptr));
  auto wrong = HttpRequest(e.port(), "POST", "/ingest/standard_webhooks", body, kJson, headers("msg_1", now, "x"));
  CHECK(wrong.status == 401);
  auto stale = HttpRequest(e.port(), "POST", "/ingest/standard_webhooks", body, kJson,
                           headers("msg_1", now - 600, *raw_key));
  CHECK(stale.status == 401);
  CHECK(stale.body.find("outside the replay window") != std::string::npos);
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 0);
  const auto signed_headers = headers("msg_1", now, *raw_key);
  auto right = HttpRequest(e.port(), "POST", "/ingest/standard_webhooks", body, kJson, signed_headers);
  INFO(right.body);
  REQUIRE(right.status == 202);
  CHECK_FALSE(Duplicate(right.body));
  // The same request again (a replay, or the sender's retry): the first row's receipt, nothing new stored, even
  // with an Idempotency-Key of the replayer's choosing.
  auto replay_headers = signed_headers;
  replay_headers["Idempotency-Key"] = "fresh-looking";
  auto replay = HttpRequest(e.port(), "POST", "/ingest/standard_webhooks", body, kJson, replay_headers);
  CHECK(replay.status == 202);
  CHECK(Duplicate(replay.body));
  CHECK(ReceiptId(replay.body) == ReceiptId(right.body));
  REQUIRE(WaitFor(e.db, "SELECT count(*) FROM source_record", "1") == "1");
  CHECK(e.db.Count("SELECT count(*) FROM inbox") == 1);
  CHECK(e.db.Scalar("SELECT email FROM contact") == "sw@example.com");

  const std::string code = "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b";
  auto li = HttpRequest(e.port(), "GET", "/ingest/linkedin?challengeCode=" + code);
  CHECK(li.status == 200);
  CHECK(li.body == "{\"challengeCode\":\"" + code + "\",\"challengeResponse\":\"" +
                       HexEncode(HmacSha256("li-client-secret-2", code)) + "\"}");
  CHECK(HttpRequest(e.port(), "GET", "/ingest/linkedin").status == 400);
  // A source without a handshake still answers GET with 405.
  CHECK(HttpRequest(e.port(), "GET", "/ingest/standard_webhooks").status == 405);
}

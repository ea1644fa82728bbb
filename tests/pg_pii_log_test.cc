// No personal data leaves canond except in the fields made for it (issue 16, item 3): records with distinctive
// e-mails and phones go through a real canond, errors are forced (a record refused by validation, three database
// errors of different kinds on the record write, a vendor fetch that fails with the person in its error body,
// refused requests to intake and the admin API), and every text that leaves the process is searched for each
// value, raw and normalized: the log, inbox.error, dead_letter.reason, GET /admin/dead-letters and every error
// body. With log_pii = true the same search finds the vendor's echo in the log: the search can fail.
#include <simdjson.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/https_server.h"
#include "tests/support.h"
#include "tests/vendor_payloads.h"

using namespace canon;
using namespace canon::test;

namespace {

struct Person {
  const char* email_raw;   // as sent
  const char* email_norm;  // lower-cased (the store keeps the local part's case)
  const char* phone_raw;   // as sent
  const char* phone_nsn;   // its national significant number: in the E.164, national and raw forms alike
};

// What happens to each: written normally; broken by a CHECK constraint (SQLSTATE 23514, DETAIL "Failing row
// contains (...)"); refused by a trigger's RAISE naming the values (P0001); a cast of the values in a trigger
// (22P02, the value in the primary message); refused by validation (no top-level domain); echoed by the Graph
// API's error body when its lead is fetched.
const Person kHappy{"Victor.Okonkwo-Happy@Example.IO", "victor.okonkwo-happy@example.io", "+44 20 7946 0321",
                    "2079460321"};
const Person kCheck{"Zelda.Quixote-PII@Example.ORG", "zelda.quixote-pii@example.org", "+44 7700 900461",
                    "7700900461"};
const Person kRaise{"Ulysses.Vantongeren@Example.NET", "ulysses.vantongeren@example.net", "(650) 555-0187",
                    "6505550187"};
const Person kCast{"Xanthe.Brightwater@Example.COM", "xanthe.brightwater@example.com", "+33 6 12 34 98 76",
                   "612349876"};
const Person kRejected{"Wilhelmina.Rejectrow@mail", "wilhelmina.rejectrow@mail", "+44 7700 900888", "7700900888"};
const Person kFetched{"Yolanda.Fetchfail@Example.org", "yolanda.fetchfail@example.org", "+1 650 555 0142",
                      "6505550142"};
const Person* const kPeople[] = {&kHappy, &kCheck, &kRaise, &kCast, &kRejected, &kFetched};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The text without the separators people write in phone numbers, so any written form of a number shows as its
// digits.
std::string Digits(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::string_view(" -.()/+").find(c) == std::string_view::npos) out += c;
  return out;
}

// Every way a person's values could show in `text`: the e-mail raw and lower-cased, its local part alone, and the
// phone's digits in whatever formatting. Returns what was found ("" when nothing).
std::string Found(const std::string& text, const Person& p) {
  std::string lower = Lower(text);
  std::string email = Lower(p.email_norm);
  std::string local = email.substr(0, email.find('@'));
  if (text.find(p.email_raw) != std::string::npos) return p.email_raw;
  if (lower.find(email) != std::string::npos) return email;
  if (lower.find(local) != std::string::npos) return local;
  if (Digits(text).find(p.phone_nsn) != std::string::npos) return p.phone_nsn;
  return "";
}

std::string Form(const Person& p, const std::string& first_name) {
  auto enc = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (c == '@') out += "%40";
      else if (c == '+') out += "%2B";
      else if (c == ' ') out += "+";
      else out += c;
    }
    return out;
  };
  return "email=" + enc(p.email_raw) + "&phone=" + enc(p.phone_raw) + "&first_name=" + first_name;
}

// What left the process in one run of the scenario.
struct Leaks {
  std::string log;
  std::string inbox_errors;
  std::string dead_letter_reasons;
  std::string error_bodies;  // every 4xx answer and GET /admin/dead-letters
  std::vector<std::string> stages;
  std::map<const Person*, std::string> reason_of;  // the dead letter of each person's payload: stage: reason
};

Leaks RunScenario(const std::map<std::string, std::string>& settings) {
  Leaks out;
  TestDb db;
  // The Graph API answers every lead fetch with an error that names the person (as a vendor's error text may).
  Pem pem = MakeSelfSigned();
  CaFile ca(pem);
  std::string graph_error = std::string(R"({"error":{"message":"(#100) lead of )") + kFetched.email_raw + " (" +
                            kFetched.phone_raw + R"() cannot be read","type":"GraphMethodException","code":100}})";
  ScriptedServer graph(pem, {{400, graph_error}});
  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") + "\n" + rules.Read("examples/sources/meta_leads.toml"));
  rules.Replace("sources.toml", "graph_base = \"https://graph.facebook.com/v19.0\"",
                "graph_base = \"https://127.0.0.1:" + std::to_string(graph.port()) + "/v19.0\"\ngraph_ca_file = \"" +
                    ca.path + "\"");
  setenv("CANON_META_APP_SECRET", "pii-app-secret", 1);
  setenv("CANON_META_VERIFY_TOKEN", "pii-verify", 1);
  setenv("CANON_META_ACCESS_TOKEN", "pii-page-token", 1);

  // The database errors, set before canond starts its workers.
  auto c = db.Connect();
  {
    Canond migrate(db, {{"workers", "0"}});  // creates the schema
    CHECK(migrate.Stop() == 0);
  }
  REQUIRE(c->Exec("ALTER TABLE source_record ADD CONSTRAINT pii_probe_check "
                  "CHECK (lower(normalized->'fields'->>'email') IS DISTINCT FROM '" + std::string(kCheck.email_norm) + "')")
              .ok());
  REQUIRE(c->Exec("CREATE FUNCTION pii_probe() RETURNS trigger LANGUAGE plpgsql AS $$ "
                  "DECLARE e text := lower(NEW.normalized->'fields'->>'email'); p text := NEW.normalized->'fields'->>'phone'; "
                  "BEGIN "
                  "  IF e = '" + std::string(kRaise.email_norm) + "' THEN RAISE EXCEPTION 'lead % % refused', e, p; "
                  "  END IF; "
                  "  IF e = '" + std::string(kCast.email_norm) + "' THEN PERFORM (e || ' ' || p)::bigint; END IF; "
                  "  RETURN NEW; "
                  "END $$")
              .ok());
  REQUIRE(c->Exec("CREATE TRIGGER pii_probe BEFORE INSERT ON source_record FOR EACH ROW EXECUTE FUNCTION pii_probe()")
              .ok());

  std::map<std::string, std::string> all = settings;
  all["admin_token"] = "\"pii-t0ken\"";
  Canond d(db, all, rules.rules());
  auto collect = [&](const HttpResult& r) {
    if (r.status >= 400) out.error_bodies += std::to_string(r.status) + " " + r.body + "\n";
    return r;
  };
  const std::string kForm = "application/x-www-form-urlencoded";
  for (const Person* p : {&kHappy, &kCheck, &kRaise, &kCast, &kRejected})
    CHECK(collect(HttpRequest(d.port(), "POST", "/ingest/website", Form(*p, "Ann"), kForm)).status == 202);
  std::string note = kMetaNotification;
  CHECK(collect(HttpRequest(d.port(), "POST", "/ingest/meta_leads", note, "application/json",
                            {{"X-Hub-Signature-256", SignMeta("pii-app-secret", note)}}))
            .status == 200);
  // Refused at the door: a NUL byte in a field (400 naming the field), broken JSON.
  CHECK(collect(HttpRequest(d.port(), "POST", "/ingest/website", Form(kCheck, "Zel%00da"), kForm)).status == 400);
  CHECK(collect(HttpRequest(d.port(), "POST", "/ingest/partner_feed",
                            std::string(R"({"contact":{"email":")") + kCheck.email_raw + R"(","phone":")" +
                                kCheck.phone_raw + "\"",
                            "application/json"))
            .status == 400);

  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0", 30000) == "0");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");

  // The admin API refusing requests whose bodies name the person.
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer pii-t0ken"}};
  std::string contact = db.Scalar("SELECT id::text FROM contact");
  CHECK(collect(HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/edit",
                            std::string(R"({"fields":{")") + kCheck.email_raw + R"(":"x","email":")" +
                                kCheck.email_norm + "@\"}}",
                            "application/json", auth))
            .status == 400);
  CHECK(collect(HttpRequest(d.port(), "POST", "/admin/entities/" + contact + "/edit",
                            std::string(R"({"fields":{"email":")") + kRejected.email_raw + "\"}}", "application/json",
                            auth))
            .status == 400);
  CHECK(collect(HttpRequest(d.port(), "GET", "/admin/rules", "", "", {{"X-Request-Id", "pii-req-1"}})).status ==
        401);
  auto dead = HttpRequest(d.port(), "GET", "/admin/dead-letters?limit=100", "", "", auth);
  CHECK(dead.status == 200);
  out.error_bodies += dead.body + "\n";

  out.inbox_errors = db.Scalar("SELECT coalesce(string_agg(error, E'\\n'), '') FROM inbox");
  out.dead_letter_reasons =
      db.Scalar("SELECT coalesce(string_agg(reason || ' ' || coalesce(location, ''), E'\\n'), '') FROM dead_letter");
  for (const Person* p : {&kHappy, &kCheck, &kRaise, &kCast, &kRejected})
    out.reason_of[p] = db.Scalar("SELECT d.stage || ': ' || d.reason FROM dead_letter d JOIN inbox i ON i.id = "
                                 "d.inbox_id WHERE i.body = convert_to($1, 'UTF8')",
                                 {Form(*p, "Ann")});
  auto stages = c->Exec("SELECT stage FROM dead_letter ORDER BY stage");
  REQUIRE(stages.ok());
  for (int i = 0; i < stages->rows(); ++i) out.stages.push_back(stages->Str(i, 0));
  CHECK(d.Stop() == 0);
  out.log = d.Log();
  return out;
}

}  // namespace

TEST_CASE("no e-mail or phone in the log, inbox.error, dead_letter.reason or error bodies", "[pg][log][pii]") {
  Leaks leaks = RunScenario({{"log_format", "\"json\""}});
  INFO("log:\n" << leaks.log << "\ninbox.error:\n" << leaks.inbox_errors << "\ndead_letter:\n"
                << leaks.dead_letter_reasons << "\nbodies:\n" << leaks.error_bodies);
  // Every forced error happened: intake (NUL, broken JSON), three database errors, validation, the fetch.
  std::vector<std::string> want = {"fetch", "intake", "intake", "store", "store", "store", "validate"};
  CHECK(leaks.stages == want);
  // Each payload's own reason (with two workers, a row failing alone is dead-lettered by its id, not as "the next
  // pending row"), naming the constraint and the kind of error, not the values.
  CHECK(leaks.reason_of[&kHappy] == "");
  CHECK_THAT(leaks.reason_of[&kCheck], Catch::StartsWith("store: ") && Catch::Contains("pii_probe_check"));
  CHECK_THAT(leaks.reason_of[&kRaise],
             Catch::StartsWith("store: an error raised by a database function or trigger"));
  CHECK_THAT(leaks.reason_of[&kCast], Catch::StartsWith("store: invalid input syntax for type bigint"));
  CHECK_THAT(leaks.reason_of[&kRejected], Catch::StartsWith("validate: email: not an e-mail address"));
  CHECK_THAT(leaks.dead_letter_reasons, Catch::Contains("HTTP 400"));
  for (const Person* p : kPeople) {
    INFO(p->email_raw);
    CHECK(Found(leaks.log, *p) == "");
    CHECK(Found(leaks.inbox_errors, *p) == "");
    CHECK(Found(leaks.dead_letter_reasons, *p) == "");
    CHECK(Found(leaks.error_bodies, *p) == "");
  }
  // JSON lines carry source, inbox id and request id as fields of their own.
  std::istringstream lines(leaks.log);
  simdjson::dom::parser parser;
  bool dead_letter_line = false, request_line = false;
  for (std::string line; std::getline(lines, line);) {
    simdjson::dom::object obj;
    REQUIRE_FALSE(parser.parse(line).get_object().get(obj));
    std::string_view event, source, rid;
    int64_t inbox = 0;
    CHECK_FALSE(obj["event"].get_string().get(event));
    if (event.find("dead letter, stage validate") != std::string_view::npos) {
      CHECK_FALSE(obj["source"].get_string().get(source));
      CHECK(source == "website");
      CHECK_FALSE(obj["inbox_id"].get_int64().get(inbox));
      CHECK(inbox > 0);
      dead_letter_line = true;
    }
    if (!obj["request_id"].get_string().get(rid) && rid == "pii-req-1") request_line = true;
  }
  CHECK(dead_letter_line);
  CHECK(request_line);
}

TEST_CASE("with log_pii = true the log is not masked (the search above can fail); stored reasons still are",
          "[pg][log][pii]") {
  Leaks leaks = RunScenario({{"log_pii", "true"}});
  INFO("log:\n" << leaks.log);
  CHECK(Found(leaks.log, kFetched) != "");
  CHECK(Found(leaks.dead_letter_reasons, kFetched) == "");
  CHECK(Found(leaks.inbox_errors, kFetched) == "");
}

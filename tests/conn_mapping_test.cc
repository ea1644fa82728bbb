// Mapping power as data (issue 15, item 4): each vendor example of rules/examples/sources/ maps the payload shape
// its vendor documents; JSON inside a form field, {key, value} arrays by key, constants, repeated form keys and
// Meta's consent checkboxes. Literal payloads in, records out.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "connectors/connector.h"
#include "hygiene/rule_set.h"

using namespace canon;

namespace {

struct Example {
  std::shared_ptr<const RuleSet> rules;
  const SourceConfig* source = nullptr;
};

Example FromText(const std::string& text, const std::string& name) {
  auto r = RuleSet::Parse({{"r/sources.toml", text}});
  if (!r.ok()) FAIL(r.status().ToString());
  Example e{*r, (*r)->FindSource(name)};
  REQUIRE(e.source != nullptr);
  return e;
}

Example Load(const std::string& file, const std::string& name) {
  std::ifstream in(std::string(CANON_SOURCE_DIR) + "/rules/examples/sources/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return FromText(ss.str(), name);
}

Record One(const SourceConfig& src, const std::string& body, const std::string& content_type) {
  Payload p;
  p.body = body;
  p.content_type = content_type;
  auto recs = ParsePayload(src, p);
  if (!recs.ok()) FAIL(recs.status().ToString() << " at " << recs.status().where());
  REQUIRE(recs->size() == 1);
  return recs->front();
}

Status Refusal(const SourceConfig& src, const std::string& body, const std::string& content_type) {
  Payload p;
  p.body = body;
  p.content_type = content_type;
  auto recs = ParsePayload(src, p);
  return recs.ok() ? Status::Ok() : recs.status();
}

std::string Percent(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) out.push_back(static_cast<char>(c));
    else out += {'%', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

Status ParseSources(const std::string& text) {
  auto r = RuleSet::Parse({{"r/sources.toml", text}});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

TEST_CASE("mapping: JotForm's rawRequest, JSON inside a multipart form field", "[conn][mapping]") {
  auto e = Load("jotform.toml", "jotform");
  // JotForm's webhook: multipart/form-data, answers as JSON in rawRequest (q<id>_<name>, compound answers as
  // objects), beside formID, submissionID, formTitle, pretty.
  const std::string raw =
      R"({"slug":"submit/231234567890/","q3_name":{"first":"Ana","last":"Lima"},"q4_email":"ana@example.com",)"
      R"("q5_phoneNumber":{"full":"(650) 555-0123"},"q6_company":"Lima Ltda","q7_howDid":"A friend",)"
      R"("event_id":"1700000000000_231234567890_aB3dE5f"})";
  const std::string b = "----jotform5e8c";
  auto part = [&](const std::string& name, const std::string& value) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  };
  const std::string body = part("formID", "231234567890") + part("submissionID", "5791234567891234567") +
                           part("formTitle", "Contact us") + part("pretty", "Name:Ana Lima, E-mail:ana@example.com") +
                           part("rawRequest", raw) + "--" + b + "--\r\n";
  Record r = One(*e.source, body, "multipart/form-data; boundary=" + b);
  CHECK(r.Get("first_name") == "Ana");
  CHECK(r.Get("last_name") == "Lima");
  CHECK(r.Get("email") == "ana@example.com");
  CHECK(r.Get("phone") == "(650) 555-0123");
  CHECK(r.Get("company") == "Lima Ltda");
  CHECK(r.extra.at("q7_howDid") == "A friend");  // an unmapped answer is kept
  CHECK(r.extra.at("submissionID") == "5791234567891234567");
  CHECK(r.extra.count("rawRequest") == 0);
  // The same as application/x-www-form-urlencoded.
  Record u = One(*e.source, "formID=1&rawRequest=" + Percent(raw), "application/x-www-form-urlencoded");
  CHECK(u.Get("email") == "ana@example.com");
  // Refused, with where: no rawRequest, or one that is not JSON.
  Status s = Refusal(*e.source, "formID=1", "application/x-www-form-urlencoded");
  CHECK(s.message() == "missing form field 'rawRequest'");
  s = Refusal(*e.source, "rawRequest=%7Bnope", "application/x-www-form-urlencoded");
  CHECK(s.where() == "rawRequest");
}

TEST_CASE("mapping: HubSpot fields[{name, value}] by name, not by position", "[conn][mapping]") {
  auto e = Load("hubspot_forms.toml", "hubspot_forms");
  const std::string a = R"({"submittedAt":1733220000000,"fields":[
      {"objectTypeId":"0-1","name":"email","value":"hs@example.com"},
      {"objectTypeId":"0-1","name":"firstname","value":"Hana"},
      {"objectTypeId":"0-1","name":"lastname","value":"Sato"},
      {"objectTypeId":"0-1","name":"company","value":"Sato KK"},
      {"objectTypeId":"0-1","name":"budget","value":"10k"}],
    "context":{"pageUri":"https://example.com/demo?utm_source=linkedin&utm_medium=paid_social","pageName":"Demo"}})";
  // The same answers, the form reordered.
  const std::string b = R"({"fields":[
      {"name":"budget","value":"10k"},{"name":"company","value":"Sato KK"},{"name":"lastname","value":"Sato"},
      {"name":"firstname","value":"Hana"},{"name":"email","value":"hs@example.com"}],
    "context":{"pageUri":"https://example.com/demo?utm_source=linkedin&utm_medium=paid_social"}})";
  for (const std::string& body : {a, b}) {
    Record r = One(*e.source, body, "application/json");
    CHECK(r.Get("email") == "hs@example.com");
    CHECK(r.Get("first_name") == "Hana");
    CHECK(r.Get("last_name") == "Sato");
    CHECK(r.Get("company") == "Sato KK");
    CHECK(r.extra.at("budget") == "10k");
    CHECK(r.extra.count("fields") == 0);
    CHECK(r.Get("page_url").rfind("https://example.com/demo?", 0) == 0);
    CHECK(r.Get("utm_source") == "linkedin");
  }
  // An entry without its name is refused where it is.
  Status s = Refusal(*e.source, R"({"fields":[{"value":"x"}]})", "application/json");
  CHECK(s.where() == "/fields/0/name");
  CHECK(Refusal(*e.source, R"({"fields":{"email":"x"}})", "application/json").where() == "/fields");
}

TEST_CASE("mapping: Tally data.fields[{key, label, type, value}] by key; a multiple choice joined",
          "[conn][mapping]") {
  auto e = Load("tally.toml", "tally");
  // Tally's FORM_RESPONSE event (https://tally.so/help/webhooks).
  const std::string body = R"({"eventId":"a4cb511e-d513-4fa5-baee-b815d718dfd1","eventType":"FORM_RESPONSE",
    "createdAt":"2023-06-28T15:00:21.889Z","data":{"responseId":"2wgx4n","submissionId":"2wgx4n",
    "respondentId":"dwQKYm","formId":"VwbNEw","formName":"Webhook payload","createdAt":"2023-06-28T15:00:21.000Z",
    "fields":[
      {"key":"question_3ExaE1","label":"First name","type":"INPUT_TEXT","value":"Tom"},
      {"key":"question_nW0Eo0","label":"Last name","type":"INPUT_TEXT","value":"Berg"},
      {"key":"question_mVGEg3","label":"Email","type":"INPUT_EMAIL","value":"tom@example.com"},
      {"key":"question_wQ1bYk","label":"Company","type":"INPUT_TEXT","value":null},
      {"key":"question_w4Q0Lk","label":"Interests","type":"CHECKBOXES","value":["Pricing","Demo"],
       "options":[{"id":"a","text":"Pricing"},{"id":"b","text":"Demo"}]}]}})";
  Record r = One(*e.source, body, "application/json");
  CHECK(r.Get("first_name") == "Tom");
  CHECK(r.Get("last_name") == "Berg");
  CHECK(r.Get("email") == "tom@example.com");
  CHECK_FALSE(r.Has("company"));  // unanswered
  CHECK(r.Get("created_at") == "2023-06-28T15:00:21.000Z");
  CHECK(r.extra.at("question_w4Q0Lk") == R"(["Pricing","Demo"])");
  CHECK(r.delivery_key == "a4cb511e-d513-4fa5-baee-b815d718dfd1");
}

TEST_CASE("mapping: Gravity Forms' entry keyed by field id", "[conn][mapping]") {
  auto e = Load("gravity_forms.toml", "gravity_forms");
  // Webhooks add-on, Request Body "All Fields": the entry object (https://docs.gravityforms.com/entry-object/).
  const std::string body = R"({"id":"42","form_id":"3","date_created":"2024-12-03 10:00:00","is_starred":0,
    "source_url":"https://example.com/contact/?utm_source=newsletter","1.3":"Gina","1.6":"Rossi",
    "2":"gina@example.com","3":"(650) 555-0199","4":"Rossi Srl","5":"Call me after 5"})";
  Record r = One(*e.source, body, "application/json");
  CHECK(r.Get("first_name") == "Gina");
  CHECK(r.Get("last_name") == "Rossi");
  CHECK(r.Get("email") == "gina@example.com");
  CHECK(r.Get("company") == "Rossi Srl");
  CHECK(r.Get("utm_source") == "newsletter");
  CHECK(r.extra.at("5") == "Call me after 5");
  CHECK(r.delivery_key == "42");
}

TEST_CASE("mapping: constants per source win over the payload", "[conn][mapping]") {
  auto e = Load("partner_constants.toml", "partner_leads");
  Record r = One(*e.source, R"({"email":"p@example.com","lead_source":"paid_search"})", "application/json");
  CHECK(r.Get("lead_source") == "partner");
  CHECK(r.Get("email") == "p@example.com");
  auto f = FromText("[w]\nkind = \"form\"\nauth = \"none\"\n[w.constants]\nlead_source = \"events\"\n", "w");
  CHECK(One(*f.source, "email=a%40example.com", "application/x-www-form-urlencoded").Get("lead_source") == "events");
  // A constant for a field that does not exist is refused at its line.
  Status s = ParseSources("[w]\nkind = \"json\"\nauth = \"none\"\n[w.constants]\nlead_sorce = \"partner\"\n");
  CHECK(s.where() == "r/sources.toml:5:14");
  CHECK(s.message().find("unknown canonical field 'lead_sorce'") != std::string::npos);
  CHECK(ParseSources("[w]\nkind = \"json\"\nauth = \"none\"\n[w.constants]\nlead_source = 3\n").where() ==
        "r/sources.toml:5:15");
}

TEST_CASE("mapping: a repeated form key keeps every value", "[conn][mapping]") {
  auto e = FromText("[w]\nkind = \"form\"\nauth = \"none\"\n", "w");
  Record r = One(*e.source, "email=r%40example.com&interest=pricing&interest=demo&interest=&message=one&message=two",
                 "application/x-www-form-urlencoded");
  CHECK(r.extra.at("interest") == R"(["pricing","demo",""])");
  CHECK(r.Get("message") == "one, two");
  CHECK(r.Get("email") == "r@example.com");
  // A quote or backslash in a value stays valid JSON.
  Record q = One(*e.source, "x=%22a%5C&x=b", "application/x-www-form-urlencoded");
  CHECK(q.extra.at("x") == R"(["\"a\\","b"])");
  // multipart too.
  const std::string b = "XyZ";
  auto part = [&](const std::string& v) {
    return "--" + b + "\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\n" + v + "\r\n";
  };
  Record m = One(*e.source, part("a") + part("b") + "--" + b + "--\r\n", "multipart/form-data; boundary=" + b);
  CHECK(m.extra.at("tag") == R"(["a","b"])");
}

TEST_CASE("mapping: options are checked at their line", "[conn][mapping][rules]") {
  const std::string head = "[s]\nkind = \"json\"\nauth = \"none\"\n";
  CHECK(ParseSources(head + "fields_key = \"name\"\n").message().find("needs fields_array") != std::string::npos);
  CHECK(ParseSources(head + "fields_array = \"fields\"\n").where() == "r/sources.toml:4:16");
  CHECK(ParseSources(head + "json_field = \"raw\"\n").message().find("must be a JSON Pointer") != std::string::npos);
  CHECK(ParseSources(head + "[s.map]\nemail = \"email\"\n").where() == "r/sources.toml:5:9");
  CHECK(ParseSources(head + "fields_array = \"/fields\"\n[s.map]\nemail = \"email\"\n").ok());
  CHECK(ParseSources("[f]\nkind = \"form\"\nauth = \"none\"\nfields_array = \"/f\"\n").message().find(
            "needs json_field") != std::string::npos);
  CHECK(ParseSources("[f]\nkind = \"form\"\nauth = \"none\"\njson_field = \"raw\"\n[f.map]\nemail = \"q1\"\n")
            .where() == "r/sources.toml:6:9");
  // A form without json_field maps form keys, not pointers.
  CHECK(ParseSources("[f]\nkind = \"form\"\nauth = \"none\"\n[f.map]\nemail = \"your-email\"\n").ok());
  CHECK(ParseSources("[c]\nkind = \"csv\"\nfolder = \"x\"\n[c.constants]\nlead_source = \"partner\"\n").where() ==
        "r/sources.toml:4:4");
}

TEST_CASE("mapping: Meta's consent checkboxes and custom questions", "[conn][mapping]") {
  auto e = FromText("[m]\nkind = \"meta_leads\"\nsecret_env = \"A\"\nverify_token_env = \"B\"\n"
                    "access_token_env = \"C\"\n",
                    "m");
  // https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving : custom_disclaimer_responses.
  const std::string lead = R"({"id":"55","created_time":"2024-12-03T10:00:00+0000",
    "field_data":[{"name":"email","values":["m@example.com"]},{"name":"which_plan","values":["Pro"]}],
    "custom_disclaimer_responses":[{"checkbox_key":"marketing_optin","is_checked":"1"},
                                   {"checkbox_key":"terms","is_checked":"1"}]})";
  auto r = ParseMetaLead(*e.source, lead);
  REQUIRE(r.ok());
  CHECK(r->Get("consent") == "true");
  CHECK(r->extra.at("consent.marketing_optin") == "true");
  CHECK(r->extra.at("which_plan") == "Pro");
  std::string refused = lead;
  refused.replace(refused.rfind("\"1\""), 3, "\"\"");
  auto n = ParseMetaLead(*e.source, refused);
  REQUIRE(n.ok());
  CHECK(n->Get("consent") == "false");
  CHECK(n->extra.at("consent.terms") == "false");
  auto none = ParseMetaLead(*e.source, R"({"id":"56","field_data":[{"name":"email","values":["n@example.com"]}]})");
  REQUIRE(none.ok());
  CHECK_FALSE(none->Has("consent"));
}

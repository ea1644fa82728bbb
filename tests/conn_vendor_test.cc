// Vendor connectors: payloads built as each vendor documents them, right and wrong signatures, test leads,
// missing fields, delivery keys.
#include <catch2/catch.hpp>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "tests/vendor_payloads.h"

using namespace canon;
using namespace canon::test;

namespace {

SourceConfig Source(const std::string& name, const std::string& kind) {
  SourceConfig s;
  s.name = name;
  s.kind = kind;
  return s;
}

Payload Json(const std::string& body) {
  Payload p;
  p.body = body;
  p.content_type = "application/json";
  return p;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Meta Lead Ads: kMetaNotification, kMetaLead and SignMeta, with the pages they follow, in
// tests/vendor_payloads.h.

TEST_CASE("meta: subscription handshake echoes the challenge only for the right token", "[conn][meta]") {
  auto s = Source("meta", "meta_leads");
  auto ok = AnswerMetaHandshake(s, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
                                "meatyhamhock");
  REQUIRE(ok.ok());
  CHECK(*ok == "1158201444");
  auto wrong = AnswerMetaHandshake(s, "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope", "meatyhamhock");
  CHECK(wrong.status().code() == Code::kUnauthenticated);
  CHECK(wrong.status().message().find("meatyhamhock") == std::string::npos);  // never echo the secret
  CHECK(AnswerMetaHandshake(s, "hub.mode=subscribe&hub.challenge=1&hub.verify_token=", "").status().code() ==
        Code::kUnauthenticated);
  CHECK(AnswerMetaHandshake(s, "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=t", "t").status().code() ==
        Code::kInvalidArgument);
  CHECK(AnswerMetaHandshake(s, "hub.mode=subscribe&hub.verify_token=t", "t").status().where() == "hub.challenge");
  CHECK(AnswerMetaHandshake(s, "hub.mode=subscribe&hub.verify_token=t", "t").status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("meta: X-Hub-Signature-256 verifies the raw body", "[conn][meta][verify]") {
  auto s = Source("meta", "meta_leads");
  std::string body = kMetaNotification;
  Payload p = Json(body);
  const std::string secret = "app-secret-123";
  p.headers["x-hub-signature-256"] = SignMeta(secret, body);
  CHECK(VerifySignature(s, p, secret).ok());
  CHECK(VerifySignature(s, p, "other-secret").code() == Code::kUnauthenticated);
  // One changed byte of the body breaks it.
  std::string tampered = body;
  tampered[tampered.find("123123123123")] = '9';
  Payload t = p;
  t.body = tampered;
  auto st = VerifySignature(s, t, secret);
  CHECK(st.code() == Code::kUnauthenticated);
  CHECK(st.message() == "X-Hub-Signature-256 does not verify");
  Payload missing = Json(body);
  CHECK(VerifySignature(s, missing, secret).message() == "missing X-Hub-Signature-256 header");
  Payload sha1 = Json(body);
  sha1.headers["x-hub-signature-256"] = HexEncode(HmacSha256(secret, body));  // no "sha256=" prefix
  CHECK(VerifySignature(s, sha1, secret).code() == Code::kUnauthenticated);
  Payload garbage = Json(body);
  garbage.headers["x-hub-signature-256"] = "sha256=xyz";
  CHECK(VerifySignature(s, garbage, secret).code() == Code::kUnauthenticated);
  CHECK(VerifySignature(s, p, "").message() == "no secret configured for this source");
}

TEST_CASE("meta: leadgen notifications become lead references; delivery key is the leadgen_id", "[conn][meta]") {
  auto refs = ParseMetaNotification(kMetaNotification);
  REQUIRE(refs.ok());
  REQUIRE(refs->size() == 1);
  const MetaLeadRef& r = refs->front();
  CHECK(r.leadgen_id == "123123123123");
  CHECK(r.form_id == "12312312312");
  CHECK(r.ad_id == "12312312312");
  CHECK(r.page_id == "123123123");
  CHECK(r.created_time == 1440120384);
  CHECK(DeliveryKey(Source("meta", "meta_leads"), Json(kMetaNotification)) == "123123123123");
  CHECK(MetaLeadTarget("123123123123") ==
        "/123123123123?fields=id,created_time,field_data,ad_id,adset_id,campaign_id,form_id,is_organic,platform,"
        "custom_disclaimer_responses");
  CHECK(MetaLeadTarget("1/../x").substr(0, 10) == "/1%2F..%2F");

  // Two leads in one post (batched entries), plus a change of another field that is skipped.
  std::string two = R"({"object":"page","entry":[
    {"id":"1","time":1,"changes":[{"field":"feed","value":{}},{"field":"leadgen","value":{"leadgen_id":"b2"}}]},
    {"id":"1","time":1,"changes":[{"field":"leadgen","value":{"leadgen_id":"a1"}}]}]})";
  auto both = ParseMetaNotification(two);
  REQUIRE(both.ok());
  CHECK(both->size() == 2);
  CHECK(DeliveryKey(Source("meta", "meta_leads"), Json(two)) == "a1,b2");
}

TEST_CASE("meta: notification shape errors name the JSON Pointer", "[conn][meta]") {
  CHECK(ParseMetaNotification(R"({"object":"user","entry":[]})").status().where() == "/object");
  CHECK(ParseMetaNotification(R"({"object":"page"})").status().where() == "/entry");
  CHECK(ParseMetaNotification(R"({"object":"page","entry":[{"changes":[{"field":"leadgen","value":{}}]}]})")
            .status()
            .where() == "/entry/0/changes/0/value/leadgen_id");
  CHECK(ParseMetaNotification(R"({"object":"page","entry":[{"changes":[{"field":"feed"}]}]})").status().where() ==
        "/entry");
  auto bad = ParseMetaNotification("{\"object\":");
  CHECK(bad.status().code() == Code::kInvalidArgument);
  CHECK(bad.status().message().find("malformed JSON") == 0);
}

TEST_CASE("meta: a Graph API lead maps field_data, ids and lead_source", "[conn][meta]") {
  auto s = Source("meta", "meta_leads");
  auto rec = ParseMetaLead(s, kMetaLead);
  REQUIRE(rec.ok());
  CHECK(rec->delivery_key == "123123123123");
  CHECK(rec->Get("full_name") == "Joe Example");
  CHECK(rec->Get("email") == "joe@example.com");
  CHECK(rec->Get("phone") == "+16505550123");
  CHECK(rec->Get("city") == "Menlo Park");
  CHECK(rec->Get("postal_code") == "94025");
  CHECK(rec->Get("company") == "Example Inc");
  CHECK(rec->Get("job_title") == "CTO");
  CHECK(rec->Get("lead_source") == "paid_social");
  CHECK(rec->Get("created_at") == "2015-02-28T08:49:14+00:00");
  CHECK(rec->extra.at("car_make") == "Honda");  // a custom question
  CHECK(rec->extra.at("preferred_colors") == "red, blue");
  CHECK(rec->extra.count("empty_answer") == 0);
  CHECK(rec->extra.at("ad_id") == "6042147342661");
  CHECK(rec->extra.at("form_id") == "12312312312");
  CHECK(rec->extra.at("campaign_id") == "6042147340000");

  // A custom question mapped by the source's rules.
  s.map = {{"message", "car_make"}};
  CHECK(ParseMetaLead(s, kMetaLead)->Get("message") == "Honda");

  // ParsePayload on a meta_leads source parses a fetched lead.
  auto via = ParsePayload(s, Json(kMetaLead));
  REQUIRE(via.ok());
  CHECK(via->front().delivery_key == "123123123123");
}

TEST_CASE("meta: a lead is completed from its notification's reference", "[conn][meta]") {
  auto s = Source("meta", "meta_leads");
  auto refs = ParseMetaNotification(kMetaNotification);
  REQUIRE(refs.ok());
  std::string bare = R"({"id":"123123123123","field_data":[{"name":"email","values":["joe@example.com"]}]})";
  auto rec = ParseMetaLead(s, bare, refs->front());
  REQUIRE(rec.ok());
  CHECK(rec->extra.at("form_id") == "12312312312");
  CHECK(rec->extra.at("page_id") == "123123123");
  CHECK(rec->Get("created_at") == "2015-08-21T01:26:24Z");  // 1440120384
  auto full = ParseMetaLead(s, kMetaLead, refs->front());
  REQUIRE(full.ok());
  CHECK(full->Get("created_at") == "2015-02-28T08:49:14+00:00");  // the Graph answer wins
  CHECK(full->extra.at("ad_id") == "6042147342661");
  MetaLeadRef other = refs->front();
  other.leadgen_id = "999";
  CHECK(ParseMetaLead(s, bare, other).status().where() == "/id");
}

TEST_CASE("meta: lead shape errors", "[conn][meta]") {
  auto s = Source("meta", "meta_leads");
  CHECK(ParseMetaLead(s, R"({"field_data":[]})").status().where() == "/id");
  CHECK(ParseMetaLead(s, R"({"id":"1"})").status().where() == "/field_data");
  CHECK(ParseMetaLead(s, R"({"id":"1","field_data":[{"values":["x"]}]})").status().where() == "/field_data/0/name");
  CHECK(ParseMetaLead(s, R"({"id":"1","field_data":[{"name":"email","values":"x"}]})").status().where() ==
        "/field_data/0/values");
  CHECK(ParseMetaLead(s, R"([1])").status().code() == Code::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------------------------
// Google Ads lead form webhook: GoogleLead, with the page it follows, in tests/vendor_payloads.h. The documented
// sample lead, with all its columns.

const std::string kGoogleLead =
    GoogleLead("TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEe", true,
               "test@example.com", kGoogleKey, "FirstName LastName", "+16505550123",
               {GoogleColumn("Company Name", "Example Co", "COMPANY_NAME"),
                GoogleColumn("Job Title", "Buyer", "JOB_TITLE"),
                GoogleColumn("Work Email", "buyer@example.com", "WORK_EMAIL"),
                GoogleColumn("What is your budget?", "1000", "BUDGET")});

TEST_CASE("google ads: a documented test lead maps columns, gclid, ids and is_test", "[conn][google]") {
  auto s = Source("gads", "google_ads");
  auto r = ParsePayload(s, Json(kGoogleLead));
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  const Record& rec = r->front();
  CHECK(rec.delivery_key == "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEe");
  CHECK(rec.is_test);
  CHECK(rec.Get("full_name") == "FirstName LastName");
  CHECK(rec.Get("phone") == "+16505550123");
  CHECK(rec.Get("email") == "test@example.com");
  CHECK(rec.Get("postal_code") == "94043");
  CHECK(rec.Get("company") == "Example Co");
  CHECK(rec.Get("job_title") == "Buyer");
  CHECK(rec.Get("gclid") == "TeSter-123-gclid");
  CHECK(rec.Get("lead_source") == "paid_search");
  CHECK(rec.extra.at("Work Email") == "buyer@example.com");  // EMAIL came first
  CHECK(rec.extra.at("What is your budget?") == "1000");
  CHECK(rec.extra.at("campaign_id") == "20000000000");
  CHECK(rec.extra.at("form_id") == "40000000000");
  for (const auto& [k, v] : rec.extra) CHECK(v != "xxxxxxxxxxxxxxxx");  // the key is never kept
  CHECK(DeliveryKey(s, Json(kGoogleLead)) == rec.delivery_key);
}

TEST_CASE("google ads: google_key is the authentication", "[conn][google][verify]") {
  auto s = Source("gads", "google_ads");
  CHECK(VerifySignature(s, Json(kGoogleLead), "xxxxxxxxxxxxxxxx").ok());
  auto bad = VerifySignature(s, Json(kGoogleLead), "yyyyyyyyyyyyyyyy");
  CHECK(bad.code() == Code::kUnauthenticated);
  CHECK(bad.message() == "google_key does not match");
  CHECK(VerifySignature(s, Json(R"({"lead_id":"1"})"), "k").message() == "missing google_key");
  CHECK(VerifySignature(s, Json("not json"), "k").code() == Code::kUnauthenticated);
  CHECK(VerifySignature(s, Json(kGoogleLead), "").code() == Code::kUnauthenticated);
}

TEST_CASE("google ads: real leads are not test leads; shape errors name the pointer", "[conn][google]") {
  auto s = Source("gads", "google_ads");
  auto real = ParseGoogleAds(s, Json(R"({"lead_id":"L1","user_column_data":[],"is_test":false})"));
  REQUIRE(real.ok());
  CHECK_FALSE(real->front().is_test);
  CHECK(ParseGoogleAds(s, Json(R"({"user_column_data":[]})")).status().where() == "/lead_id");
  CHECK(ParseGoogleAds(s, Json(R"({"lead_id":"L1"})")).status().where() == "/user_column_data");
  CHECK(ParseGoogleAds(s, Json(R"({"lead_id":"L1","user_column_data":[{"string_value":"x"}]})")).status().where() ==
        "/user_column_data/0/column_id");
  CHECK(ParseGoogleAds(s, Json(R"({"lead_id":"L1","user_column_data":[{"column_id":"EMAIL","string_value":3}]})"))
            .status()
            .where() == "/user_column_data/0/string_value");
  CHECK(ParseGoogleAds(s, Json(R"({"lead_id":"L1","user_column_data":[],"is_test":"yes"})")).status().where() ==
        "/is_test");
}

// ---------------------------------------------------------------------------------------------------------------
// Typeform: TypeformResponse, TypeformAnswer and SignTypeform, with the pages they follow, in
// tests/vendor_payloads.h. The example payload's answers, one of each type, with refs this test maps itself.

const std::string kTypeform = TypeformResponse(
    R"({"utm_source":"newsletter","utm_campaign":"spring","gclid":"abc","user_id":"u-42"})",
    {TypeformAnswer("text", R"("Laura")", "JwWggjAKtOkA", "short_text", "first_name_ref"),
     TypeformAnswer("email", R"("laura@example.com")", "SMEUb7VJz92Q", "email", "email_ref"),
     TypeformAnswer("phone_number", R"("+5491122334455")", "Vx1", "phone_number", "phone_ref"),
     TypeformAnswer("choice", R"({"label":"Barcelona"})", "k6TP9oLGgHjl", "multiple_choice", "city_ref"),
     TypeformAnswer("choices", R"({"labels":["London","Sydney"]})", "PNe8ZKBK8C2Q", "picture_choice",
                    "trips"),
     TypeformAnswer("boolean", "false", "gFFf3xAkJKsr", "yes_no", "newsletter"),
     TypeformAnswer("number", "5", "Q7M2XAwY04dW", "number", "team_size"),
     TypeformAnswer("date", R"("2005-10-15")", "KoJxDM3c6x8h", "date", "birth"),
     TypeformAnswer("url", R"("https://example.com/?utm_medium=email")", "u1", "website", "website_ref")});

TEST_CASE("typeform: answers by ref through the source map, hidden fields as attribution", "[conn][typeform]") {
  auto s = Source("tf", "typeform");
  s.map = {{"first_name", "first_name_ref"}, {"city", "city_ref"}, {"birth_date", "birth"},
           {"website", "website_ref"}};
  auto r = ParsePayload(s, Json(kTypeform));
  REQUIRE(r.ok());
  const Record& rec = r->front();
  CHECK(rec.delivery_key == "LtWXD3crgy");
  CHECK(rec.Get("first_name") == "Laura");
  CHECK(rec.Get("email") == "laura@example.com");  // unmapped email answer
  CHECK(rec.Get("phone") == "+5491122334455");
  CHECK(rec.Get("city") == "Barcelona");
  CHECK(rec.Get("birth_date") == "2005-10-15");
  CHECK(rec.Get("website") == "https://example.com/?utm_medium=email");
  CHECK(rec.Get("created_at") == "2018-01-18T18:17:02Z");
  CHECK(rec.Get("utm_source") == "newsletter");
  CHECK(rec.Get("utm_campaign") == "spring");
  CHECK(rec.Get("gclid") == "abc");
  CHECK(rec.extra.at("hidden.user_id") == "u-42");
  CHECK(rec.extra.at("trips") == "London, Sydney");
  CHECK(rec.extra.at("newsletter") == "false");
  CHECK(rec.extra.at("team_size") == "5");
  CHECK(DeliveryKey(s, Json(kTypeform)) == "LtWXD3crgy");
}

TEST_CASE("typeform: Typeform-Signature is sha256= base64 HMAC", "[conn][typeform][verify]") {
  auto s = Source("tf", "typeform");
  std::string body = kTypeform;
  Payload p = Json(body);
  p.headers["typeform-signature"] = SignTypeform("tf-secret", body);
  CHECK(VerifySignature(s, p, "tf-secret").ok());
  CHECK(VerifySignature(s, p, "tf-other").message() == "Typeform-Signature does not verify");
  p.headers["typeform-signature"] = "sha256=" + HexEncode(HmacSha256("tf-secret", body));  // hex is not base64
  CHECK(VerifySignature(s, p, "tf-secret").code() == Code::kUnauthenticated);
}

TEST_CASE("typeform: shape errors", "[conn][typeform]") {
  auto s = Source("tf", "typeform");
  CHECK(ParseTypeform(s, Json(R"({"form_response":{}})")).status().where() == "/event_id");
  CHECK(ParseTypeform(s, Json(R"({"event_id":"e"})")).status().where() == "/form_response");
  CHECK(ParseTypeform(s, Json(R"({"event_id":"e","form_response":{"answers":{}}})")).status().where() ==
        "/form_response/answers");
  CHECK(ParseTypeform(s, Json(R"({"event_id":"e","form_response":{"answers":[{"type":"text","text":"x"}]}})"))
            .status()
            .where() == "/form_response/answers/0/field");
  CHECK(ParseTypeform(s, Json(R"({"event_id":"e","form_response":{"answers":[{"type":"email","field":{"ref":"r"}}]}})"))
            .status()
            .where() == "/form_response/answers/0/email");
  auto empty = ParseTypeform(s, Json(R"({"event_id":"e","form_response":{}})"));
  REQUIRE(empty.ok());  // a response with no answers is still a delivery
}

// ---------------------------------------------------------------------------------------------------------------
// Generic JSON / form webhooks: Idempotency-Key and an optional HMAC header of the operator's choosing.

TEST_CASE("generic webhooks: auth none or an HMAC header, and Idempotency-Key", "[conn][verify]") {
  auto s = Source("api", "json");
  std::string body = R"({"email":"a@x.com"})";
  Payload p = Json(body);
  // Fail closed: a source that does not say how it authenticates refuses (RuleSet::Parse refuses it first).
  CHECK(VerifySignature(s, p, "").code() == Code::kUnauthenticated);
  s.options["auth"] = "none";
  CHECK(VerifySignature(s, p, "").ok());
  s.options["auth"] = "hmac";
  CHECK(VerifySignature(s, p, "k").message() == "no signature scheme configured for this source");
  s.options["signature_header"] = "X-Canon-Signature";
  CHECK(VerifySignature(s, p, "k").message() == "missing X-Canon-Signature header");
  p.headers["x-canon-signature"] = HexEncode(HmacSha256("k", body));
  CHECK(VerifySignature(s, p, "k").ok());
  p.headers["x-canon-signature"] = "sha256=" + HexEncode(HmacSha256("k", body));
  CHECK(VerifySignature(s, p, "k").ok());
  CHECK(VerifySignature(s, p, "j").code() == Code::kUnauthenticated);

  // A signed source's key comes from what is signed (a replay is a redelivery), never the unsigned header.
  CHECK(DeliveryKey(s, p) == "sha256:" + HexEncode(Sha256(body)));
  p.headers["idempotency-key"] = " 8e03978e-40d5-43e8-bc93-6894a57f9324 ";
  CHECK(DeliveryKey(s, p) == "sha256:" + HexEncode(Sha256(body)));
  s.options.erase("signature_header");
  s.options["auth"] = "none";
  CHECK(DeliveryKey(s, p) == "8e03978e-40d5-43e8-bc93-6894a57f9324");
  auto recs = ParseJson(s, p);
  REQUIRE(recs.ok());
  CHECK(recs->front().delivery_key == "8e03978e-40d5-43e8-bc93-6894a57f9324");

  s.options["delivery_key_pointer"] = "/id";
  std::string with_id = R"({"id": 991, "email":"a@x.com"})";
  CHECK(DeliveryKey(s, Json(with_id)) == "991");
  CHECK(DeliveryKey(Source("f", "csv"), Json(with_id)).empty());
}

TEST_CASE("attribution: a page_url's other ad click ids land in extra, fields and explicit extras win",
          "[conn][attribution]") {
  Record rec;
  rec.fields["page_url"] = "https://example.com/lp?utm_source=tiktok&ttclid=E.C.P.abc&li_fat_id=&epik=dj0y#top";
  CaptureAttribution(&rec);
  CHECK(rec.Get("utm_source") == "tiktok");
  CHECK(rec.extra.at("ttclid") == "E.C.P.abc");
  CHECK(rec.extra.at("epik") == "dj0y");  // the fragment is not part of the value
  CHECK(rec.extra.count("li_fat_id") == 0);  // empty values are not captured
  CHECK(!rec.Has("ttclid"));                  // never a canonical field from here

  Record sent;
  sent.extra["ttclid"] = "from-the-form";
  sent.extra["landing_page"] = "https://example.com/?ttclid=from-the-url&gbraid=0AAAA";
  CaptureAttribution(&sent);
  CHECK(sent.extra.at("ttclid") == "from-the-form");
  CHECK(sent.extra.at("gbraid") == "0AAAA");
}

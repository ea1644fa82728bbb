// Attribution as a touch (issue 15, item 6), through real HTTP into a real canond, read back from PostgreSQL:
// one person, three visits (a Google Ads click, an organic LinkedIn post, a direct visit) and a record with
// no visit. The contact shows one coherent first touch and one coherent latest touch, never fields of two
// visits; its touches are listed by the admin API and canonctl; canonctl normalize derives what canond
// derived.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

struct Visit {
  std::string form;  // the form post
  std::string json;  // the same record as a canonctl normalize line
};

const std::vector<Visit> kVisits = {
    // 1. Paid search: Google Ads auto-tagging plus the usual manual tags, from google.com.
    {"email=ann.lee%40example.com&first_name=Ann&last_name=Lee"
     "&page_url=https%3A%2F%2Fwww.example.com%2Fpricing%3Futm_source%3Dgoogle%26utm_medium%3Dcpc%26utm_"
     "campaign%3D"
     "brand%26gclid%3DEAIaIQobChMI&referrer=https%3A%2F%2Fwww.google.com%2F",
     R"({"email":"ann.lee@example.com","first_name":"Ann","last_name":"Lee",)"
     R"("page_url":"https://www.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=EAIaIQobChMI",)"
     R"("referrer":"https://www.google.com/"})"},
    // 2. Organic social: an untagged link in a LinkedIn post.
    {"email=ann.lee%40example.com&first_name=Ann&last_name=Lee"
     "&page_url=https%3A%2F%2Fwww.example.com%2Fblog%2Fpost&referrer=https%3A%2F%2Fwww.linkedin.com%2Ffeed%"
     "2F",
     R"({"email":"ann.lee@example.com","first_name":"Ann","last_name":"Lee",)"
     R"("page_url":"https://www.example.com/blog/post","referrer":"https://www.linkedin.com/feed/"})"},
    // 3. Direct: typed in, no referrer, no tags.
    {"email=ann.lee%40example.com&first_name=Ann&last_name=Lee&page_url=https%3A%2F%2Fwww.example.com%"
     "2Fcontact",
     R"({"email":"ann.lee@example.com","first_name":"Ann","last_name":"Lee",)"
     R"("page_url":"https://www.example.com/contact"})"},
    // 4. No visit at all (a record from elsewhere): not a touch, so it never becomes the latest one.
    {"email=ann.lee%40example.com&first_name=Ann&last_name=Lee&job_title=CTO",
     R"({"email":"ann.lee@example.com","first_name":"Ann","last_name":"Lee","job_title":"CTO"})"},
};

const char* kTouchFields[] = {"lead_source",  "channel",  "utm_source",  "utm_medium",
                              "utm_campaign", "utm_term", "utm_content", "gclid",
                              "fbclid",       "msclkid",  "referrer",    "page_url"};

}  // namespace

TEST_CASE("one contact, three touches: a coherent first touch and a coherent latest touch",
          "[pg][attribution]") {
  TestDb db;
  Canond d(db);
  std::vector<std::string> records;
  for (size_t i = 0; i < kVisits.size(); ++i) {
    PostForm(d, kVisits[i].form);
    const std::string n = std::to_string(i + 1);
    REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", n) == n);
    REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status <> 'done'", "0") == "0");
    records.push_back(db.Scalar("SELECT max(id)::text FROM source_record"));
  }
  REQUIRE(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 1);
  const std::string contact = db.Scalar("SELECT id::text FROM contact WHERE merged_into IS NULL");
  REQUIRE(db.Count("SELECT count(*) FROM entity_member WHERE contact_id = $1", {contact}) == 4);

  // What canond derived for each visit.
  auto field = [&db](const std::string& record, const std::string& f) {
    return db.Scalar("SELECT normalized->'fields'->>$2 FROM source_record WHERE id = $1", {record, f});
  };
  CHECK(field(records[0], "channel") == "paid_search");
  CHECK(field(records[0], "utm_campaign") == "brand");  // from page_url's query string
  CHECK(field(records[0], "gclid") == "EAIaIQobChMI");
  CHECK(field(records[1], "channel") == "organic_social");
  CHECK(field(records[1], "lead_source") == "organic_social");
  CHECK(field(records[2], "channel") == "direct");
  CHECK(field(records[3], "channel") == "");

  auto col = [&db, &contact](const std::string& c) {
    return db.Scalar("SELECT " + c + " FROM contact WHERE id = $1", {contact});
  };
  // The first touch, whole: every original_* column and the unprefixed attribution columns.
  CHECK(col("original_channel") == "paid_search");
  CHECK(col("original_lead_source") == "paid_search");
  CHECK(col("original_utm_source") == "google");
  CHECK(col("original_utm_medium") == "cpc");
  CHECK(col("original_utm_campaign") == "brand");
  CHECK(col("original_gclid") == "EAIaIQobChMI");
  CHECK(col("original_referrer") == "https://www.google.com/");
  CHECK(col("lead_source || ' ' || channel || ' ' || utm_source || ' ' || gclid") ==
        "paid_search paid_search google EAIaIQobChMI");
  // The latest touch, whole: the direct visit, with none of the earlier visits' tags or referrer.
  CHECK(col("latest_channel") == "direct");
  CHECK(col("latest_lead_source") == "direct");
  CHECK(col("latest_page_url") == "https://www.example.com/contact");
  CHECK(col("coalesce(latest_utm_source, latest_gclid, latest_referrer, latest_utm_campaign, 'none')") ==
        "none");
  CHECK(col("job_title") == "CTO");  // the record without a visit still counts for other fields
  // Lineage: the two touches, and every attribution column at its touch's record, never another.
  CHECK(col("lineage->>'original_touch'") == records[0]);
  CHECK(col("lineage->>'latest_touch'") == records[2]);
  for (const char* f : kTouchFields) {
    INFO(f);
    for (const auto& [prefix, record] :
         {std::pair<std::string, std::string>{"original_", records[0]}, {"latest_", records[2]}}) {
      const std::string c = prefix + f;
      CHECK(col("CASE WHEN " + c + " IS NULL THEN 'ok' WHEN lineage->>'" + c + "' = '" + record + "' AND " +
                c + " = (SELECT normalized->'fields'->>'" + f + "' FROM source_record WHERE id = " + record +
                ") THEN 'ok' ELSE 'mixed' END") == "ok");
    }
    if (std::string(f) == "referrer" || std::string(f) == "page_url")
      continue;  // original_* and latest_* only
    CHECK(col("CASE WHEN " + std::string(f) + " IS NULL OR lineage->>'" + f + "' = '" + records[0] +
              "' THEN 'ok' ELSE 'mixed' END") == "ok");
  }

  // The touches, oldest first: admin API (viewer role) and canonctl, the same JSON.
  auto touches = HttpRequest(d.port(), "GET", "/admin/entities/" + contact + "/touches");
  REQUIRE(touches.status == 200);
  CHECK(db.Scalar(
            "SELECT string_agg((t->'fields'->>'channel') || ':' || (t->>'source_record'), ',' ORDER BY n) "
            "FROM jsonb_array_elements($1::jsonb->'touches') WITH ORDINALITY AS x(t, n)",
            {touches.body}) ==
        "paid_search:" + records[0] + ",organic_social:" + records[1] + ",direct:" + records[2]);
  CHECK(db.Scalar("SELECT ($1::jsonb->>'original_touch') || ' ' || ($1::jsonb->>'latest_touch') || ' ' || "
                  "($1::jsonb->>'contact_id')",
                  {touches.body}) == records[0] + " " + records[2] + " " + contact);
  CHECK(HttpRequest(d.port(), "GET", "/admin/entities/999999/touches").status == 404);
  CliRun cli = RunCanonctl("contacts touches " + contact + " --rules " + SourceDir() + "/rules --db '" +
                           db.conninfo() + "'");
  REQUIRE(cli.code == 0);
  CHECK(db.Scalar("SELECT ($1::jsonb = $2::jsonb)::text", {cli.out, touches.body}) == "true");
  CHECK(RunCanonctl("contacts touches 999999 --rules " + SourceDir() + "/rules --db '" + db.conninfo() + "'")
            .code == 1);

  // canonctl normalize derives what canond derived, page_url and referrer included.
  std::string in = "/tmp/canon-attribution-" + std::to_string(getpid()) + ".jsonl";
  {
    std::ofstream f(in);
    for (const auto& v : kVisits) f << v.json << "\n";
  }
  CliRun norm = RunCanonctl("normalize --rules " + SourceDir() + "/rules --source website", in);
  std::remove(in.c_str());
  REQUIRE(norm.code == 0);
  size_t at = 0;
  for (size_t i = 0; i < kVisits.size(); ++i) {
    INFO(kVisits[i].json);
    size_t b = norm.out.find("\"fields\":", at);
    size_t e = norm.out.find(",\"keys\":", b);
    REQUIRE(b != std::string::npos);
    REQUIRE(e != std::string::npos);
    std::string fields = norm.out.substr(b + 9, e - b - 9);
    at = e;
    CHECK(db.Scalar("SELECT (normalized->'fields' = $2::jsonb)::text FROM source_record WHERE id = $1",
                    {records[i], fields}) == "true");
  }
}

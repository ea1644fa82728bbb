// The steward page (GET /admin/review): served by a real canond with its security headers, without the admin
// token (the page is static and holds no data) while the JSON API it calls still needs it; and, [browser],
// driven in headless Chromium (tests/browser/review.spec.mjs) by a steward's token: decide a real queued pair by
// keyboard, unmerge it, search a person, open her entity, read the quality page and the drift report.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "connectors/hmac.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

const std::string kToken = "web-t0ken";

// Two records with the same name and postcodes one edit apart: a pair between the thresholds, queued for
// review. The job title is markup, as customer data may be: the page must show it as text.
std::string QueuePair(const TestDb& db, const Canond& d) {
  PostForm(d, "first_name=Ann&last_name=Wexford&phone=%2B1+415+555+0111&postal_code=94105&birth_date=1980-01-02");
  CHECK(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d,
           "first_name=Ann&last_name=Wexford&email=ann.w%40example.org&postal_code=94105&phone=%2B1+415+555+0199"
           "&birth_date=1975-06-30"
           "&job_title=%3Cimg+src%3Dx+onerror%3Dwindow.xss%3D1%3ECTO");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM merge_candidate WHERE status = 'pending'", "1") == "1");
  return db.Scalar("SELECT id::text FROM merge_candidate");
}

// The text between the first `open` and the next `close`.
std::string Between(const std::string& s, const std::string& open, const std::string& close) {
  auto a = s.find(open);
  if (a == std::string::npos) return {};
  a += open.size();
  auto b = s.find(close, a);
  return b == std::string::npos ? std::string() : s.substr(a, b - a);
}

std::string Header(const HttpResult& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

}  // namespace

TEST_CASE("the steward page is served without the token, with its security headers; its API needs the token",
          "[pg][web]") {
  TestDb db;
  Canond d(db, {{"admin_token", "\"" + kToken + "\""}});
  std::string cand = QueuePair(db, d);

  auto page = HttpRequest(d.port(), "GET", "/admin/review");
  REQUIRE(page.status == 200);
  CHECK(Header(page, "content-type") == "text/html; charset=utf-8");
  CHECK(Header(page, "x-content-type-options") == "nosniff");
  CHECK(Header(page, "cache-control") == "no-store");
  CHECK(Header(page, "referrer-policy") == "no-referrer");
  CHECK(Header(page, "x-frame-options") == "DENY");
  CHECK_THAT(page.body, Catch::StartsWith("<!doctype html>") && Catch::Contains("Canon · steward review"));
  CHECK_THAT(page.body, !Catch::Contains("Wexford"));  // static: no data in the page itself

  // The policy allows this page's own inline script and style by hash, and fetches to its own origin only.
  std::string csp = Header(page, "content-security-policy");
  INFO(csp);
  std::string script = Between(page.body, "<script>", "</script>");
  std::string style = Between(page.body, "<style>", "</style>");
  REQUIRE(!script.empty());
  REQUIRE(!style.empty());
  CHECK_THAT(csp, Catch::StartsWith("default-src 'none';") && Catch::Contains("connect-src 'self'") &&
                      Catch::Contains("frame-ancestors 'none'") && !Catch::Contains("unsafe-inline") &&
                      !Catch::Contains("unsafe-eval"));
  CHECK_THAT(csp, Catch::Contains("script-src 'sha256-" + Base64Encode(Sha256(script)) + "';"));
  CHECK_THAT(csp, Catch::Contains("style-src 'sha256-" + Base64Encode(Sha256(style)) + "';"));

  // Everything with data still needs the token; only GET of the page is open.
  CHECK(HttpRequest(d.port(), "GET", "/admin/queue").status == 401);
  CHECK(HttpRequest(d.port(), "GET", "/admin/queue/" + cand).status == 401);
  CHECK(HttpRequest(d.port(), "POST", "/admin/queue/" + cand + "/approve").status == 401);
  CHECK(HttpRequest(d.port(), "POST", "/admin/review").status == 401);
  CHECK(HttpRequest(d.port(), "GET", "/admin/review/x").status == 401);
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + kToken}};
  CHECK(HttpRequest(d.port(), "POST", "/admin/review", "", "", auth).status == 405);
  auto list = HttpRequest(d.port(), "GET", "/admin/queue", "", "", auth);
  CHECK(list.status == 200);
  CHECK_THAT(list.body, Catch::Contains("Wexford"));
  // The pair carries the thresholds in force, for the page's total-against-thresholds view.
  auto show = HttpRequest(d.port(), "GET", "/admin/queue/" + cand, "", "", auth);
  CHECK(show.status == 200);
  CHECK_THAT(show.body, Catch::Contains("\"thresholds\":{\"lower\":") && Catch::Contains("\"upper\":"));
  CHECK(db.Scalar("SELECT status FROM merge_candidate") == "pending");
}

TEST_CASE("a steward works in the page: queue by keyboard, entity, search, quality; in headless Chromium",
          "[pg][browser]") {
  const char* env_chromium = std::getenv("CANON_CHROMIUM");
  const std::string chromium = env_chromium && *env_chromium ? env_chromium : "/usr/bin/chromium";
  const std::string dir = SourceDir() + "/tests/browser";
  // Not skippable: a machine that cannot run this test fails it and says why.
  if (std::system("command -v node >/dev/null 2>&1") != 0)
    FAIL("node is not on PATH: the browser test needs Node.js 20+ to run tests/browser/review.spec.mjs");
  if (access(chromium.c_str(), X_OK) != 0)
    FAIL("no Chromium at " << chromium
                           << ": apt-get install chromium (scripts/lib.sh lists it), or set CANON_CHROMIUM");
  if (access((dir + "/node_modules/playwright-core/package.json").c_str(), R_OK) != 0)
    FAIL("playwright-core is not installed: run `npm ci` in tests/browser (scripts/test does)");

  TestDb db;
  const std::string steward = "steward-t0ken";
  Canond d(db, {{"token", "[{name = \"stew\", role = \"steward\", sha256 = \"" + HexEncode(Sha256(steward)) +
                              "\"}]"}});
  std::string cand = QueuePair(db, d);
  // A person to search for: two records (one e-mail: joined), two campaigns, a lead source nobody mapped.
  PostForm(d, "first_name=Priya&last_name=Raman&email=priya%40example.co.uk&phone=%2B44+20+7946+0321&country=GB"
              "&company=Raman+Consulting&utm_source=newsletter&utm_campaign=spring");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  PostForm(d, "first_name=Priya&last_name=Raman&email=priya%40example.co.uk&utm_source=linkedin"
              "&utm_campaign=webinar&lead_source=Carrier+pigeon");
  PostForm(d, "first_name=Nobody");  // nothing to match on: a dead letter
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "4") == "4");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM dead_letter", "1") == "1");
  // Screenshots are test artefacts, kept in the build directory.
  const std::string shots = BinaryDir() + "/browser-artefacts";
  std::filesystem::remove_all(shots);  // only this run's pictures
  std::filesystem::create_directories(shots);
  // The actor has markup in it: the page must show it as text, and the database must get it verbatim.
  const std::string actor = "rita <qa>";
  std::string cmd = "cd '" + dir + "' && timeout 180 node review.spec.mjs --url http://127.0.0.1:" +
                    std::to_string(d.port()) + " --token " + steward + " --actor '" + actor +
                    "' --chromium '" + chromium + "' --out '" + shots + "' 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = pclose(p);
  std::printf("review.spec.mjs: screenshots in %s\n", shots.c_str());
  INFO("review.spec.mjs output:\n" << out << "screenshots in " << shots);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  // The clicks really decided: approved by the typed name, merged, then split into two entities again.
  CHECK(db.Scalar("SELECT status || '/' || decided_by FROM merge_candidate WHERE id = $1", {cand}) ==
        "approved/" + actor);
  CHECK(db.Scalar("SELECT actor FROM merge_event WHERE kind = 'merge'") == actor);
  CHECK(db.Scalar("SELECT actor FROM merge_event WHERE kind = 'unmerge'") == actor);
  CHECK(db.Count("SELECT count(*) FROM contact WHERE merged_into IS NULL") == 3);  // Ann split in two, Priya
  for (const char* shot : {"queue-pair.png", "entity.png", "search.png", "quality.png", "drift.png"})
    CHECK(std::filesystem::file_size(shots + "/" + shot) > 10000);
}

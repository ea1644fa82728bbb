// GET /metrics is Prometheus text format 0.0.4 that an SRE can alert on (issue 16 item 4): a real canond
// takes traffic (accepted posts, a 413, 401s and a 403, a bad payload, a CSV file, a review pair, a rules
// reload), then its /metrics is read with the small text-format parser below and the values must be the
// traffic's.
//
// The parser checks what a Prometheus server would refuse: a sample before its family's HELP and TYPE, a
// sample of no declared family, a family's samples split by another family, a bad metric or label name, a bad
// escape in a label value, a duplicate series, a histogram whose buckets are not cumulative or whose +Inf
// bucket is not its _count. Its own test feeds it broken literals, so it is known to fail.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/hmac.h"
#include "daemon/metrics.h"
#include "tests/remote_client.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

struct Family {
  std::string help, type;
  std::vector<Sample> samples;
};

struct Exposition {
  std::map<std::string, Family> families;
  std::string error;  // the first violation, with its line; "" when the text is valid

  // The value of one sample; NaN when absent.
  double Value(const std::string& name, const Labels& labels = {}) const {
    for (const auto& [fname, f] : families)
      for (const Sample& s : f.samples)
        if (s.name == name && s.labels == labels) return s.value;
    return std::nan("");
  }
  bool Has(const std::string& family) const { return families.count(family) > 0; }
  // Every sample of `name` (any labels).
  std::vector<Sample> All(const std::string& name) const {
    std::vector<Sample> out;
    for (const auto& [fname, f] : families)
      for (const Sample& s : f.samples)
        if (s.name == name) out.push_back(s);
    return out;
  }
};

bool MetricName(const std::string& n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_' || n[0] == ':'))
    return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  return true;
}

bool LabelName(const std::string& n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

bool ParseValue(const std::string& t, double* out) {
  if (t == "+Inf" || t == "Inf") return *out = INFINITY, true;
  if (t == "-Inf") return *out = -INFINITY, true;
  if (t == "NaN") return *out = std::nan(""), true;
  if (t.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

// The family a sample name belongs to: itself, or for a histogram the name without _bucket, _sum or _count.
std::string FamilyOf(const std::string& name, const std::map<std::string, Family>& families) {
  if (families.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = families.find(base);
      if (it != families.end() && it->second.type == "histogram") return base;
    }
  }
  return {};
}

// Checks every histogram series: buckets in increasing le, counts not decreasing, +Inf last and == _count, a
// _sum.
std::string CheckHistograms(const Exposition& e) {
  for (const auto& [name, f] : e.families) {
    if (f.type != "histogram") continue;
    std::map<Labels, std::vector<std::pair<double, double>>> buckets;  // series -> (le, count) as written
    std::map<Labels, double> counts, sums;
    for (const Sample& s : f.samples) {
      Labels key = s.labels;
      if (s.name == name + "_bucket") {
        auto le = key.find("le");
        double bound;
        if (le == key.end() || !ParseValue(le->second, &bound)) return name + ": a bucket without a valid le";
        key.erase(le);
        buckets[key].push_back({bound, s.value});
      } else if (s.name == name + "_count") {
        counts[key] = s.value;
      } else if (s.name == name + "_sum") {
        sums[key] = s.value;
      } else {
        return name + ": sample " + s.name + " in a histogram";
      }
    }
    for (const auto& [key, b] : buckets) {
      for (size_t i = 1; i < b.size(); ++i) {
        if (!(b[i].first > b[i - 1].first)) return name + ": le not increasing";
        if (b[i].second < b[i - 1].second) return name + ": bucket counts decrease";
      }
      if (b.empty() || !std::isinf(b.back().first)) return name + ": no +Inf bucket";
      if (!counts.count(key)) return name + ": no _count";
      if (b.back().second != counts.at(key)) return name + ": +Inf bucket != _count";
      if (!sums.count(key)) return name + ": no _sum";
    }
    if (counts.size() != buckets.size() || sums.size() != buckets.size())
      return name + ": _count/_sum without buckets";
  }
  return {};
}

// The text format, version 0.0.4 (as Prometheus reads it), with HELP and TYPE required for every family.
Exposition Parse(const std::string& text) {
  Exposition e;
  std::set<std::string> closed;  // families whose samples are over (another family's started)
  std::set<std::pair<std::string, Labels>> seen;
  std::string current;
  size_t pos = 0;
  int line_no = 0;
  auto fail = [&](const std::string& why) {
    e.error = "line " + std::to_string(line_no) + ": " + why;
    return e;
  };
  if (!text.empty() && text.back() != '\n') return fail("the text does not end with a newline");
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream in(line.substr(1));
      std::string keyword, name;
      in >> keyword >> name;
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
      if (!MetricName(name)) return fail("bad metric name '" + name + "'");
      std::string rest;
      std::getline(in >> std::ws, rest);
      Family& f = e.families[name];
      if (closed.count(name) || (!f.samples.empty()))
        return fail(keyword + " of " + name + " after its samples");
      if (current != name && !current.empty()) closed.insert(current);
      current = name;
      if (keyword == "HELP") {
        if (!f.help.empty()) return fail("second HELP for " + name);
        for (size_t i = 0; i < rest.size(); ++i)
          if (rest[i] == '\\' && (i + 1 >= rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n')))
            return fail("bad escape in HELP");
          else if (rest[i] == '\\')
            ++i;
        f.help = rest.empty() ? " " : rest;
      } else {
        if (!f.type.empty()) return fail("second TYPE for " + name);
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(rest)) return fail("unknown type '" + rest + "'");
        f.type = rest;
      }
      continue;
    }
    // name[{labels}] value [timestamp]
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
    if (!MetricName(s.name)) return fail("bad metric name '" + s.name + "'");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::string lname;
        while (i < line.size() && line[i] != '=') lname += line[i++];
        if (!LabelName(lname)) return fail("bad label name '" + lname + "'");
        if (++i >= line.size() || line[i] != '"') return fail("label value not quoted");
        std::string value;
        for (++i;; ++i) {
          if (i >= line.size()) return fail("unterminated label value");
          if (line[i] == '"') break;
          if (line[i] == '\\') {
            if (++i >= line.size()) return fail("unterminated escape");
            if (line[i] == 'n')
              value += '\n';
            else if (line[i] == '\\' || line[i] == '"')
              value += line[i];
            else
              return fail(std::string("bad escape \\") + line[i]);
          } else {
            value += line[i];
          }
        }
        ++i;  // the closing quote
        if (!s.labels.emplace(lname, value).second) return fail("label " + lname + " twice");
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i >= line.size() || line[i] != '}')
          return fail("expected , or } after a label");
      }
      if (i >= line.size()) return fail("unterminated label set");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return fail("no value");
    std::istringstream in(line.substr(i));
    std::string value, timestamp, extra;
    in >> value >> timestamp >> extra;
    if (!ParseValue(value, &s.value)) return fail("bad value '" + value + "'");
    if (!extra.empty()) return fail("text after the timestamp");
    std::string family = FamilyOf(s.name, e.families);
    if (family.empty()) return fail("sample " + s.name + " of no declared family");
    Family& f = e.families[family];
    if (f.help.empty() || f.type.empty()) return fail(family + " has no HELP or no TYPE before its samples");
    if (closed.count(family)) return fail(family + "'s samples are split by another family");
    if (current != family) {
      if (!current.empty()) closed.insert(current);
      current = family;
    }
    if (f.type == "counter" && !(s.value >= 0)) return fail("a counter below 0");
    if (!seen.insert({s.name, s.labels}).second) return fail("duplicate series " + s.name);
    f.samples.push_back(std::move(s));
  }
  for (const auto& [name, f] : e.families)
    if (f.help.empty() || f.type.empty()) return fail(name + " lacks HELP or TYPE");
  e.error = CheckHistograms(e);
  return e;
}

std::string Fixture(const std::string& body) {
  return "# HELP h_seconds Latency.\n# TYPE h_seconds histogram\n" + body;
}

}  // namespace

TEST_CASE("the test's text-format parser refuses what Prometheus refuses", "[metrics]") {
  const std::string good =
      "# HELP a_total Things, with a \\\\ and a \\n.\n# TYPE a_total counter\n"
      "a_total{route=\"/x\",status=\"200\"} 3\na_total{route=\"q\\\"\\\\\\n\",status=\"413\",} 1\n"
      "# HELP g Gauge.\n# TYPE g gauge\ng 0.5 1700000000\n";
  Exposition ok = Parse(good);
  INFO(ok.error);
  REQUIRE(ok.error.empty());
  CHECK(ok.Value("a_total", {{"route", "q\"\\\n"}, {"status", "413"}}) == 1);
  CHECK(ok.Value("g") == 0.5);
  const std::string hist =
      "h_seconds_bucket{le=\"0.1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_sum 0.3\n"
      "h_seconds_count 2\n";
  CHECK(Parse(Fixture(hist)).error.empty());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a_total 1\n", "no declared family"},
      {"# TYPE a_total counter\na_total 1\n", "no HELP"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"\\t\"} 1\n", "bad escape"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total{x=y} 1\n", "not quoted"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total{1x=\"y\"} 1\n", "bad label name"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n", "duplicate"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total one\n", "bad value"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total 1", "newline"},
      {"# HELP a A.\n# TYPE a gauge\n# HELP b B.\n# TYPE b gauge\nb 1\na 1\n", "split"},
      {"# HELP a A.\n# TYPE a gauge\na 1\n# HELP a A.\n", "after its samples"},
      {Fixture("h_seconds_bucket{le=\"0.1\"} 3\nh_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_sum "
               "1\nh_seconds_count 2\n"),
       "decrease"},
      {Fixture("h_seconds_bucket{le=\"0.1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_sum "
               "1\nh_seconds_count 3\n"),
       "!= _count"},
      {Fixture("h_seconds_bucket{le=\"0.1\"} 1\nh_seconds_sum 1\nh_seconds_count 1\n"), "no +Inf"},
      {Fixture("h_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_bucket{le=\"0.1\"} 1\nh_seconds_sum "
               "1\nh_seconds_count 1\n"),
       "not increasing"},
  };
  for (const auto& [text, why] : bad) {
    INFO(text);
    CHECK_THAT(Parse(text).error, Catch::Contains(why));
  }
}

TEST_CASE("the registry writes every family with HELP and TYPE, histograms cumulative with +Inf == _count",
          "[metrics]") {
  daemon::DaemonMetrics m;
  m.http_requests.With({"/ingest/{source}", "413"}).Inc();
  m.intake.With({"we\"b\\site\n", "accepted"}).Inc(2);
  daemon::Histogram& h = m.http_duration.With({"/healthz"});
  for (double v : {0.0005, 0.001, 0.003, 20.0}) h.Observe(v);
  Exposition e = Parse(m.Write(true));
  INFO(e.error);
  REQUIRE(e.error.empty());
  CHECK(e.Value("canon_http_requests_total", {{"route", "/ingest/{source}"}, {"status", "413"}}) == 1);
  CHECK(e.Value("canon_intake_total", {{"source", "we\"b\\site\n"}, {"outcome", "accepted"}}) == 2);
  // A value equal to a bound counts in that bucket (le = "less or equal").
  CHECK(e.Value("canon_http_request_duration_seconds_bucket", {{"route", "/healthz"}, {"le", "0.001"}}) == 2);
  CHECK(e.Value("canon_http_request_duration_seconds_bucket", {{"route", "/healthz"}, {"le", "0.005"}}) == 3);
  CHECK(e.Value("canon_http_request_duration_seconds_bucket", {{"route", "/healthz"}, {"le", "10"}}) == 3);
  CHECK(e.Value("canon_http_request_duration_seconds_count", {{"route", "/healthz"}}) == 4);
  CHECK(e.Value("canon_http_request_duration_seconds_sum", {{"route", "/healthz"}}) == Approx(20.0045));
  CHECK(e.Value("canon_build_info",
                {{"version", CANON_TEST_VERSION}, {"compiler", daemon::CompilerName()}}) == 1);
  // Families without labels, and fixed outcomes, read 0 before their first count.
  CHECK(e.Value("canon_intake_refused_total") == 0);
  CHECK(e.Value("canon_dead_letters_total", {{"stage", "fetch"}}) == 0);
  // Without source names: no family labelled by source at all, the others intact.
  Exposition hidden = Parse(m.Write(false));
  REQUIRE(hidden.error.empty());
  CHECK_FALSE(hidden.Has("canon_intake_total"));
  CHECK(hidden.Has("canon_http_requests_total"));
}

namespace {

std::map<std::string, std::string> Bearer(const std::string& secret) {
  return {{"Authorization", "Bearer " + secret}};
}

std::string Token(const std::string& name, const std::string& role, const std::string& secret) {
  return "{name = \"" + name + "\", role = \"" + role + "\", sha256 = \"" + HexEncode(Sha256(secret)) + "\"}";
}

}  // namespace

TEST_CASE("GET /metrics parses as Prometheus text and counts the traffic a real canond took",
          "[pg][metrics]") {
  TempDir tmp("canon-metrics");
  const std::string folder = tmp.path + "/drop";
  TestDb db;
  RulesCopy rules;
  rules.Replace("sources.toml", "folder = \"var/drop/contacts\"", "folder = \"" + folder + "\"");
  Canond d(db,
           {{"token", "[" + Token("vera", "viewer", "viewer-t0ken") + ", " +
                          Token("adam", "admin", "admin-t0ken") + "]"},
            {"metrics_token_sha256", "\"" + HexEncode(Sha256("scrape-t0ken")) + "\""},
            {"max_body_bytes", "4096"}},
           rules.rules());

  // A review pair (same name and postcode, another phone and birth date) and a third, unrelated person: 2 new, 1 review.
  PostForm(d, "first_name=Tomasz&last_name=Brzezinski&phone=%2B1+312+555+0199&postal_code=60601&birth_date=1980-01-02");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  PostForm(d, "first_name=Tomasz&last_name=Brzezinski&email=tb%40example.net&postal_code=60601"
              "&phone=%2B1+312+555+0142&birth_date=1975-06-30");
  PostForm(d, "first_name=Ingrid&last_name=Solberg&email=ingrid.solberg%40example.no");
  // A JSON body that is not JSON: 400, kept as a dead letter of stage intake.
  CHECK(HttpRequest(d.port(), "POST", "/ingest/api", "{not json", "application/json").status == 400);
  // Over max_body_bytes: the HTTP server answers 413 itself.
  CHECK(HttpRequest(d.port(), "POST", "/ingest/website", "email=" + std::string(5000, 'x'),
                    "application/x-www-form-urlencoded")
            .status == 413);
  // Admin: 401 without a token (twice), 403 to a viewer asking for an admin action, 200 to the viewer's read.
  CHECK(HttpRequest(d.port(), "GET", "/admin/queue").status == 401);
  CHECK(HttpRequest(d.port(), "GET", "/admin/queue", "", "", Bearer("wrong")).status == 401);
  CHECK(HttpRequest(d.port(), "POST", "/admin/rules/reload", "", "", Bearer("viewer-t0ken")).status == 403);
  CHECK(HttpRequest(d.port(), "POST", "/admin/rules/reload", "", "", Bearer("admin-t0ken")).status == 200);
  // A CSV file: two rows written, one refused (a stray character after a closing quote).
  const std::string csv =
      "email,first_name,last_name\n"
      "ann.lee@example.com,Ann,Lee\n"
      "\"bob@example.com\"x,Bob,Ray\n"
      "cy.young@example.com,Cy,Young\n";
  fs::create_directories(folder);
  std::ofstream(folder + "/.people.csv.tmp", std::ios::binary) << csv;
  fs::rename(folder + "/.people.csv.tmp", folder + "/people.csv");
  REQUIRE(WaitFile(folder + "/done/people.csv"));
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0") == "0");
  REQUIRE(WaitFor(db, "SELECT count(*) FROM merge_candidate WHERE status = 'pending'", "1") == "1");

  // /metrics takes its own token: 401 without it (counted too, under /metrics).
  CHECK(HttpRequest(d.port(), "GET", "/metrics").status == 401);
  auto m = HttpRequest(d.port(), "GET", "/metrics", "", "", Bearer("scrape-t0ken"));
  REQUIRE(m.status == 200);
  CHECK(m.headers["content-type"].rfind("text/plain; version=0.0.4", 0) == 0);
  Exposition e = Parse(m.body);
  INFO(e.error);
  REQUIRE(e.error.empty());

  // Requests by route pattern (never the raw path) and status.
  auto requests = [&](const std::string& route, const std::string& status) {
    return e.Value("canon_http_requests_total", {{"route", route}, {"status", status}});
  };
  CHECK(requests("/ingest/{source}", "202") == 3);
  CHECK(requests("/ingest/{source}", "400") == 1);
  CHECK(requests("/ingest/{source}", "413") == 1);
  CHECK(requests("/admin/queue", "401") == 2);
  CHECK(requests("/admin/rules/reload", "403") == 1);
  CHECK(requests("/admin/rules/reload", "200") == 1);
  CHECK(requests("/metrics", "401") == 1);
  for (const Sample& s : e.All("canon_http_requests_total"))
    CHECK(s.labels.at("route").find("website") == std::string::npos);
  // Latency: every request the router answered (the 413 is the server's own, counted but not timed).
  CHECK(e.Value("canon_http_request_duration_seconds_count", {{"route", "/ingest/{source}"}}) == 4);
  CHECK(e.Value("canon_http_request_duration_seconds_count", {{"route", "/admin/queue"}}) == 2);
  CHECK(e.Value("canon_http_request_duration_seconds_sum", {{"route", "/ingest/{source}"}}) > 0);
  CHECK(e.families.at("canon_http_request_duration_seconds").type == "histogram");

  // Intake by source (the scraper holds the metrics token, so source names are shown).
  CHECK(e.Value("canon_intake_total", {{"source", "website"}, {"outcome", "accepted"}}) == 3);
  CHECK(e.Value("canon_intake_total", {{"source", "api"}, {"outcome", "bad_payload"}}) == 1);

  // Queues, read from PostgreSQL at the scrape.
  CHECK(e.Value("canon_store_up") == 1);
  CHECK(e.Value("canon_inbox_pending") == 0);
  CHECK(e.Value("canon_inbox_oldest_pending_age_seconds") == 0);
  CHECK(e.Value("canon_review_queue", {{"status", "pending"}}) == 1);
  CHECK(e.Value("canon_review_queue", {{"status", "deferred"}}) == 0);
  const double review_age = e.Value("canon_review_queue_oldest_age_seconds");
  CHECK(review_age > 0);
  CHECK(review_age < 120);

  // Workers: records by outcome, dead letters by stage, batch durations.
  CHECK(e.Value("canon_records_total", {{"outcome", "new"}}) == 2);
  CHECK(e.Value("canon_records_total", {{"outcome", "review"}}) == 1);
  CHECK(e.Value("canon_records_total", {{"outcome", "joined"}}) == 0);
  CHECK(e.Value("canon_dead_letters_total", {{"stage", "validate"}}) == 0);
  CHECK(e.Value("canon_rules_reloads_total", {{"result", "failure"}}) == 0);
  CHECK(e.Value("canon_dead_letters_total", {{"stage", "intake"}}) == 1);
  CHECK(e.Value("canon_worker_processed_total") == 3);
  CHECK(e.Value("canon_worker_failed_total") == 0);
  const double batches = e.Value("canon_worker_batch_duration_seconds_count");
  CHECK(batches >= 1);
  CHECK(batches <= 3);

  // The CSV file, by source: rows, bytes, files.
  CHECK(e.Value("canon_csv_import_rows_total", {{"source", "contacts_csv"}, {"result", "ok"}}) == 2);
  CHECK(e.Value("canon_csv_import_rows_total", {{"source", "contacts_csv"}, {"result", "refused"}}) == 1);
  CHECK(e.Value("canon_csv_import_bytes_total", {{"source", "contacts_csv"}}) ==
        static_cast<double>(csv.size()));
  CHECK(e.Value("canon_csv_import_files_total", {{"source", "contacts_csv"}, {"status", "done"}}) == 1);
  CHECK(e.Value("canon_csv_import_file_bytes", {{"source", "contacts_csv"}}) == 0);  // none in progress

  // Rules: the version in force, and the loads (start-up and the reload) that succeeded.
  auto version = HttpRequest(d.port(), "GET", "/admin/rules", "", "", Bearer("viewer-t0ken"));
  REQUIRE(version.status == 200);
  const std::string v = version.body.substr(version.body.find(":\"") + 2,
                                            version.body.rfind('"') - version.body.find(":\"") - 2);
  CHECK(e.Value("canon_rules_info", {{"version", v}}) == 1);
  CHECK(e.All("canon_rules_info").size() == 1);
  CHECK(e.Value("canon_rules_reloads_total", {{"result", "success"}}) == 2);

  // Connections and build.
  CHECK(e.Value("canon_pg_connections", {{"role", "worker"}}) >= 1);
  CHECK(e.Value("canon_pg_connections", {{"role", "metrics"}}) == 1);
  CHECK(e.Value("canon_pg_connections_in_use", {{"role", "writer"}}) >= 0);
  CHECK(e.Value("canon_pg_waiting", {{"role", "writer"}}) == 0);
  REQUIRE(e.All("canon_build_info").size() == 1);
  const Sample build = e.All("canon_build_info")[0];
  CHECK(build.value == 1);
  CHECK(build.labels.at("version") == CANON_TEST_VERSION);
  CHECK_THAT(build.labels.at("compiler"), Catch::StartsWith("gcc ") || Catch::StartsWith("clang "));
}

TEST_CASE("/metrics shows the inbox backlog; without a metrics token, source names only to loopback",
          "[pg][metrics]") {
  TestDb db;
  Canond d(db, {{"workers", "0"}});  // nothing takes the rows: they stay pending
  PostForm(d, "first_name=Ada&last_name=Lovelace&email=ada%40example.org");
  PostForm(d, "first_name=Alan&last_name=Turing&email=alan%40example.org");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto m = HttpRequest(d.port(), "GET", "/metrics");
  REQUIRE(m.status == 200);
  Exposition e = Parse(m.body);
  INFO(e.error);
  REQUIRE(e.error.empty());
  CHECK(e.Value("canon_inbox_pending") == 2);
  CHECK(e.Value("canon_inbox_oldest_pending_age_seconds") >= 1);
  CHECK(e.Value("canon_pg_connections", {{"role", "worker"}}) == 0);
  CHECK(e.Value("canon_intake_total", {{"source", "website"}, {"outcome", "accepted"}}) == 2);

  const std::string ip = LocalNonLoopbackIp();
  if (ip.empty()) FAIL("this machine has no non-loopback IPv4 address to be a remote client from");
  auto remote = HttpRequestFrom(ip, d.port(), "GET", "/metrics");
  REQUIRE(remote.status == 200);
  Exposition r = Parse(remote.body);
  INFO(r.error);
  REQUIRE(r.error.empty());
  CHECK_THAT(remote.body, !Catch::Contains("website"));
  CHECK_FALSE(r.Has("canon_intake_total"));
  CHECK(r.Value("canon_intake_accepted_total") == 2);
  CHECK(r.Value("canon_inbox_pending") == 2);
}

// Rules reload in a running canond (issue 3): a broken rule file is refused with its file:line and reason, the
// daemon keeps normalizing with the old set; a fixed file takes effect on the next record, by SIGHUP, by
// POST /admin/rules/reload, or by `canonctl rules reload`.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

const char* kForm = "application/x-www-form-urlencoded";

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


std::string RulesVersion(uint16_t port) {
  auto r = HttpRequest(port, "GET", "/admin/rules");
  REQUIRE(r.status == 200);
  auto p = r.body.find("\"rules_version\":\"");
  REQUIRE(p != std::string::npos);
  p += 17;
  return r.body.substr(p, r.body.find('"', p) - p);
}

// Waits until the daemon's log contains `needle` `times` times (a SIGHUP is handled asynchronously).
bool WaitLog(const Canond& d, const std::string& needle, int times = 1) {
  for (int i = 0; i < 200; ++i) {
    std::string log = d.Log();
    int n = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    if (n >= times) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The caller's own CANON_ADMIN_TOKEN must not leak into the cases that pass a token (or none) explicitly.
CliRun CanonctlReload(const std::string& args) {
  return RunCanonctl("rules reload " + args, {}, "env -u CANON_ADMIN_TOKEN");
}

}  // namespace

TEST_CASE("SIGHUP with a broken rule file keeps the old rules; a fixed file takes effect on the next record",
          "[pg][drift][reload]") {
  TestDb db;
  RulesCopy rules;
  Canond d(db, {}, rules.rules());
  const std::string original = ReadText(rules.Path("vocabularies/lead_source.toml"));

  REQUIRE(HttpRequest(d.port(), "POST", "/ingest/website", "email=r1@reload.org&lead_source=PPC", kForm).status == 202);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "1") == "1");
  const std::string v1 = db.Scalar("SELECT rules_version FROM source_record");
  REQUIRE(!v1.empty());
  CHECK(RulesVersion(d.port()) == v1);

  // Break the file: an unclosed table header on a known line.
  int broken_line = static_cast<int>(std::count(original.begin(), original.end(), '\n')) + 1;
  std::ofstream(rules.Path("vocabularies/lead_source.toml"), std::ios::trunc) << original << "[[value]\n";
  REQUIRE(kill(d.pid(), SIGHUP) == 0);
  REQUIRE(WaitLog(d, "rules reload refused"));
  std::string log = d.Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("lead_source.toml:" + std::to_string(broken_line)));
  CHECK_THAT(log, Catch::Contains("the previous rules stay in force"));
  CHECK(RulesVersion(d.port()) == v1);

  // Still normalizing, with the old set.
  REQUIRE(HttpRequest(d.port(), "POST", "/ingest/website", "email=r2@reload.org&lead_source=PPC&first_name=ann",
                      kForm).status == 202);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "2") == "2");
  CHECK(db.Scalar("SELECT rules_version FROM source_record ORDER BY id DESC LIMIT 1") == v1);
  CHECK(db.Scalar("SELECT normalized->'fields'->>'lead_source' FROM source_record ORDER BY id DESC LIMIT 1") ==
        "paid_search");
  CHECK(db.Scalar("SELECT first_name FROM contact WHERE email = 'r2@reload.org'") == "Ann");

  // The admin route refuses the same file with where, and so does canonctl (exit 1).
  auto refused = HttpRequest(d.port(), "POST", "/admin/rules/reload");
  CHECK(refused.status == 422);
  CHECK_THAT(refused.body, Catch::Contains("\"error\":\"rules_invalid\""));
  CHECK_THAT(refused.body, Catch::Contains("\"where\":\"") &&
                               Catch::Contains("lead_source.toml:" + std::to_string(broken_line)));
  std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  auto cli_refused = CanonctlReload(url);
  CHECK(cli_refused.code == 1);
  CHECK_THAT(cli_refused.out, Catch::Contains("lead_source.toml:" + std::to_string(broken_line)) &&
                                  Catch::Contains("previous rules stay in force"));

  // Fix it with a real change: a new alias, and its example now expects the mapping.
  std::string fixed = original;
  auto at = fixed.find("\"Offline Sources\", \"Phone Inquiry\"]");
  REQUIRE(at != std::string::npos);
  fixed.insert(fixed.find(']', at), ", \"Carrier pigeon\"");
  auto ex = fixed.find("input = \"Carrier pigeon\"\nquarantined = true");
  REQUIRE(ex != std::string::npos);
  fixed.replace(ex, std::string("input = \"Carrier pigeon\"\nquarantined = true").size(),
                "input = \"Carrier pigeon\"\nexpect = \"offline\"");
  std::ofstream(rules.Path("vocabularies/lead_source.toml"), std::ios::trunc) << fixed;
  REQUIRE(kill(d.pid(), SIGHUP) == 0);
  REQUIRE(WaitLog(d, "rules loaded from", 2));
  const std::string v2 = RulesVersion(d.port());
  CHECK(v2 != v1);

  REQUIRE(HttpRequest(d.port(), "POST", "/ingest/website", "email=r3@reload.org&lead_source=Carrier+pigeon", kForm)
              .status == 202);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM source_record", "3") == "3");
  CHECK(db.Scalar("SELECT rules_version FROM source_record ORDER BY id DESC LIMIT 1") == v2);
  CHECK(db.Scalar("SELECT lead_source FROM contact WHERE email = 'r3@reload.org'") == "offline");
  CHECK(db.Count("SELECT count(*) FROM quarantine") == 0);

  // The admin route and canonctl accept a good set.
  auto ok = HttpRequest(d.port(), "POST", "/admin/rules/reload");
  CHECK(ok.status == 200);
  CHECK(ok.body == "{\"status\":\"reloaded\",\"rules_version\":\"" + v2 + "\"}");
  auto cli_ok = CanonctlReload(url);
  CHECK(cli_ok.code == 0);
  CHECK(cli_ok.out == "reloaded: rules version " + v2 + "\n");
  CHECK(d.Stop() == 0);
}

TEST_CASE("canonctl rules reload sends the admin token; without it the daemon refuses", "[pg][drift][reload]") {
  TestDb db;
  Canond d(db, {{"admin_token", "\"t0ken-for-reload\""}});
  std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  auto denied = CanonctlReload(url + " --token wrong");
  CHECK(denied.code == 2);
  CHECK_THAT(denied.out, Catch::Contains("HTTP 401"));
  auto ok = CanonctlReload(url + " --token t0ken-for-reload");
  INFO(ok.out);
  CHECK(ok.code == 0);
  CHECK_THAT(ok.out, Catch::StartsWith("reloaded: rules version "));
  auto env = CanonctlReload(url);  // no token, no CANON_ADMIN_TOKEN
  CHECK(env.code == 2);
  std::string cmd = "CANON_ADMIN_TOKEN=t0ken-for-reload " + BinaryDir() + "/canonctl rules reload " + url +
                    " >/dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
  // Nothing listening: an environment error, not a refusal.
  auto down = CanonctlReload("--url http://127.0.0.1:" + std::to_string(FreePort()));
  CHECK(down.code == 2);
  CHECK_THAT(down.out, Catch::Contains("refused"));
}

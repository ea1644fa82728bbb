// canonctl rules check / test / normalize as an operator runs them: real binary, real files, exit codes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "connectors/rule_dir.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using canon::test::CliRun;
using canon::test::RunCanonctl;

namespace {

// A scratch rules directory: the shipped sources.toml plus the files a case writes.
struct ScratchRules {
  fs::path root;
  ScratchRules() {
    root = fs::temp_directory_path() / ("canon-rules-cli-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "rules" / "vocabularies");
    fs::copy_file(fs::path(CANON_SOURCE_DIR) / "rules" / "sources.toml", root / "rules" / "sources.toml");
  }
  ~ScratchRules() { fs::remove_all(root); }
  void Write(const std::string& rel, const std::string& text) const {
    std::ofstream(root / "rules" / rel, std::ios::binary) << text;
  }
  std::string dir() const { return (root / "rules").string(); }
};

}  // namespace

TEST_CASE("canonctl rules check passes on the shipped rules and names file:line on errors", "[rules]") {
  CliRun ok = RunCanonctl("rules check " CANON_SOURCE_DIR "/rules");
  CHECK(ok.code == 0);
  CHECK(ok.out.find("ok: ") != std::string::npos);

  ScratchRules s;
  s.Write("vocabularies/lead_source.toml", "[[value]]\ncode = \"paid_search\"\naliases = [\"PPC\"\n");
  CliRun syntax = RunCanonctl("rules check " + s.dir());
  CHECK(syntax.code == 1);
  CHECK(syntax.out.find(s.dir() + "/vocabularies/lead_source.toml:3:") != std::string::npos);
  CHECK(syntax.out.find("TOML syntax error") != std::string::npos);

  s.Write("vocabularies/lead_source.toml",
          "[[value]]\ncode = \"paid_search\"\naliases = [\"PPC\"]\n\n[[value]]\ncode = \"email\"\n"
          "aliases = [\"newsletter\", \"P.P.C.\"]\n");
  CliRun dup = RunCanonctl("rules check " + s.dir());
  CHECK(dup.code == 1);
  CHECK(dup.out.find(s.dir() + "/vocabularies/lead_source.toml:7:26: error: alias 'P.P.C.' maps to two values") !=
        std::string::npos);
  CHECK(dup.out.find("lead_source.toml:3:12") != std::string::npos);
}

TEST_CASE("canonctl rules test runs the examples and fails on a wrong one", "[rules]") {
  CliRun shipped = RunCanonctl("rules test " CANON_SOURCE_DIR "/rules");
  CHECK(shipped.code == 0);
  CHECK(shipped.out.find(" passed, 0 failed") != std::string::npos);

  ScratchRules s;
  s.Write("vocabularies/lead_source.toml",
          "[[value]]\ncode = \"paid_search\"\naliases = [\"PPC\"]\n"
          "[[example]]\nfield = \"lead_source\"\ninput = \"PPC\"\nexpect = \"paid_search\"\n"
          "[[example]]\nfield = \"lead_source\"\ninput = \"PPC\"\nexpect = \"email\"\n");
  CliRun r = RunCanonctl("rules test " + s.dir());
  CHECK(r.code == 1);
  CHECK(r.out.find("1 passed, 1 failed") != std::string::npos);
  CHECK(r.out.find("lead_source.toml:8:1: FAIL") != std::string::npos);
  // Nothing listens on a fresh free port: no daemon to reload is an environment error (exit 2).
  CHECK(RunCanonctl("rules reload --url http://127.0.0.1:" + std::to_string(canon::test::FreePort())).code == 2);
}

TEST_CASE("canonctl normalize turns JSON Lines into canonical records with reasons", "[rules]") {
  ScratchRules s;
  fs::path in = s.root / "in.jsonl";
  std::ofstream(in) << R"({"email":" John.Smith+promo@GMAIL.com ","lead_source":"PPC","country":"UK"})" << "\n"
                    << R"({"email":"bob@@example"})" << "\n"
                    << R"({"email":"a@example.com","lead_source":"Carrier pigeon"})" << "\n";
  CliRun r = RunCanonctl("normalize --rules " CANON_SOURCE_DIR "/rules", in.string());
  CHECK(r.code == 0);
  CHECK(r.out.find(R"("email":"John.Smith+promo@gmail.com")") != std::string::npos);
  CHECK(r.out.find(R"("email_key":"johnsmith@gmail.com")") != std::string::npos);
  CHECK(r.out.find(R"("lead_source":"paid_search")") != std::string::npos);
  CHECK(r.out.find(R"("country":"GB")") != std::string::npos);
  CHECK(r.out.find(R"("rejected":[{"field":"email","value":"bob@@example","reason":"not an e-mail address)") !=
        std::string::npos);
  CHECK(r.out.find(R"("quarantine":[{"field":"lead_source","value":"Carrier pigeon")") != std::string::npos);

  // Attribution as canond derives it: tags from a landing page URL the connectors read (an extra "url" here),
  // the referrer, the GA4 channel and lead_source.
  fs::path visit = s.root / "visit.jsonl";
  std::ofstream(visit) << R"({"email":"a@example.com","url":"https://x.com/?utm_source=google&utm_medium=cpc"})"
                       << "\n"
                       << R"({"email":"b@example.com","page_url":"https://x.com/","referrer":"https://t.co/x"})"
                       << "\n";
  CliRun v = RunCanonctl("normalize --rules " CANON_SOURCE_DIR "/rules", visit.string());
  CHECK(v.code == 0);
  CHECK(v.out.find(R"("channel":"paid_search")") != std::string::npos);
  CHECK(v.out.find(R"("utm_source":"google")") != std::string::npos);
  CHECK(v.out.find(R"("channel":"organic_social")") != std::string::npos);
  CHECK(v.out.find(R"("referrer":"https://t.co/x")") != std::string::npos);
}

namespace {

// canond with a config naming `rules_dir`, run to its exit: code and output. The database is never reached when
// the rules are refused (they are loaded first).
CliRun RunCanond(const std::string& rules_dir, const std::string& env_prefix = {}) {
  fs::path cfg = fs::temp_directory_path() / ("canon-rules-cli-canond-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(cfg) << "listen = \"127.0.0.1:0\"\ndatabase = \"host=127.0.0.1 port=1 dbname=none\"\n"
                     << "rules_dir = \"" << rules_dir << "\"\nmigrations_dir = \"" CANON_SOURCE_DIR
                     << "/schemas/migrations\"\n";
  fs::path log = cfg.string() + ".log";
  std::string cmd = (env_prefix.empty() ? "" : env_prefix + " ") + canon::test::BinaryDir() + "/canond --config " +
                    cfg.string() + " > " + log.string() + " 2>&1";
  int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(log);
  r.out.assign(std::istreambuf_iterator<char>(in), {});
  fs::remove(cfg);
  fs::remove(log);
  return r;
}

}  // namespace

// Fail closed: a misspelled option or a secret without a scheme would leave a source taking unsigned posts. Both
// stop `rules check` and canond, naming the source and file:line:col.
TEST_CASE("a misspelled source option or a secret without a scheme stops rules check and canond", "[rules]") {
  ScratchRules s;
  const std::string shipped = [] {
    std::ifstream in(CANON_SOURCE_DIR "/rules/sources.toml");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  auto lines = [](const std::string& t) { return std::count(t.begin(), t.end(), '\n'); };
  const std::string line = std::to_string(lines(shipped) + 6);  // the sixth line of the appended source

  s.Write("sources.toml", shipped + "\n[signed_api]\nkind = \"json\"\nauth = \"hmac\"\nsecret_env = \"X_SECRET\"\n"
                                    "signature_heder = \"X-Signature\"\n");
  CliRun check = RunCanonctl("rules check " + s.dir());
  INFO(check.out);
  CHECK(check.code == 1);
  CHECK(check.out.find(s.dir() + "/sources.toml:" + line + ":1: error: unknown key 'signature_heder' in source "
                                 "'signed_api'") != std::string::npos);
  CliRun start = RunCanond(s.dir(), "X_SECRET=x");
  INFO(start.out);
  CHECK(start.code != 0);
  CHECK(start.out.find("source 'signed_api'") != std::string::npos);
  CHECK(start.out.find(s.dir() + "/sources.toml:" + line + ":1") != std::string::npos);

  const std::string line5 = std::to_string(lines(shipped) + 5);
  s.Write("sources.toml", shipped + "\n[signed_api]\nkind = \"json\"\ndefault_country = \"US\"\n"
                                    "secret_env = \"X_SECRET\"\n");
  check = RunCanonctl("rules check " + s.dir());
  INFO(check.out);
  CHECK(check.code == 1);
  CHECK(check.out.find(s.dir() + "/sources.toml:" + line5 + ":14: error: source 'signed_api' has a secret") !=
        std::string::npos);
  start = RunCanond(s.dir(), "X_SECRET=x");
  INFO(start.out);
  CHECK(start.code != 0);
  CHECK(start.out.find("source 'signed_api' has a secret or signature header but no scheme") != std::string::npos);
  CHECK(start.out.find(s.dir() + "/sources.toml:" + line5 + ":14") != std::string::npos);
}

TEST_CASE("canond will not start while a source's secret variable is unset; rules check --env says so", "[rules]") {
  ScratchRules s;
  std::ifstream in(CANON_SOURCE_DIR "/rules/examples/sources/google_ads.toml");
  std::string google((std::istreambuf_iterator<char>(in)), {});
  s.Write("sources.toml", "[web]\nkind = \"form\"\nauth = \"none\"\n\n" + google);
  CHECK(RunCanonctl("rules check " + s.dir()).code == 0);  // the files are right; the environment is not
  CliRun env = RunCanonctl("rules check " + s.dir() + " --env", {}, "env -u CANON_GOOGLE_ADS_KEY");
  INFO(env.out);
  CHECK(env.code == 1);
  CHECK(env.out.find("source 'google_ads' (sources.toml): environment variable CANON_GOOGLE_ADS_KEY (secret_env) "
                     "is not set") != std::string::npos);
  CliRun start = RunCanond(s.dir(), "env -u CANON_GOOGLE_ADS_KEY");
  INFO(start.out);
  CHECK(start.code != 0);
  CHECK(start.out.find("source 'google_ads'") != std::string::npos);
  CHECK(start.out.find("CANON_GOOGLE_ADS_KEY") != std::string::npos);
  CHECK(RunCanonctl("rules check " + s.dir() + " --env", {}, "env CANON_GOOGLE_ADS_KEY=k").code == 0);
}

TEST_CASE("canond will not start while a LinkedIn source's token variable is unset", "[rules][linkedin]") {
  ScratchRules s;
  std::ifstream in(CANON_SOURCE_DIR "/rules/examples/sources/linkedin_leads.toml");
  std::string linkedin((std::istreambuf_iterator<char>(in)), {});
  s.Write("sources.toml", "[web]\nkind = \"form\"\nauth = \"none\"\n\n" + linkedin);
  CHECK(RunCanonctl("rules check " + s.dir()).code == 0);
  const std::string secret = "CANON_LINKEDIN_CLIENT_SECRET=c ";
  CliRun env = RunCanonctl("rules check " + s.dir() + " --env", {}, "env -u CANON_LINKEDIN_ACCESS_TOKEN " + secret);
  INFO(env.out);
  CHECK(env.code == 1);
  CHECK(env.out.find("source 'linkedin_leads' (sources.toml): environment variable CANON_LINKEDIN_ACCESS_TOKEN "
                     "(access_token_env) is not set") != std::string::npos);
  CliRun start = RunCanond(s.dir(), "env -u CANON_LINKEDIN_ACCESS_TOKEN " + secret);
  INFO(start.out);
  CHECK(start.code != 0);
  CHECK(start.out.find("CANON_LINKEDIN_ACCESS_TOKEN") != std::string::npos);
  // A misspelled option stops both, at its line.
  const std::string head = "[web]\nkind = \"form\"\nauth = \"none\"\n\n";
  const size_t at = linkedin.find("\nretry_initial") + 1;  // the option's line, not the comment's mention
  REQUIRE(at != 0);
  const std::string misspelled = head + linkedin.substr(0, at) + "api_verison = \"202511\"\n" + linkedin.substr(at);
  s.Write("sources.toml", misspelled);
  const std::string line =
      std::to_string(std::count(misspelled.begin(), misspelled.begin() + head.size() + at, '\n') + 1);
  CliRun check = RunCanonctl("rules check " + s.dir());
  INFO(check.out);
  CHECK(check.code == 1);
  CHECK(check.out.find(s.dir() + "/sources.toml:" + line + ":1: error: unknown key 'api_verison'") !=
        std::string::npos);
  start = RunCanond(s.dir(), "env CANON_LINKEDIN_ACCESS_TOKEN=t " + secret);
  CHECK(start.code != 0);
  CHECK(start.out.find(s.dir() + "/sources.toml:" + line + ":1") != std::string::npos);
}

TEST_CASE("a rules copy without its schemas/ is named: the built-in field schema is in force", "[rules]") {
  CHECK(canon::SchemaNotice(CANON_SOURCE_DIR "/rules").empty());
  ScratchRules s;
  const std::string notice = canon::SchemaNotice(s.dir());
  CHECK(notice.find((s.root / "schemas" / "fields.toml").string()) != std::string::npos);
  CHECK(notice.find("built-in field schema") != std::string::npos);
  // canonctl dedupe on the shipped rules copied without schemas/ says so, and still runs.
  fs::remove_all(s.root / "rules");
  fs::copy(fs::path(CANON_SOURCE_DIR) / "rules", s.root / "rules", fs::copy_options::recursive);
  s.Write("in.csv", "id,first_name,last_name,email\n1,Ann,Lee,ann@lee.example\n2,Ann,Lee,ann@lee.example\n");
  const std::string in = (s.root / "rules" / "in.csv").string(), out = (s.root / "out.csv").string();
  CliRun bare = RunCanonctl("dedupe " + in + " --out " + out + " --id-column id --rules " + s.dir());
  CHECK(bare.code == 0);
  CHECK(bare.out.find("canonctl dedupe: warning: no " + (s.root / "schemas" / "fields.toml").string()) !=
        std::string::npos);
  // With schemas/ beside the rules the warning is gone.
  fs::copy(fs::path(CANON_SOURCE_DIR) / "schemas", s.root / "schemas", fs::copy_options::recursive);
  CliRun full = RunCanonctl("dedupe " + in + " --out " + out + " --id-column id --rules " + s.dir());
  CHECK(full.code == 0);
  CHECK(full.out.find("warning") == std::string::npos);
}

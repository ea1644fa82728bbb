// canonctl rules check / test / normalize as an operator runs them: real binary, real files, exit codes.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

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
}

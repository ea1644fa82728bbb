// Fail closed: rule files refuse what they do not understand, with file:line:col, and a webhook source says how
// its posts are authenticated. Literal rule texts in, the error (or the set) out.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "connectors/rule_dir.h"
#include "connectors/secrets.h"
#include "hygiene/rule_set.h"

using namespace canon;

namespace {

Status ParseSources(const std::string& text) {
  auto r = RuleSet::Parse({{"r/sources.toml", text}});
  return r.ok() ? Status::Ok() : r.status();
}

// The file at `path` with a valid sources.toml (and more files when given).
Status ParseWith(const std::string& path, const std::string& text, std::vector<RuleFile> more = {}) {
  more.push_back({"r/sources.toml", "[web]\nkind = \"form\"\nauth = \"none\"\n"});
  more.push_back({path, text});
  auto r = RuleSet::Parse(more);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

TEST_CASE("sources: a misspelled option is an error at its line", "[rules][sources]") {
  Status s = ParseSources("[api]\nkind = \"json\"\nauth = \"hmac\"\nsecret_env = \"S\"\nsignature_heder = \"X-Sig\"\n");
  REQUIRE_FALSE(s.ok());
  CHECK(s.where() == "r/sources.toml:5:1");
  CHECK(s.message().find("unknown key 'signature_heder' in source 'api' (kind json)") != std::string::npos);
  // An option of another kind is as unknown: a csv folder on a json source.
  s = ParseSources("[api]\nkind = \"json\"\nauth = \"none\"\nfolder = \"x\"\n");
  CHECK(s.where() == "r/sources.toml:4:1");
  CHECK(s.message().find("'folder'") != std::string::npos);
  CHECK(ParseSources("[api]\nkind = \"jsn\"\nauth = \"none\"\n").where() == "r/sources.toml:2:8");
}

TEST_CASE("sources: json and form say how posts are authenticated", "[rules][sources]") {
  // Nothing said: refused, not open.
  Status s = ParseSources("[api]\nkind = \"json\"\n");
  REQUIRE_FALSE(s.ok());
  CHECK(s.where() == "r/sources.toml:1:1");
  CHECK(s.message().find("auth = \"none\"") != std::string::npos);
  // A secret without a scheme: at the secret's line.
  s = ParseSources("[api]\nkind = \"json\"\nsecret_env = \"S\"\n");
  CHECK(s.where() == "r/sources.toml:3:14");
  CHECK(s.message().find("source 'api' has a secret or signature header but no scheme") != std::string::npos);
  s = ParseSources("[api]\nkind = \"form\"\nauth = \"none\"\nsecret_env = \"S\"\n");
  CHECK(s.where() == "r/sources.toml:4:14");
  // A scheme without its parts.
  s = ParseSources("[api]\nkind = \"json\"\nauth = \"hmac\"\nsecret_env = \"S\"\n");
  CHECK(s.message().find("needs signature_header") != std::string::npos);
  CHECK(s.where() == "r/sources.toml:3:8");
  s = ParseSources("[api]\nkind = \"json\"\nauth = \"hmac\"\nsignature_header = \"X-Sig\"\n");
  CHECK(s.message().find("needs secret_env") != std::string::npos);
  s = ParseSources("[api]\nkind = \"json\"\nauth = \"hmca\"\n");
  CHECK(s.message().find("unknown auth 'hmca'") != std::string::npos);
  // Vendor kinds have their sender's scheme and need its secrets.
  s = ParseSources("[g]\nkind = \"google_ads\"\n");
  CHECK(s.message().find("needs secret_env") != std::string::npos);
  s = ParseSources("[m]\nkind = \"meta_leads\"\nsecret_env = \"A\"\naccess_token_env = \"B\"\n");
  CHECK(s.message().find("needs verify_token_env") != std::string::npos);
  CHECK(ParseSources("[g]\nkind = \"google_ads\"\nsecret_env = \"G\"\nauth = \"none\"\n").where() ==
        "r/sources.toml:4:1");
  // Written out, each is accepted.
  CHECK(ParseSources("[api]\nkind = \"json\"\nauth = \"none\"\n").ok());
  CHECK(ParseSources("[api]\nkind = \"json\"\nauth = \"hmac\"\nsignature_header = \"X\"\nsecret_env = \"S\"\n").ok());
  CHECK(ParseSources("[c]\nkind = \"csv\"\nfolder = \"in\"\n").ok());
}

TEST_CASE("sources: the vendor examples are checked but not in force", "[rules][sources]") {
  auto shipped = LoadRuleDir(CANON_SOURCE_DIR "/rules");
  REQUIRE(shipped.ok());
  CHECK((*shipped)->FindSource("website") != nullptr);
  for (const char* vendor : {"meta_leads", "google_ads", "typeform", "signed_api", "linkedin_leads"})
    CHECK((*shipped)->FindSource(vendor) == nullptr);
  Status s = ParseWith("r/examples/sources/x.toml", "[x]\nkind = \"typeform\"\nsecret_env = \"T\"\nsecert = 1\n");
  CHECK(s.where() == "r/examples/sources/x.toml:4:1");
}

// docs/connectors.md is how an operator adds a vendor with rules only: it names every worked example.
TEST_CASE("sources: docs/connectors.md names every vendor example", "[rules][sources]") {
  std::ifstream in(CANON_SOURCE_DIR "/docs/connectors.md");
  const std::string guide((std::istreambuf_iterator<char>(in)), {});
  REQUIRE_FALSE(guide.empty());
  int examples = 0;
  for (const auto& e : std::filesystem::directory_iterator(CANON_SOURCE_DIR "/rules/examples/sources")) {
    const std::string file = e.path().filename().string();
    INFO(file);
    CHECK(guide.find("`" + file + "`") != std::string::npos);
    ++examples;
  }
  CHECK(examples >= 17);
}

TEST_CASE("every rule file refuses an unknown key with file:line:col", "[rules]") {
  CHECK(ParseWith("r/survivorship.toml", "steward_sourse = \"s\"\n").where() == "r/survivorship.toml:1:1");
  CHECK(ParseWith("r/survivorship.toml", "[default]\npolicy = \"most_recent\"\nsource = [\"a\"]\n").where() ==
        "r/survivorship.toml:3:1");
  CHECK(ParseWith("r/survivorship.toml", "[fields.city]\npolicy = \"most_frequent\"\npolcy = \"x\"\n").where() ==
        "r/survivorship.toml:3:1");
  const std::string model = "[model]\nlambda = 0.01\nupper = 10\nlower = 2\n";
  const std::string field = "[[field]]\nname = \"email_key\"\nlevels = [{ kind = \"exact\", m = 0.9, u = 0.01 }, "
                            "{ kind = \"else\", m = 0.1, u = 0.99 }]\n";
  const std::string blocking = "[[blocking]]\nname = \"email\"\nparts = [\"email_key\"]\n";
  CHECK(ParseWith("r/match.toml", model + field + blocking).ok());
  CHECK(ParseWith("r/match.toml", model + "uper = 3\n" + field + blocking).where() == "r/match.toml:5:1");
  CHECK(ParseWith("r/match.toml", model + field + "tf_min = 0.1\n" + blocking).where() == "r/match.toml:8:1");
  CHECK(ParseWith("r/match.toml",
                  model + "[[field]]\nname = \"email_key\"\nlevels = [{ kind = \"exact\", m = 0.9, u = 0.01, "
                          "treshold = 0.9 }, { kind = \"else\", m = 0.1, u = 0.99 }]\n" + blocking)
            .where()
            .rfind("r/match.toml:7:", 0) == 0);
  CHECK(ParseWith("r/match.toml", model + field + blocking + "max_per_ky = 5\n").where() == "r/match.toml:11:1");
  CHECK(ParseWith("r/match.toml", model + field + blocking + "[blocking_limits]\nmax_candidate = 5\n").where() ==
        "r/match.toml:12:1");
  // nicknames.toml is read with a match.toml.
  CHECK(ParseWith("r/nicknames.toml", "[names]\nrobert = [\"bob\"]\n[nicknames]\n",
                  {{"r/match.toml", model + field + blocking}})
            .where()
            .rfind("r/nicknames.toml:3:", 0) == 0);
}

TEST_CASE("a source whose secret's variable is not set is named", "[rules][sources]") {
  auto set = RuleSet::Parse({{"r/sources.toml",
                              "[web]\nkind = \"form\"\nauth = \"none\"\n"
                              "[m]\nkind = \"meta_leads\"\nsecret_env = \"A\"\nverify_token_env = \"B\"\n"
                              "access_token_env = \"C\"\n"}});
  REQUIRE(set.ok());
  std::map<std::string, std::string> env = {{"A", "a"}, {"B", "b"}, {"C", "c"}};
  auto lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  CHECK(CheckSourceSecrets(**set, lookup).ok());
  env["B"] = "";
  Status s = CheckSourceSecrets(**set, lookup);
  CHECK(s.message() == "source 'm' (sources.toml): environment variable B (verify_token_env) is not set; set it or "
                       "remove the source");
  env.erase("B");
  env.erase("C");
  CHECK(CheckSourceSecrets(**set, lookup).message().find("variable B") != std::string::npos);
}

TEST_CASE("linkedin_leads: its options are checked with file:line:col; its token variable is named",
          "[rules][sources][linkedin]") {
  const std::string base = "[li]\nkind = \"linkedin_leads\"\nsecret_env = \"S\"\n";
  CHECK(ParseSources(base + "access_token_env = \"T\"\napi_version = \"202511\"\n[li.map]\nemail = \"3\"\n").ok());
  // A misspelled option is refused where it is.
  Status s = ParseSources(base + "acess_token_env = \"T\"\n");
  CHECK(s.message().find("unknown key 'acess_token_env' in source 'li' (kind linkedin_leads)") != std::string::npos);
  CHECK(s.where() == "r/sources.toml:4:1");
  // The token and the secret are required; the API is HTTPS only.
  s = ParseSources(base);
  CHECK(s.message().find("needs access_token_env") != std::string::npos);
  CHECK(ParseSources("[li]\nkind = \"linkedin_leads\"\naccess_token_env = \"T\"\n").message().find(
            "needs secret_env") != std::string::npos);
  s = ParseSources(base + "access_token_env = \"T\"\napi_base = \"http://api.linkedin.com/rest\"\n");
  CHECK(s.message().find("api_base must start with https://") != std::string::npos);
  CHECK(s.where() == "r/sources.toml:5:12");
  // Options of json sources are not LinkedIn's.
  CHECK(ParseSources(base + "access_token_env = \"T\"\nauth = \"none\"\n").where() == "r/sources.toml:5:1");

  auto set = RuleSet::Parse({{"r/sources.toml", base + "access_token_env = \"T\"\n"}});
  REQUIRE(set.ok());
  std::map<std::string, std::string> env = {{"S", "s"}};
  auto lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  CHECK(CheckSourceSecrets(**set, lookup).message() ==
        "source 'li' (sources.toml): environment variable T (access_token_env) is not set; set it or remove the "
        "source");
  env["T"] = "t";
  CHECK(CheckSourceSecrets(**set, lookup).ok());
}

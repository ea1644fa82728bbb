// API tokens and roles without a server: the [[token]] config table (hashes, never tokens), the Bearer header
// (scheme in any case), and which configured token a presented one is.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "connectors/hmac.h"
#include "daemon/admin.h"
#include "daemon/config.h"

using namespace canon;
using namespace canon::daemon;

namespace {

// Writes `text` to a temporary config file and loads it (CANON_ADMIN_TOKEN unset for the duration).
Result<Config> Load(const std::string& text) {
  char path[] = "/tmp/canon-config-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  const char* env = std::getenv("CANON_ADMIN_TOKEN");
  std::string saved = env ? env : "";
  unsetenv("CANON_ADMIN_TOKEN");
  auto c = LoadConfig(path);
  if (env) setenv("CANON_ADMIN_TOKEN", saved.c_str(), 1);
  std::remove(path);
  return c;
}

std::string Hex(const std::string& token) { return HexEncode(Sha256(token)); }

}  // namespace

TEST_CASE("[[token]] tables give names, roles and hashes; admin_token is an admin token", "[auth]") {
  auto c = Load(
      "admin_token = \"legacy-t0ken\"\n"
      "metrics_token_sha256 = \"" +
      Hex("scrape") +
      "\"\n"
      "[[token]]\nname = \"ann\"\nrole = \"viewer\"\nsha256 = \"" +
      Hex("ann-t0ken") +
      "\"\n"
      "[[token]]\nname = \"bo.b-2\"\nrole = \"steward\"\nsha256 = \"" +
      Hex("bob-t0ken") + "\"\n");
  REQUIRE(c.ok());
  REQUIRE(c->tokens.size() == 3);
  CHECK(c->tokens[0].name == "ann");
  CHECK(c->tokens[0].role == Role::kViewer);
  CHECK(c->tokens[0].sha256 == Sha256("ann-t0ken"));
  CHECK(c->tokens[1].role == Role::kSteward);
  CHECK(c->tokens[2].name == "admin_token");
  CHECK(c->tokens[2].role == Role::kAdmin);
  CHECK(c->tokens[2].sha256 == Sha256("legacy-t0ken"));
  CHECK(c->metrics_token_sha256 == Sha256("scrape"));
  CHECK(Load("").value().tokens.empty());
}

TEST_CASE("bad [[token]] tables are refused with the reason", "[auth]") {
  const std::string h = Hex("x");
  struct Case {
    std::string text, want;
  };
  for (const Case& k : std::vector<Case>{
           {"[[token]]\nname = \"a\"\nrole = \"root\"\nsha256 = \"" + h + "\"\n", "role must be viewer"},
           {"[[token]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"abc\"\n", "64 hex digits"},
           {"[[token]]\nname = \"a\"\nrole = \"admin\"\ntoken = \"x\"\n", "unknown key 'token'"},
           {"[[token]]\nname = \"a b\"\nrole = \"admin\"\nsha256 = \"" + h + "\"\n", "name must be"},
           {"[[token]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + h +
                "\"\n[[token]]\nname = \"a\"\nrole = "
                "\"viewer\"\nsha256 = \"" +
                Hex("y") + "\"\n",
            "used twice"},
           {"[[token]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + h +
                "\"\n[[token]]\nname = \"b\"\nrole = "
                "\"viewer\"\nsha256 = \"" +
                h + "\"\n",
            "same token"},
           {"metrics_token_sha256 = \"zz\"\n", "64 hex digits"},
       }) {
    auto c = Load(k.text);
    INFO(k.text);
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.status().message(), Catch::Contains(k.want));
  }
}

TEST_CASE("Bearer: the scheme in any case, the token trimmed; anything else is no token", "[auth]") {
  CHECK(BearerToken("Bearer abc") == "abc");
  CHECK(BearerToken("bearer abc") == "abc");
  CHECK(BearerToken("BEARER   abc  ") == "abc");
  CHECK(BearerToken("BeArEr\tabc") == "abc");
  CHECK(BearerToken("Bearer") == "");
  CHECK(BearerToken("Bearer ") == "");
  CHECK(BearerToken("Bearerabc") == "");
  CHECK(BearerToken("Basic YWJj") == "");
  CHECK(BearerToken("") == "");
}

TEST_CASE("Authenticate finds the token by its hash and says why not, never echoing it", "[auth]") {
  std::vector<ApiToken> tokens = {{"ann", Role::kViewer, Sha256("ann-t0ken")},
                                  {"ops", Role::kAdmin, Sha256("ops-t0ken")}};
  std::string why;
  const ApiToken* t = Authenticate(tokens, "bearer ops-t0ken", &why);
  REQUIRE(t != nullptr);
  CHECK(t->name == "ops");
  CHECK(Authenticate(tokens, "Bearer ann-t0ken", &why)->role == Role::kViewer);
  CHECK(Authenticate(tokens, "Bearer ann-t0ke", &why) == nullptr);
  CHECK(why == "unknown token");
  CHECK(Authenticate(tokens, "", &why) == nullptr);
  CHECK(why == "no Authorization header");
  CHECK(Authenticate(tokens, "Token ann-t0ken", &why) == nullptr);
  CHECK_THAT(why, !Catch::Contains("ann-t0ken"));
  CHECK(Authenticate({}, "Bearer ann-t0ken", &why) == nullptr);
}

// canonctl rules check|test DIR: validate a rules directory, or run the examples its files carry.
// canonctl rules reload [--url URL] [--token T]: ask a running canond to load its rules again.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "connectors/rule_dir.h"
#include "connectors/secrets.h"
#include "hygiene/normalize.h"
#include "tools/commands.h"
#include "tools/http_client.h"

namespace canon::tools {
namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: canonctl rules check DIR [--schemas DIR] [--env]   validate every rule file (file:line "
               "errors);\n"
               "       --env also requires the environment variable of every source's secret to be set, as canond "
               "does\n"
               "       canonctl rules test DIR [--schemas DIR]    run the examples the rule files carry\n"
               "       canonctl rules reload [--url URL] [--token T]   ask the running canond to reload its rules\n"
               "--url defaults to http://127.0.0.1:8080; --token defaults to $CANON_ADMIN_TOKEN\n"
               "--schemas defaults to DIR/../schemas (for fields.toml)\n");
}

// "path:line:col: error: message", the form editors and CI annotators understand.
void PrintError(const Status& s) {
  if (s.where().empty()) std::fprintf(stderr, "error: %s\n", s.message().c_str());
  else std::fprintf(stderr, "%s: error: %s\n", s.where().c_str(), s.message().c_str());
}

Result<std::shared_ptr<const RuleSet>> Load(const Args& args) {
  std::string dir = args[1];
  std::string schemas = OptionValue(args, "--schemas", DefaultSchemasDir(dir));
  return LoadRuleDir(dir, schemas);
}

// The string member `key` of a JSON object body, or "" (absent, not a string, or not JSON).
std::string JsonString(const std::string& body, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) return {};
  std::string_view v;
  if (doc[key].get(v)) return {};
  return std::string(v);
}

// POST /admin/rules/reload: 200 {"status":"reloaded","rules_version"} or 422 {"error":"rules_invalid",...}.
int Reload(const Args& args) {
  std::string url = OptionValue(args, "--url", "http://127.0.0.1:8080");
  const char* env = std::getenv("CANON_ADMIN_TOKEN");
  std::string token = OptionValue(args, "--token", env ? env : "");
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto reply = HttpCall("POST", url, "/admin/rules/reload", "", headers);
  if (!reply.ok()) {
    std::fprintf(stderr, "canonctl rules reload: %s\n", reply.status().ToString().c_str());
    return 2;
  }
  if (reply->status == 200) {
    std::printf("reloaded: rules version %s\n", JsonString(reply->body, "rules_version").c_str());
    return 0;
  }
  if (reply->status == 422) {
    std::string where = JsonString(reply->body, "where");
    std::string message = JsonString(reply->body, "message");
    if (where.empty()) std::fprintf(stderr, "error: %s\n", message.c_str());
    else std::fprintf(stderr, "%s: error: %s\n", where.c_str(), message.c_str());
    std::fprintf(stderr, "rules refused by canond; the previous rules stay in force\n");
    return 1;
  }
  std::fprintf(stderr, "canonctl rules reload: HTTP %d: %s\n", reply->status, reply->body.c_str());
  return 2;
}

}  // namespace

int CmdRules(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    Usage();
    return 2;
  }
  const std::string& sub = args[0];
  if (sub == "reload") return Reload(args);
  if ((sub != "check" && sub != "test") || args.size() < 2) {
    Usage();
    return 2;
  }
  auto rules = Load(args);
  if (!rules.ok()) {
    PrintError(rules.status());
    std::fprintf(stderr, "rules in %s are invalid\n", args[1].c_str());
    return 1;
  }
  const RuleSet& set = **rules;
  if (sub == "check" && HasFlag(args, "--env")) {
    if (Status s = CheckSourceSecrets(set, std::getenv); !s.ok()) {
      PrintError(s);
      std::fprintf(stderr, "rules in %s cannot start canond in this environment\n", args[1].c_str());
      return 1;
    }
  }
  if (sub == "check") {
    size_t aliases = 0;
    for (const auto& [name, v] : set.vocabularies()) aliases += v.alias_count();
    std::printf("ok: %zu files, %zu sources, %zu fields, %zu vocabularies (%zu aliases), %zu lists, %zu examples; "
                "version %s\n",
                set.file_count(), set.sources().size(), set.fields().fields.size(), set.vocabularies().size(),
                aliases, set.lists().size(), set.examples().size(), set.version().c_str());
    return 0;
  }
  size_t passed = 0, failed = 0;
  for (const RuleExample& ex : set.examples()) {
    std::string why = CheckExample(ex, set);
    if (why.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    std::string input;
    for (const auto& [k, v] : ex.input) input += (input.empty() ? "" : ", ") + k + "=\"" + v + "\"";
    std::printf("%s: FAIL {%s}: %s\n", ex.where.c_str(), input.c_str(), why.c_str());
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace canon::tools

// canonctl contacts find --email X: the contact and its source records as JSON.
// canonctl contacts touches ID [--rules DIR]: the contact's touches, oldest first, as JSON (store/touches.h); the
// rules directory says which fields make a touch (survivorship.toml [touch]).
#include <charconv>
#include <cstdio>

#include "connectors/rule_dir.h"
#include "store/entities.h"
#include "store/touches.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

int Touches(const Args& args) {
  long long id = 0;
  const std::string arg = args.size() < 2 ? std::string() : args[1];
  auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), id);
  if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || id <= 0) {
    std::fprintf(stderr, "usage: canonctl contacts touches ID [--rules DIR] [--db CONNINFO]\n");
    return 2;
  }
  auto rules = LoadRuleDir(OptionValue(args, "--rules", "rules"));
  if (!rules.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", rules.status().where().c_str(), rules.status().message().c_str());
    return 2;
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", conn.status().ToString().c_str());
    return 2;
  }
  const SurvivorshipRules& sv = (*rules)->survivorship();
  auto json = store::TouchesJson(**conn, id, sv.touch_fields, sv.steward_source);
  if (!json.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", json.status().ToString().c_str());
    return 2;
  }
  if (json->empty()) {
    std::fprintf(stderr, "no contact %lld\n", id);
    return 1;
  }
  std::printf("%s\n", json->c_str());
  return 0;
}

}  // namespace

int CmdContacts(const Args& args) {
  if (!args.empty() && args[0] == "touches") return Touches(args);
  if (args.empty() || args[0] != "find") {
    std::fprintf(stderr,
                 "usage: canonctl contacts find --email X [--db CONNINFO]\n"
                 "       canonctl contacts touches ID [--rules DIR] [--db CONNINFO]\n");
    return 2;
  }
  std::string email = OptionValue(args, "--email");
  if (email.empty()) {
    std::fprintf(stderr, "canonctl contacts find: --email is required\n");
    return 2;
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", conn.status().ToString().c_str());
    return 2;
  }
  auto json = store::FindContactJsonByEmail(**conn, email);
  if (!json.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", json.status().ToString().c_str());
    return 2;
  }
  if (json->empty()) {
    std::fprintf(stderr, "no contact with e-mail %s\n", email.c_str());
    return 1;
  }
  std::printf("%s\n", json->c_str());
  return 0;
}

}  // namespace canon::tools

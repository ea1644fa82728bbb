// canonctl entity edit ID field=value ... [--actor NAME] [--note TEXT] [--url URL] [--token T]: a steward's field
// edit through a running canond's admin API (POST /admin/entities/{id}/edit), so the daemon's rules in force
// normalize and validate the values. Prints the entity JSON. Exit 0 done, 1 refused (invalid field or value, no
// such contact, merged contact), 2 usage or the daemon unreachable.
#include <cstdio>
#include <cstdlib>
#include <map>

#include "store/pg.h"
#include "tools/commands.h"
#include "tools/http_client.h"

namespace canon::tools {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: canonctl entity edit ID FIELD=VALUE... [--actor NAME] [--note TEXT]\n"
               "  options: --url URL (default http://127.0.0.1:8080), --token T (default $CANON_ADMIN_TOKEN)\n"
               "  e.g. canonctl entity edit 42 phone='+44 20 7946 0958' job_title=CTO --actor ann --note 'call'\n");
  return 2;
}

// FIELD=VALUE words after the id; options (--name value / --name=value) are skipped. False on a stray word.
bool FieldArgs(const Args& args, std::map<std::string, std::string>* fields) {
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0) {
      if (a.find('=') == std::string::npos) ++i;  // its value is the next word
      continue;
    }
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    (*fields)[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return !fields->empty();
}

}  // namespace

int CmdEntity(const Args& args) {
  if (args.size() < 3 || args[0] != "edit") return Usage();
  const std::string& id = args[1];
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return Usage();
  std::map<std::string, std::string> fields;
  if (!FieldArgs(args, &fields)) return Usage();
  std::string body = "{\"fields\":{";
  bool first = true;
  for (const auto& [k, v] : fields) {
    body += (first ? "" : ",") + store::JsonEscape(k) + ":" + store::JsonEscape(v);
    first = false;
  }
  body += "},\"note\":" + store::JsonEscape(OptionValue(args, "--note")) + "}";
  const char* env_token = std::getenv("CANON_ADMIN_TOKEN");
  std::string token = OptionValue(args, "--token", env_token ? env_token : "");
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"},
                                                {"X-Canon-Actor", OptionValue(args, "--actor", "canonctl")}};
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto reply = HttpCall("POST", OptionValue(args, "--url", "http://127.0.0.1:8080"), "/admin/entities/" + id + "/edit",
                        body, headers);
  if (!reply.ok()) {
    std::fprintf(stderr, "canonctl entity edit: %s\n", reply.status().ToString().c_str());
    return 2;
  }
  if (reply->status != 200) {
    std::fprintf(stderr, "canonctl entity edit: HTTP %d %s\n", reply->status, reply->body.c_str());
    return reply->status == 400 || reply->status == 404 || reply->status == 409 ? 1 : 2;
  }
  std::printf("%s\n", reply->body.c_str());
  return 0;
}

}  // namespace canon::tools

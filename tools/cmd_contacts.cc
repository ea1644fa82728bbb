// canonctl contacts find --email X: the contact and its source records as JSON.
#include <cstdio>

#include "store/entities.h"
#include "tools/commands.h"

namespace canon::tools {

int CmdContacts(const Args& args) {
  if (args.empty() || args[0] != "find") {
    std::fprintf(stderr, "usage: canonctl contacts find --email X [--db CONNINFO]\n");
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

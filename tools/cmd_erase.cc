// canonctl erase --email X | --phone P | --contact ID [--suppress] [--actor NAME] [--url URL] [--token T]:
// erases a person through a running canond's admin API (DELETE /admin/contacts[/{id}], store/erase.h), so the
// daemon's rules in force normalize the e-mail and phone and its match model gives the term counts to take back.
// The e-mail and phone travel in the request body, never in a URL. Prints what was removed as JSON. Exit 0 done,
// 1 refused (no such contact, a bad value), 2 usage or the daemon unreachable.
#include <cstdio>
#include <cstdlib>
#include <map>

#include "store/pg.h"
#include "tools/commands.h"
#include "tools/http_client.h"

namespace canon::tools {

int CmdErase(const Args& args) {
  std::string contact = OptionValue(args, "--contact"), email = OptionValue(args, "--email"),
              phone = OptionValue(args, "--phone");
  if ((contact.empty() && email.empty() && phone.empty()) ||
      (!contact.empty() && contact.find_first_not_of("0123456789") != std::string::npos)) {
    std::fprintf(stderr,
                 "usage: canonctl erase --email X | --phone P | --contact ID [--suppress] [--actor NAME]\n"
                 "  options: --url URL (default http://127.0.0.1:8080), --token T (default $CANON_ADMIN_TOKEN)\n");
    return 2;
  }
  std::string body = "{\"suppress\":" + std::string(HasFlag(args, "--suppress") ? "true" : "false");
  if (!email.empty()) body += ",\"email\":" + store::JsonEscape(email);
  if (!phone.empty()) body += ",\"phone\":" + store::JsonEscape(phone);
  body += "}";
  const char* env_token = std::getenv("CANON_ADMIN_TOKEN");
  std::string token = OptionValue(args, "--token", env_token ? env_token : "");
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"},
                                                {"X-Canon-Actor", OptionValue(args, "--actor", "canonctl")}};
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  auto reply = HttpCall("DELETE", OptionValue(args, "--url", "http://127.0.0.1:8080"),
                        contact.empty() ? "/admin/contacts" : "/admin/contacts/" + contact, body, headers);
  if (!reply.ok()) {
    std::fprintf(stderr, "canonctl erase: %s\n", reply.status().ToString().c_str());
    return 2;
  }
  if (reply->status != 200) {
    std::fprintf(stderr, "canonctl erase: HTTP %d %s\n", reply->status, reply->body.c_str());
    return reply->status == 400 || reply->status == 404 ? 1 : 2;
  }
  std::printf("%s\n", reply->body.c_str());
  return 0;
}

}  // namespace canon::tools

#include <cstdio>

#include "tools/commands.h"

namespace canon::tools {

int CmdContacts(const Args&) {
  std::fprintf(stderr, "canonctl contacts: not implemented yet\n");
  return 2;
}

}  // namespace canon::tools

#include <cstdio>

#include "tools/commands.h"

namespace canon::tools {

// Placeholder until this subcommand is built; says so and fails, so nobody mistakes it for working.
int CmdQueue(const Args&) {
  std::fprintf(stderr, "canonctl queue: not implemented yet\n");
  return 2;
}

}  // namespace canon::tools

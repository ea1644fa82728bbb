// canonctl: the operator's command line. Dispatches to one function per subcommand (tools/commands.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pipeline/allocator.h"
#include "tools/commands.h"

namespace canon::tools {

std::string OptionValue(const Args& args, const std::string& name, const std::string& fallback) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
  }
  return fallback;
}

bool HasFlag(const Args& args, const std::string& name) {
  for (const auto& a : args)
    if (a == name) return true;
  return false;
}

std::string DbConninfo(const Args& args) {
  std::string db = OptionValue(args, "--db");
  if (!db.empty()) return db;
  const char* env = std::getenv("CANON_DB");
  return env ? env : "";
}

}  // namespace canon::tools

namespace {

struct Command {
  const char* name;
  int (*fn)(const canon::tools::Args&);
  const char* help;
};

const Command kCommands[] = {
    {"contacts", canon::tools::CmdContacts, "contacts find --email X; contacts touches ID [--rules DIR] [--db CONNINFO]"},
    {"rules", canon::tools::CmdRules, "rules check|test DIR; rules reload"},
    {"normalize", canon::tools::CmdNormalize, "normalize --rules DIR < records.jsonl"},
    {"dedupe", canon::tools::CmdDedupe, "dedupe INPUT.csv --out clusters.csv [--rules DIR] [--explain] [--skip-refused]"},
    {"match", canon::tools::CmdMatch, "match train ..."},
    {"queue", canon::tools::CmdQueue, "queue list|show|approve|reject"},
    {"entity", canon::tools::CmdEntity, "entity edit ID FIELD=VALUE... [--actor NAME] [--note TEXT] [--url URL]"},
    {"erase", canon::tools::CmdErase, "erase --email X | --phone P | --contact ID [--suppress] [--actor NAME] [--url URL]"},
    {"import", canon::tools::CmdImport, "import FILE --source NAME"},
    {"report", canon::tools::CmdReport, "report vocabulary|blocking-keys"},
    {"quarantine", canon::tools::CmdQuarantine, "quarantine replay"},
    {"dead-letters", canon::tools::CmdDeadLetters, "dead-letters list|show|replay [--stage S] [--source S] [--since T]"},
};

void Usage() {
  std::fprintf(stderr, "usage: canonctl COMMAND [ARGS]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(stderr, "  %s\n", c.help);
}

}  // namespace

int main(int argc, char** argv) {
  canon::pipeline::ConfigureAllocatorForStreaming();
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    Usage();
    return argc < 2 ? 2 : 0;
  }
  canon::tools::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands)
    if (!std::strcmp(argv[1], c.name)) return c.fn(args);
  std::fprintf(stderr, "canonctl: unknown command '%s'\n", argv[1]);
  Usage();
  return 2;
}

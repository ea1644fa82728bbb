// canonctl subcommands. Each takes the arguments after its own name and returns the process exit code:
// 0 success, 1 the thing checked failed (rules invalid, tests failing), 2 usage or environment error.
// One file per subcommand (tools/cmd_*.cc).
#pragma once

#include <string>
#include <vector>

namespace canon::tools {

using Args = std::vector<std::string>;

int CmdContacts(const Args& args);    // contacts find --email X; contacts touches ID
int CmdRules(const Args& args);       // rules check|test|reload DIR
int CmdNormalize(const Args& args);   // normalize --rules DIR  (JSON Lines in, JSON Lines out)
int CmdDedupe(const Args& args);      // dedupe INPUT.csv --out clusters.csv ...
int CmdMatch(const Args& args);       // match train ...
int CmdQueue(const Args& args);       // queue list|show|approve|reject
int CmdEntity(const Args& args);      // entity edit ID field=value ... (through the admin API)
int CmdErase(const Args& args);       // erase --email X | --contact ID [--suppress] (through the admin API)
int CmdImport(const Args& args);      // import FILE --source NAME
int CmdReport(const Args& args);      // report vocabulary|blocking-keys
int CmdQuarantine(const Args& args);  // quarantine replay
int CmdDeadLetters(const Args& args);  // dead-letters list|show|replay

// Shared option helpers: "--name value" or "--name=value"; returns the fallback when absent.
std::string OptionValue(const Args& args, const std::string& name, const std::string& fallback = {});
bool HasFlag(const Args& args, const std::string& name);
// The database conninfo: --db, else $CANON_DB, else "" (libpq defaults).
std::string DbConninfo(const Args& args);

}  // namespace canon::tools

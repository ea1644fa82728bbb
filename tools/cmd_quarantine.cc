// canonctl quarantine replay [--rules DIR] [--db CONNINFO] [--field F] [--dry-run]: map held values again with the
// current rules (after stewards added aliases) and write them to their contacts where nothing newer is there.
// One transaction per quarantine row, so an interrupted replay leaves every row either replayed or still held.
#include <cstdio>
#include <map>
#include <string>

#include "connectors/rule_dir.h"
#include "store/quarantine.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: canonctl quarantine replay [--rules DIR] [--db CONNINFO] [--field F] [--dry-run]\n"
               "  --rules defaults to ./rules (schemas from DIR/../schemas); --dry-run writes nothing\n");
}

}  // namespace

int CmdQuarantine(const Args& args) {
  if (args.empty() || args[0] != "replay") {
    Usage();
    return 2;
  }
  std::string dir = OptionValue(args, "--rules", "rules");
  bool dry_run = HasFlag(args, "--dry-run");
  auto rules = LoadRuleDir(dir);
  if (!rules.ok()) {
    std::fprintf(stderr, "canonctl: rules in %s are invalid: %s\n", dir.c_str(), rules.status().ToString().c_str());
    return 1;
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", conn.status().ToString().c_str());
    return 2;
  }
  auto held = store::HeldQuarantine(**conn, OptionValue(args, "--field"));
  if (!held.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", held.status().ToString().c_str());
    return 2;
  }
  long long written = 0, kept = 0, still = 0, no_contact = 0, gone = 0;
  // "field: raw -> canonical" with a count: what the new rules resolved.
  std::map<std::string, long long> mapped;
  for (const auto& row : *held) {
    auto out = store::ReplayQuarantineRow(**conn, **rules, row.id, dry_run);
    if (!out.ok()) {
      std::fprintf(stderr, "canonctl: quarantine row %lld: %s\n", row.id, out.status().ToString().c_str());
      return 2;
    }
    switch (out->result) {
      case store::ReplayResult::kWritten: ++written; break;
      case store::ReplayResult::kKeptNewer: ++kept; break;
      case store::ReplayResult::kStillHeld: ++still; break;
      case store::ReplayResult::kNoContact: ++no_contact; break;
      case store::ReplayResult::kGone: ++gone; break;
    }
    if (!out->canonical.empty()) ++mapped[row.field + ": \"" + row.value + "\" -> " + out->canonical];
  }
  for (const auto& [what, n] : mapped) std::printf("  %s (%lld)\n", what.c_str(), n);
  std::printf("%s%zu held checked with rules %s: %lld written to contacts, %lld kept (contact has a newer value), "
              "%lld still unmapped, %lld without a contact%s\n",
              dry_run ? "dry run: " : "", held->size(), (*rules)->version().c_str(), written, kept, still,
              no_contact, gone ? (", " + std::to_string(gone) + " already replayed").c_str() : "");
  return 0;
}

}  // namespace canon::tools

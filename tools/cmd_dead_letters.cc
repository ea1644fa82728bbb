// canonctl dead-letters list|show|replay [--stage S] [--source S] [--since T] [--db CONNINFO]: what was
// refused or could not be fetched, and putting it back in the queue for canond's workers
// (store/dead_letters.h). Works on the database directly, like `report`: any node's workers pick the replayed
// work up, through the rules in force there.
#include <cstdio>
#include <string>

#include "connectors/connector.h"
#include "store/dead_letters.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

void Usage() {
  std::fprintf(
      stderr,
      "usage: canonctl dead-letters list [--stage S] [--source S] [--since T] [--all] [--limit N] [--json]\n"
      "       canonctl dead-letters show ID\n"
      "       canonctl dead-letters replay ID | [--stage S] [--source S] [--since T] | --every\n"
      "  T: an ISO 8601 time or an age (90m, 24h, 7d); list leaves out replayed ones unless --all;\n"
      "  every command takes --db CONNINFO (else $CANON_DB)\n");
}

// A positive id, or 0.
long long IdArg(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoll(text);
}

std::string Cut(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

}  // namespace

int CmdDeadLetters(const Args& args) {
  if (args.empty() || (args[0] != "list" && args[0] != "show" && args[0] != "replay")) {
    Usage();
    return 2;
  }
  const std::string verb = args[0];
  store::DeadLetterFilter filter;
  filter.stage = OptionValue(args, "--stage");
  filter.source = OptionValue(args, "--source");
  filter.since = OptionValue(args, "--since");
  filter.replayed = HasFlag(args, "--all");
  std::string limit = OptionValue(args, "--limit", "100");
  filter.limit = IdArg(limit) > 0 && IdArg(limit) <= 100000 ? static_cast<int>(IdArg(limit)) : 100;
  if (verb == "show" || (verb == "replay" && args.size() > 1 && args[1].rfind("--", 0) != 0)) {
    filter.id = args.size() > 1 ? IdArg(args[1]) : 0;
    if (filter.id == 0) {
      Usage();
      return 2;
    }
    filter.replayed = true;
  }
  if (verb == "replay" && filter.id == 0 && filter.stage.empty() && filter.source.empty() &&
      filter.since.empty() && !HasFlag(args, "--every")) {
    std::fprintf(stderr, "canonctl: replay needs an id, a filter (--stage, --source, --since) or --every\n");
    return 2;
  }
  if (Status s = store::CheckDeadLetterFilter(filter); !s.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", s.message().c_str());
    return 2;
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", conn.status().ToString().c_str());
    return 2;
  }
  if (verb == "replay") {
    auto out = store::ReplayDeadLetters(**conn, filter);
    if (!out.ok()) {
      std::fprintf(stderr, "canonctl: %s\n", out.status().ToString().c_str());
      return 2;
    }
    std::printf("%zu dead letter(s) replayed: %d lead(s) to fetch again, %d payload(s) to parse again%s\n",
                out->ids.size(), out->fetches, out->payloads,
                out->ids.empty() ? " (nothing left to replay: each dead letter is replayed once)" : "");
    for (long long id : out->ids) std::printf("  %lld\n", id);
    return 0;
  }
  if (verb == "list" && HasFlag(args, "--json")) {
    auto json = store::DeadLettersJson(**conn, filter);
    if (!json.ok()) {
      std::fprintf(stderr, "canonctl: %s\n", json.status().ToString().c_str());
      return 2;
    }
    std::printf("%s\n", json->c_str());
    return 0;
  }
  auto rows = store::ListDeadLetters(**conn, filter, verb == "show");
  if (!rows.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", rows.status().ToString().c_str());
    return 2;
  }
  if (verb == "show") {
    if (rows->empty()) {
      std::fprintf(stderr, "canonctl: no dead letter %lld\n", filter.id);
      return 1;
    }
    const store::DeadLetterRow& d = rows->front();
    std::printf(
        "id: %lld\nstage: %s\nsource: %s\ninbox_id: %lld\nfetch_job_id: %lld\ncreated_at: %s\n"
        "replayed_at: %s\nreason: %s\nlocation: %s\nraw (%zu bytes):\n%s\n",
        d.id, d.stage.c_str(), d.source.c_str(), d.inbox_id, d.fetch_job_id, d.created_at.c_str(),
        d.replayed_at.empty() ? "-" : d.replayed_at.c_str(), d.reason.c_str(), d.location.c_str(),
        d.raw.size(), EscapeBytes(d.raw).c_str());
    return 0;
  }
  std::printf("%-8s %-9s %-16s %-27s %-9s %s\n", "ID", "STAGE", "SOURCE", "CREATED (UTC)", "REPLAYED",
              "REASON");
  for (const store::DeadLetterRow& d : *rows)
    std::printf("%-8lld %-9s %-16s %-27s %-9s %s\n", d.id, d.stage.c_str(), Cut(d.source, 16).c_str(),
                d.created_at.c_str(), d.replayed_at.empty() ? "no" : "yes", Cut(d.reason, 100).c_str());
  return 0;
}

}  // namespace canon::tools

// canonctl import FILE --source NAME [--rules DIR] [--db CONNINFO] [--report PATH]
// The drop-folder import from the command line: same pipeline, a progress bar on a terminal, a summary at the
// end, and FILE.report.csv (every refused row with its line and reason) when rows were refused.
#include <unistd.h>

#include <cstdio>

#include "connectors/rule_dir.h"
#include "pipeline/csv_import.h"
#include "tools/commands.h"

namespace canon::tools {

int CmdImport(const Args& args) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    std::fprintf(stderr, "usage: canonctl import FILE --source NAME [--rules DIR] [--db CONNINFO] [--report PATH]\n");
    return 2;
  }
  std::string file = args[0];
  std::string source = OptionValue(args, "--source");
  if (source.empty()) {
    std::fprintf(stderr, "canonctl import: --source is required (a csv source of the rules)\n");
    return 2;
  }
  auto rules = LoadRuleDir(OptionValue(args, "--rules", "rules"));
  if (!rules.ok()) {
    std::fprintf(stderr, "canonctl import: rules: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) {
    std::fprintf(stderr, "canonctl import: %s\n", conn.status().ToString().c_str());
    return 2;
  }
  bool tty = isatty(STDERR_FILENO);
  pipeline::ImportOptions opts;
  std::shared_ptr<const RuleSet> set = *rules;
  opts.rules = [set] { return set; };
  opts.on_progress = [tty](const pipeline::ImportProgress& p) {
    if (!tty) return;
    double pct = 100.0 * p.bytes_done / (p.bytes_total ? p.bytes_total : 1);
    int filled = static_cast<int>(pct / 5);
    std::fprintf(stderr, "\r[%-20.*s] %5.1f%%  %lld rows  %lld refused  %.0f rows/s ", filled, "####################",
                 pct, p.rows_ok + p.rows_refused, p.rows_refused,
                 (p.rows_ok + p.rows_refused) / (p.seconds > 0 ? p.seconds : 1));
  };
  auto r = pipeline::ImportCsvFile(**conn, source, file, opts);
  if (tty) std::fprintf(stderr, "\n");
  if (!r.ok()) {
    std::fprintf(stderr, "canonctl import: %s\n", r.status().ToString().c_str());
    return 2;
  }
  if (r->status == "failed") {
    std::fprintf(stderr, "canonctl import: %s cannot be read: %s\n", file.c_str(), r->error.c_str());
    return 1;
  }
  std::string report = OptionValue(args, "--report", file + ".report.csv");
  if (r->progress.rows_refused > 0) {
    if (Status s = pipeline::WriteImportReport(**conn, r->import_id, report); !s.ok())
      std::fprintf(stderr, "canonctl import: %s\n", s.ToString().c_str());
  }
  std::printf("%s: %s; %lld rows written, %lld refused%s%s; %.1f s (import %lld)\n", file.c_str(),
              r->status == "duplicate" ? "already imported" : r->status.c_str(), r->progress.rows_ok,
              r->progress.rows_refused, r->progress.rows_refused ? ", report: " : "",
              r->progress.rows_refused ? report.c_str() : "", r->progress.seconds, r->import_id);
  return r->progress.rows_refused ? 1 : 0;
}

}  // namespace canon::tools

// canonctl report vocabulary [--db CONNINFO] [--json] [--field F] [--all]: the governed values held in quarantine,
// per field, with counts, first/last seen and sources: the list stewards turn into aliases.
// canonctl report blocking-keys [--db CONNINFO] [--json] [--limit N]: the blocking keys the matcher skipped as
// over-common (a shared office phone, info@), most hits first. The keys are PII; this is an admin report.
#include <algorithm>
#include <cstdio>
#include <string>

#include "store/reports.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: canonctl report vocabulary [--db CONNINFO] [--json] [--field F] [--all]\n"
               "  quarantined values per field: count, first/last seen, sources (held only unless --all)\n"
               "       canonctl report blocking-keys [--db CONNINFO] [--json] [--limit N]\n"
               "  blocking keys skipped as over-common: kind, holders, hits, first/last seen\n");
}

// Display width in code points (UTF-8 continuation bytes do not count), for aligned columns.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void Pad(std::string& line, const std::string& cell, size_t width) {
  line += cell;
  line.append(width > Width(cell) ? width - Width(cell) : 0, ' ');
  line += "  ";
}

// Prints rows of cells in aligned columns; the last column is not padded.
void PrintTable(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& table) {
  const size_t cols = headers.size();
  std::vector<size_t> widths(cols);
  for (size_t c = 0; c < cols; ++c) {
    widths[c] = Width(headers[c]);
    for (const auto& cells : table) widths[c] = std::max(widths[c], Width(cells[c]));
  }
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cols; ++c) Pad(line, cells[c], c + 1 == cols ? 0 : widths[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  };
  print(headers);
  for (const auto& cells : table) print(cells);
}

// Prints a failed result's status to stderr; true when it failed.
template <typename T>
bool Failed(const Result<T>& r) {
  if (r.ok()) return false;
  std::fprintf(stderr, "canonctl: %s\n", r.status().ToString().c_str());
  return true;
}

// Timestamps are shown to the second; the JSON keeps microseconds.
std::string ToSecond(const std::string& ts) {
  return ts.size() >= 19 ? ts.substr(0, 10) + " " + ts.substr(11, 8) : ts;
}

int BlockingKeys(const Args& args) {
  std::string limit_text = OptionValue(args, "--limit", "100");
  if (limit_text.empty() || limit_text.size() > 6 ||
      limit_text.find_first_not_of("0123456789") != std::string::npos || std::stoi(limit_text) == 0) {
    std::fprintf(stderr, "canonctl report blocking-keys: --limit takes a positive number\n");
    return 2;
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (Failed(conn)) return 2;
  const int limit = std::stoi(limit_text);
  if (HasFlag(args, "--json")) {
    auto json = store::OverCommonKeysJson(**conn, limit);
    if (Failed(json)) return 2;
    std::printf("%s\n", json->c_str());
    return 0;
  }
  auto rows = store::OverCommonKeys(**conn, limit);
  if (Failed(rows)) return 2;
  if (rows->empty()) {
    std::printf("no over-common blocking keys\n");
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (const auto& row : *rows) {
    std::string holders = std::to_string(row.holders);
    if (row.holders >= store::kHoldersCap) holders += "+";
    table.push_back({row.kind, row.key, holders, std::to_string(row.hits), ToSecond(row.first_seen),
                     ToSecond(row.last_seen)});
  }
  PrintTable({"KIND", "KEY", "HOLDERS", "HITS", "FIRST SEEN (UTC)", "LAST SEEN (UTC)"}, table);
  std::printf("%zu keys\n", rows->size());
  return 0;
}

}  // namespace

int CmdReport(const Args& args) {
  if (!args.empty() && args[0] == "blocking-keys") return BlockingKeys(args);
  if (args.empty() || args[0] != "vocabulary") {
    Usage();
    return 2;
  }
  store::DriftOptions options;
  options.all = HasFlag(args, "--all");
  options.field = OptionValue(args, "--field");
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (Failed(conn)) return 2;
  auto rows = store::VocabularyDrift(**conn, options);
  if (Failed(rows)) return 2;
  if (HasFlag(args, "--json")) {
    std::printf("%s\n", store::DriftJson(*rows).c_str());
    return 0;
  }
  if (rows->empty()) {
    std::printf("no quarantined values%s\n", options.all ? "" : " held");
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  long long total = 0;
  for (const auto& row : *rows) {
    std::string sources;
    for (const auto& s : row.sources) sources += (sources.empty() ? "" : ",") + s;
    std::string count = std::to_string(row.count);
    if (options.all && row.held != row.count) count += " (" + std::to_string(row.held) + " held)";
    table.push_back({row.field, "\"" + row.value + "\"", count, ToSecond(row.first_seen),
                     ToSecond(row.last_seen), sources});
    total += row.count;
  }
  PrintTable({"FIELD", "VALUE", "COUNT", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "SOURCES"}, table);
  std::printf("%zu values, %lld records\n", rows->size(), total);
  return 0;
}

}  // namespace canon::tools

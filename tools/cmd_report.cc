// canonctl report vocabulary [--db CONNINFO] [--json] [--field F] [--all]: the governed values held in quarantine,
// per field, with counts, first/last seen and sources: the list stewards turn into aliases.
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
               "  quarantined values per field: count, first/last seen, sources (held only unless --all)\n");
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

}  // namespace

int CmdReport(const Args& args) {
  if (args.empty() || args[0] != "vocabulary") {
    Usage();
    return 2;
  }
  store::DriftOptions options;
  options.all = HasFlag(args, "--all");
  options.field = OptionValue(args, "--field");
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", conn.status().ToString().c_str());
    return 2;
  }
  auto rows = store::VocabularyDrift(**conn, options);
  if (!rows.ok()) {
    std::fprintf(stderr, "canonctl: %s\n", rows.status().ToString().c_str());
    return 2;
  }
  if (HasFlag(args, "--json")) {
    std::printf("%s\n", store::DriftJson(*rows).c_str());
    return 0;
  }
  if (rows->empty()) {
    std::printf("no quarantined values%s\n", options.all ? "" : " held");
    return 0;
  }
  // Timestamps are shown to the second; the JSON keeps microseconds.
  auto second = [](const std::string& ts) { return ts.size() >= 19 ? ts.substr(0, 10) + " " + ts.substr(11, 8) : ts; };
  const char* headers[] = {"FIELD", "VALUE", "COUNT", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "SOURCES"};
  std::vector<std::vector<std::string>> table;
  long long total = 0;
  for (const auto& row : *rows) {
    std::string sources;
    for (const auto& s : row.sources) sources += (sources.empty() ? "" : ",") + s;
    std::string count = std::to_string(row.count);
    if (options.all && row.held != row.count) count += " (" + std::to_string(row.held) + " held)";
    table.push_back({row.field, "\"" + row.value + "\"", count, second(row.first_seen), second(row.last_seen), sources});
    total += row.count;
  }
  std::vector<size_t> widths(6);
  for (int c = 0; c < 6; ++c) {
    widths[c] = Width(headers[c]);
    for (const auto& cells : table) widths[c] = std::max(widths[c], Width(cells[c]));
  }
  std::string line;
  for (int c = 0; c < 6; ++c) Pad(line, headers[c], c == 5 ? 0 : widths[c]);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::printf("%s\n", line.c_str());
  for (const auto& cells : table) {
    line.clear();
    for (int c = 0; c < 6; ++c) Pad(line, cells[c], c == 5 ? 0 : widths[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
  std::printf("%zu values, %lld records\n", rows->size(), total);
  return 0;
}

}  // namespace canon::tools

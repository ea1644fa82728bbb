#include "tools/csv_inputs.h"

#include <fstream>

#include "connectors/csv_reader.h"
#include "hygiene/normalize.h"

namespace canon::tools {

std::vector<std::pair<std::string, std::string>> MapOptions(const Args& args) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string spec;
    if (args[i] == "--map" && i + 1 < args.size()) spec = args[++i];
    else if (args[i].rfind("--map=", 0) == 0) spec = args[i].substr(6);
    else continue;
    size_t eq = spec.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) continue;
    out.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
  }
  return out;
}

Result<CsvInputs> ReadCsvInputs(const std::string& path, const RuleSet& rules, const CsvInputOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot open input", path);
  IstreamByteSource src(in);
  CsvReader reader(&src);
  Status st = reader.Start();
  if (!st.ok()) return Status(st.code(), st.message(), path + (st.where().empty() ? "" : ": " + st.where()));
  const auto& header = reader.header();
  SourceConfig bare;  // no source: header synonyms and canonical names only
  std::vector<std::string> columns = MapCsvHeader(bare, header);
  int id_col = -1, label_col = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    if (!options.id_column.empty() && header[c] == options.id_column) id_col = static_cast<int>(c);
    if (!options.label_column.empty() && header[c] == options.label_column) label_col = static_cast<int>(c);
    for (const auto& [col, field] : options.maps)
      if (header[c] == col) columns[c] = field;
  }
  if (!options.id_column.empty() && id_col < 0)
    return Status::Invalid("no column named '" + options.id_column + "'", path + ":1");
  if (!options.label_column.empty() && label_col < 0)
    return Status::Invalid("no column named '" + options.label_column + "'", path + ":1");
  if (label_col >= 0) columns[label_col] = "";  // the answer is never a feature
  if (id_col >= 0) {  // the id is never a feature, unless a --map says so explicitly
    bool mapped = false;
    for (const auto& [col, field] : options.maps) mapped = mapped || col == options.id_column;
    if (!mapped) columns[id_col] = "";
  }
  for (const auto& [col, field] : options.maps) {
    bool found = false;
    for (const auto& h : header) found = found || h == col;
    if (!found) return Status::Invalid("--map: no column named '" + col + "'", path + ":1");
  }

  CsvInputs out;
  CsvRow row;
  size_t n = 0;
  while (reader.Next(&row)) {
    ++n;
    std::string id = id_col >= 0 && static_cast<size_t>(id_col) < row.fields.size() ? row.fields[id_col]
                                                                                     : std::to_string(n);
    if (!row.error.ok()) out.problems.push_back("line " + std::to_string(row.line) + ": " + row.error.message());
    Record rec;
    rec.index = static_cast<int>(row.line);
    for (size_t c = 0; c < row.fields.size() && c < columns.size(); ++c) {
      if (columns[c].empty() || row.fields[c].empty()) continue;
      rec.fields.emplace(columns[c], row.fields[c]);
    }
    if (!options.default_country.empty() && !rec.Has("country")) rec.fields["country"] = options.default_country;
    NormalizedRecord norm = Normalize(rec, rules);
    std::string why;
    if (!norm.accepted()) {
      for (const auto& r : norm.rejected) why += (why.empty() ? "" : "; ") + r.field + ": " + r.reason;
      out.problems.push_back("line " + std::to_string(row.line) + ": rejected by normalization (" + why + ")");
    }
    out.inputs.push_back(MatchInputFromNormalized(norm, id));
    out.refused.push_back(std::move(why));
    if (label_col >= 0)
      out.labels.push_back(static_cast<size_t>(label_col) < row.fields.size() ? row.fields[label_col] : std::string());
  }
  if (!reader.status().ok()) return reader.status();
  return out;
}

}  // namespace canon::tools

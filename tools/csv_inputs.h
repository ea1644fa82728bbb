// CSV file -> normalized match inputs, shared by `canonctl dedupe` and `canonctl match train`.
//
// Columns map onto canonical fields by --map COLUMN=field, else by name (the connectors' header synonyms:
// MapCsvHeader). Each row is normalized with the rule set (canon::Normalize), then reduced to a MatchInput
// (MatchInputFromNormalized). Rows the CSV reader refuses, or the normalizer rejects, are still returned (with
// what could be read) so every input row gets an output row; they are counted in `problems`, and a rejected row's
// reasons are in `refused` (the caller decides: match on what remains, or leave it out as canond does).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hygiene/match_model.h"
#include "hygiene/rule_set.h"
#include "tools/commands.h"

namespace canon::tools {

struct CsvInputOptions {
  std::string id_column;                                    // "" = the 1-based row number
  // A column of ground-truth labels (records of one entity share one): read into CsvInputs::labels, never a
  // feature. "" = none. For bench/match_quality --labelled.
  std::string label_column;
  std::vector<std::pair<std::string, std::string>> maps;    // column -> canonical field
  // Set as the country of rows that have none (ISO code), so national phone numbers and regions can be read.
  std::string default_country;
};

struct CsvInputs {
  std::vector<MatchInput> inputs;
  // Per input (same order): why the rule set refuses the row as a whole (canond would dead-letter it), "" when
  // accepted.
  std::vector<std::string> refused;
  std::vector<std::string> problems;  // "line N: reason", for stderr
  std::vector<std::string> labels;    // per input, the label_column's value (empty without one)
};

Result<CsvInputs> ReadCsvInputs(const std::string& path, const RuleSet& rules, const CsvInputOptions& options);

// Collects every "--map COLUMN=field" (also "--map=COLUMN=field") of the arguments.
std::vector<std::pair<std::string, std::string>> MapOptions(const Args& args);

}  // namespace canon::tools

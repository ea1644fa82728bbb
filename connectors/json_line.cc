#include "connectors/json_line.h"

#include <cctype>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {

Result<Record> RecordFromJsonLine(std::string_view line, const RuleSet& rules, const SourceConfig* source,
                                  simdjson::dom::parser& parser) {
  simdjson::dom::element root;
  if (auto err = parser.parse(line.data(), line.size()).get(root)) return json_util::Malformed(err);
  if (!root.is_object()) return Status::Invalid("expected a JSON object");
  Record rec;
  simdjson::dom::object obj = root.get_object().value();  // named: ranging over the temporary dangles
  for (auto [key, value] : obj) {
    std::string k(key);
    std::string field = rules.fields().Find(k) ? k : std::string();
    if (field.empty() && source) {
      std::string lower = k;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto it = source->synonyms.find(lower);
      if (it != source->synonyms.end()) field = it->second;
    }
    if (value.is_null()) continue;
    if (!field.empty() && !value.is_array() && !value.is_object())
      rec.fields[field] = json_util::ScalarText(value);
    else
      rec.extra[k] = json_util::ScalarText(value);
  }
  // As the connectors do for what reaches canond, so `canonctl normalize` derives what canond derives.
  CaptureAttribution(&rec);
  return rec;
}

}  // namespace canon

#include "hygiene/normalize.h"

#include <algorithm>

namespace canon {
namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace

NormalizedRecord Normalize(const Record& record, const RuleSet& rules) {
  NormalizedRecord out;
  out.rules_version = rules.version();
  for (const auto& [field, raw] : record.fields) {
    std::string v = Trim(raw);
    if (v.empty()) continue;
    if (field == "email") {
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
      out.keys["email_key"] = v;
    }
    out.fields[field] = std::move(v);
  }
  return out;
}

}  // namespace canon

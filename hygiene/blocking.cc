#include "hygiene/blocking.h"

#include <toml++/toml.h>

#include <algorithm>

#include "hygiene/compare.h"
#include "hygiene/fold.h"
#include "hygiene/rule_parse.h"

namespace canon {
namespace {

std::string Where(const std::string& path, const toml::source_region& r) {
  return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

bool ParsePart(std::string_view spec, BlockingPart* out) {
  std::string_view field = spec;
  size_t colon = spec.find(':');
  out->transform = BlockingPart::Transform::kValue;
  if (colon != std::string_view::npos) {
    std::string_view fn = spec.substr(0, colon);
    field = spec.substr(colon + 1);
    if (fn == "metaphone") {
      out->transform = BlockingPart::Transform::kMetaphone;
    } else if (fn == "initial") {
      out->transform = BlockingPart::Transform::kInitial;
    } else if (fn == "year") {
      out->transform = BlockingPart::Transform::kYear;
    } else if (fn.size() == 7 && fn.substr(0, 6) == "prefix" && fn[6] >= '1' && fn[6] <= '9') {
      out->transform = BlockingPart::Transform::kPrefix;
      out->prefix = fn[6] - '0';
    } else {
      return false;
    }
  }
  return MatchFieldFromName(field, &out->field);
}

}  // namespace

Result<BlockingRules> BlockingRules::FromToml(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    return Status::Invalid(std::string(err.description()), Where(path, err.source()));
  }
  BlockingRules out;
  if (const toml::table* lim = root["blocking_limits"].as_table()) {
    if (Status s = rule_parse::CheckKeys(path, *lim, {"max_per_key", "max_candidates"}, "[blocking_limits]"); !s.ok())
      return s;
    for (const char* k : {"max_per_key", "max_candidates"}) {
      const toml::node* n = lim->get(k);
      if (!n) continue;
      auto v = n->value<int64_t>();
      if (!v || *v < 1) return Status::Invalid(std::string("'") + k + "' must be a positive integer",
                                               Where(path, n->source()));
      (std::string_view(k) == "max_per_key" ? out.max_per_key : out.max_candidates) = static_cast<size_t>(*v);
    }
  }
  const toml::array* arr = root["blocking"].as_array();
  if (!arr || arr->empty()) return Status::Invalid("match rules need at least one [[blocking]] rule", path + ":1:1");
  for (const auto& node : *arr) {
    const toml::table* t = node.as_table();
    if (!t) return Status::Invalid("[[blocking]] entries must be tables", Where(path, node.source()));
    if (Status s = rule_parse::CheckKeys(path, *t, {"name", "parts", "max_per_key", "note"}, "[[blocking]]"); !s.ok())
      return s;
    BlockingRule rule;
    auto name = (*t)["name"].value<std::string>();
    if (!name || name->empty()) return Status::Invalid("blocking rule needs a 'name'", Where(path, t->source()));
    rule.name = *name;
    const toml::array* parts = (*t)["parts"].as_array();
    if (!parts || parts->empty())
      return Status::Invalid("blocking rule '" + rule.name + "' needs a non-empty 'parts' array",
                             Where(path, t->source()));
    for (const auto& p : *parts) {
      auto s = p.value<std::string>();
      BlockingPart part;
      if (!s || !ParsePart(*s, &part))
        return Status::Invalid("bad blocking part (expected [metaphone:|initial:|year:|prefixN:]<match field>)",
                               Where(path, p.source()));
      rule.parts.push_back(part);
    }
    if (const toml::node* cap = t->get("max_per_key")) {
      auto v = cap->value<int64_t>();
      if (!v || *v < 1)
        return Status::Invalid("blocking rule '" + rule.name + "': 'max_per_key' must be a positive integer",
                               Where(path, cap->source()));
      rule.max_per_key = static_cast<size_t>(*v);
    }
    out.rules.push_back(std::move(rule));
  }
  return out;
}

size_t BlockingRules::CapFor(std::string_view key) const {
  std::string_view name = key.substr(0, key.find(':'));
  for (const auto& r : rules)
    if (r.max_per_key && r.name == name) return r.max_per_key;
  return max_per_key;
}

size_t BlockingRules::LargestCap() const {
  size_t cap = max_per_key;
  for (const auto& r : rules) cap = std::max(cap, r.max_per_key);
  return cap;
}

namespace {

// One part's spellings for a record: its field case-folded and trimmed, then transformed (empty: the part has no
// value, and a rule using it makes no key).
std::vector<std::string> PartSpellings(const MatchInput& in, const BlockingPart& part) {
  std::u32string folded = FoldCase(in.Get(part.field));
  while (!folded.empty() && folded.back() == U' ') folded.pop_back();
  size_t lead = 0;
  while (lead < folded.size() && folded[lead] == U' ') ++lead;
  folded.erase(0, lead);
  std::vector<std::string> spellings;
  switch (part.transform) {
    case BlockingPart::Transform::kValue:
      if (!folded.empty()) spellings.push_back(EncodeUtf8(folded));
      break;
    case BlockingPart::Transform::kMetaphone: {
      MetaphoneCodes c = DoubleMetaphone(EncodeUtf8(folded));
      if (!c.primary.empty()) spellings.push_back(c.primary);
      if (!c.alternate.empty() && c.alternate != c.primary) spellings.push_back(c.alternate);
      break;
    }
    case BlockingPart::Transform::kInitial:
      if (!folded.empty()) {
        // Without its accent: "Élodie" and "Elodie" are one initial (as Double Metaphone folds É to E).
        std::string initial = EncodeUtf8(folded.substr(0, 1));
        std::string bare = FoldKey(initial);
        spellings.push_back(bare.empty() ? initial : bare);
      }
      break;
    case BlockingPart::Transform::kPrefix:
      if (!folded.empty()) spellings.push_back(EncodeUtf8(folded.substr(0, part.prefix)));
      break;
    case BlockingPart::Transform::kYear:
      if (folded.size() >= 4) spellings.push_back(EncodeUtf8(folded.substr(0, 4)));
      break;
  }
  return spellings;
}

}  // namespace

std::vector<std::string> BlockingKeys(const MatchInput& in, const BlockingRules& rules) {
  std::vector<std::string> keys;
  // Rules share parts (the shipped ones use the family name's metaphone in five rules, the birth date in six):
  // each distinct part is folded and transformed once per record.
  struct Done {
    BlockingPart part;
    std::vector<std::string> spellings;
  };
  std::vector<Done> done;
  auto spellings_of = [&](const BlockingPart& part) -> const std::vector<std::string>& {
    for (const Done& d : done)
      if (d.part.field == part.field && d.part.transform == part.transform && d.part.prefix == part.prefix)
        return d.spellings;
    return done.emplace_back(Done{part, PartSpellings(in, part)}).spellings;
  };
  done.reserve(16);  // each reference returned is used before the next call
  for (const auto& rule : rules.rules) {
    // Each part may have two spellings (metaphone primary and alternate): the rule yields their product.
    std::vector<std::string> partial = {rule.name + ":"};
    bool empty = false;
    for (size_t pi = 0; pi < rule.parts.size() && !empty; ++pi) {
      const std::vector<std::string>& spellings = spellings_of(rule.parts[pi]);
      if (spellings.empty()) {
        empty = true;
        break;
      }
      if (spellings.size() == 1) {
        for (auto& p : partial) (pi ? p.append("|") : p).append(spellings[0]);
        continue;
      }
      std::vector<std::string> next;
      for (const auto& p : partial)
        for (const auto& s : spellings) next.push_back(p + (pi ? "|" : "") + s);
      partial = std::move(next);
    }
    if (empty) continue;
    for (auto& k : partial)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace canon

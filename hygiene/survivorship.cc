#include "hygiene/survivorship.h"

#include <algorithm>

#include "hygiene/rule_parse.h"

namespace canon {
namespace {

using rule_parse::CheckKeys;
using rule_parse::Where;

Status ParsePolicy(const std::string& path, const toml::table& t, FieldPolicy* out) {
  if (Status s = CheckKeys(path, t, {"policy", "sources", "note"}, "a survivorship policy"); !s.ok()) return s;
  auto kind = t["policy"].value<std::string>();
  if (!kind) return Status::Invalid("policy must be a string", Where(path, t.source()));
  if (*kind == "most_recent") out->kind = FieldPolicy::Kind::kMostRecent;
  else if (*kind == "source_priority") out->kind = FieldPolicy::Kind::kSourcePriority;
  else if (*kind == "most_complete") out->kind = FieldPolicy::Kind::kMostComplete;
  else if (*kind == "most_frequent") out->kind = FieldPolicy::Kind::kMostFrequent;
  else
    return Status::Invalid("unknown policy '" + *kind +
                               "' (most_recent, source_priority, most_complete, most_frequent)",
                           Where(path, t.source()));
  if (const toml::array* a = t["sources"].as_array()) {
    for (const auto& v : *a) {
      auto s = v.value<std::string>();
      if (!s) return Status::Invalid("sources must be strings", Where(path, v.source()));
      out->sources.push_back(*s);
    }
  }
  if (out->kind == FieldPolicy::Kind::kSourcePriority && out->sources.empty())
    return Status::Invalid("source_priority needs a non-empty sources list", Where(path, t.source()));
  return Status::Ok();
}

// Newer first: later received_at, then higher id.
bool Newer(const SurvivorMember* a, const SurvivorMember* b) {
  if (a->received_at != b->received_at) return a->received_at > b->received_at;
  return a->id > b->id;
}

}  // namespace

const FieldPolicy& SurvivorshipRules::For(const std::string& field) const {
  auto it = fields.find(field);
  return it == fields.end() ? default_policy : it->second;
}

Result<SurvivorshipRules> SurvivorshipRules::FromToml(std::string_view text, const std::string& path) {
  SurvivorshipRules out;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status::Invalid("TOML syntax error: " + std::string(e.description()), Where(path, e.source()));
  }
  if (Status s = CheckKeys(path, root, {"steward_source", "default", "fields", "touch", "example"},
                           "survivorship.toml");
      !s.ok())
    return s;
  if (const toml::table* t = root["touch"].as_table()) {
    if (Status s = CheckKeys(path, *t, {"fields", "note"}, "[touch]"); !s.ok()) return s;
    if (const toml::array* a = (*t)["fields"].as_array()) {
      for (const auto& v : *a) {
        auto f = v.value<std::string>();
        if (!f) return Status::Invalid("[touch] fields must be strings", Where(path, v.source()));
        out.touch_fields.push_back(*f);
      }
    }
  }
  if (const toml::table* d = root["default"].as_table())
    if (Status s = ParsePolicy(path, *d, &out.default_policy); !s.ok()) return s;
  if (auto s = root["steward_source"].value<std::string>()) out.steward_source = *s;
  if (const toml::table* f = root["fields"].as_table()) {
    for (const auto& [k, v] : *f) {
      const toml::table* t = v.as_table();
      if (!t) return Status::Invalid("fields." + std::string(k.str()) + " must be a table", Where(path, v.source()));
      FieldPolicy p;
      if (Status s = ParsePolicy(path, *t, &p); !s.ok()) return s;
      out.fields[std::string(k.str())] = std::move(p);
    }
  }
  return out;
}

Survivor Recompute(const SurvivorshipRules& rules, const std::vector<SurvivorMember>& members,
                   const std::vector<std::string>& columns) {
  Survivor out;
  if (members.empty()) return out;
  std::vector<const SurvivorMember*> by_age;  // newest first
  for (const auto& m : members) by_age.push_back(&m);
  std::sort(by_age.begin(), by_age.end(), Newer);
  // Where the lead came from is a fact about its records: a steward's edit is not a source of the lead, so it
  // names the sources only of an entity made of nothing else.
  std::vector<const SurvivorMember*> sourced;
  for (const SurvivorMember* m : by_age)
    if (m->source != rules.steward_source) sourced.push_back(m);
  const auto& named = sourced.empty() ? by_age : sourced;
  out.latest_source = named.front()->source;
  out.original_source = named.back()->source;

  // Touches: sourced members with any touch field, oldest and newest.
  const SurvivorMember* first = nullptr;
  const SurvivorMember* latest = nullptr;
  for (const SurvivorMember* m : sourced) {
    bool touch = std::any_of(rules.touch_fields.begin(), rules.touch_fields.end(), [m](const std::string& f) {
      auto it = m->Fields().find(f);
      return it != m->Fields().end() && !it->second.empty();
    });
    if (!touch) continue;
    if (!latest) latest = m;
    first = m;
  }
  if (first) {
    out.original_touch = first->id;
    out.latest_touch = latest->id;
    out.lineage["original_touch"] = first->id;
    out.lineage["latest_touch"] = latest->id;
  }
  auto is_touch_field = [&rules](std::string_view f) {
    return std::find(rules.touch_fields.begin(), rules.touch_fields.end(), f) != rules.touch_fields.end();
  };
  // A touch column's value from one member, or nothing.
  auto from_touch = [&out](const std::string& col, const SurvivorMember* m, const std::string& field) {
    if (!m) return;
    auto it = m->Fields().find(field);
    if (it == m->Fields().end() || it->second.empty()) return;
    out.values[col] = it->second;
    out.lineage[col] = m->id;
  };

  for (const auto& col : columns) {
    if (col.rfind("original_", 0) == 0 && is_touch_field(std::string_view(col).substr(9))) {
      from_touch(col, first, col.substr(9));
      continue;
    }
    if (col.rfind("latest_", 0) == 0 && is_touch_field(std::string_view(col).substr(7))) {
      from_touch(col, latest, col.substr(7));
      continue;
    }
    if (is_touch_field(col)) {
      const SurvivorMember* steward = nullptr;
      for (const SurvivorMember* m : by_age) {
        auto it = m->Fields().find(col);
        if (m->source == rules.steward_source && it != m->Fields().end() && !it->second.empty()) {
          steward = m;
          break;
        }
      }
      from_touch(col, steward ? steward : first, col);
      continue;
    }
    // Candidates: members with a non-empty value, newest first; the validated values only, when there are any.
    std::vector<std::pair<const SurvivorMember*, const std::string*>> cand;
    bool any_valid = false;
    for (const SurvivorMember* m : by_age) {
      auto it = m->Fields().find(col);
      if (it == m->Fields().end() || it->second.empty()) continue;
      cand.emplace_back(m, &it->second);
      any_valid = any_valid || !m->unvalidated.count(col);
    }
    if (cand.empty()) continue;
    if (any_valid) {
      auto unvalidated = [&col](const auto& c) { return c.first->unvalidated.count(col) != 0; };
      cand.erase(std::remove_if(cand.begin(), cand.end(), unvalidated), cand.end());
    }
    const std::pair<const SurvivorMember*, const std::string*>* pick = nullptr;
    for (const auto& c : cand)
      if (c.first->source == rules.steward_source) { pick = &c; break; }
    if (!pick) {
      const FieldPolicy& p = rules.For(col);
      switch (p.kind) {
        case FieldPolicy::Kind::kMostRecent:
          pick = &cand.front();
          break;
        case FieldPolicy::Kind::kSourcePriority:
          for (const auto& s : p.sources) {
            for (const auto& c : cand)
              if (c.first->source == s) { pick = &c; break; }
            if (pick) break;
          }
          if (!pick) pick = &cand.front();
          break;
        case FieldPolicy::Kind::kMostComplete:
          pick = &cand.front();
          for (const auto& c : cand)
            if (c.second->size() > pick->second->size()) pick = &c;
          break;
        case FieldPolicy::Kind::kMostFrequent: {
          std::map<std::string, int> n;
          for (const auto& c : cand) ++n[*c.second];
          pick = &cand.front();
          for (const auto& c : cand)
            if (n[*c.second] > n[*pick->second]) pick = &c;
          break;
        }
      }
    }
    out.values[col] = *pick->second;
    out.lineage[col] = pick->first->id;
  }
  return out;
}

}  // namespace canon

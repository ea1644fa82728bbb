#include "hygiene/rule_set.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <set>

namespace canon {
namespace {

// Canonical field names a source may map onto. Kept here until the governed field definitions in schemas/
// replace it (issue 3).
const std::set<std::string, std::less<>> kKnownFields = {
    "email", "phone", "first_name", "last_name", "full_name", "job_title", "company", "website",
    "country", "region", "city", "postal_code", "street", "street_2", "birth_date", "external_id",
    "lead_source", "lifecycle_stage", "consent", "owner", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "gclid", "fbclid", "msclkid", "created_at", "page_url", "message"};

const std::set<std::string, std::less<>> kConnectorKinds = {"form", "json", "meta_leads", "google_ads",
                                                             "typeform", "csv"};

std::string Where(const std::string& path, const toml::source_region& r) {
  return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// FNV-1a 64: a stable, dependency-free fingerprint of the rule files; not a security hash.
uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Status ParseSources(const RuleFile& file, const toml::table& root,
                    std::map<std::string, SourceConfig, std::less<>>* out) {
  for (const auto& [key, node] : root) {
    std::string name(key.str());
    const toml::table* t = node.as_table();
    if (!t) return Status::Invalid("source '" + name + "' must be a table", Where(file.path, node.source()));
    SourceConfig src;
    src.name = name;
    for (const auto& [k, v] : *t) {
      std::string opt(k.str());
      if (opt == "kind") {
        auto s = v.value<std::string>();
        if (!s || !kConnectorKinds.count(*s))
          return Status::Invalid("source '" + name + "': unknown connector kind", Where(file.path, v.source()));
        src.kind = *s;
      } else if (opt == "map" || opt == "synonyms") {
        const toml::table* m = v.as_table();
        if (!m) return Status::Invalid("source '" + name + "': '" + opt + "' must be a table",
                                       Where(file.path, v.source()));
        for (const auto& [mk, mv] : *m) {
          auto s = mv.value<std::string>();
          if (!s) return Status::Invalid("source '" + name + "': " + opt + " values must be strings",
                                         Where(file.path, mv.source()));
          if (opt == "map") {
            if (!kKnownFields.count(mk.str()))
              return Status::Invalid("source '" + name + "': unknown canonical field '" +
                                         std::string(mk.str()) + "'",
                                     Where(file.path, mv.source()));
            src.map.emplace_back(std::string(mk.str()), *s);
          } else {
            if (!kKnownFields.count(*s))
              return Status::Invalid("source '" + name + "': synonym maps to unknown field '" + *s + "'",
                                     Where(file.path, mv.source()));
            std::string lower(mk.str());
            std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
            src.synonyms[lower] = *s;
          }
        }
      } else if (v.is_string() || v.is_integer() || v.is_boolean() || v.is_floating_point()) {
        if (auto s = v.value<std::string>()) src.options[opt] = *s;
        else if (auto i = v.value<int64_t>()) src.options[opt] = std::to_string(*i);
        else if (auto b = v.value<bool>()) src.options[opt] = *b ? "true" : "false";
        else if (auto d = v.value<double>()) src.options[opt] = std::to_string(*d);
      } else {
        return Status::Invalid("source '" + name + "': unsupported value for '" + opt + "'",
                               Where(file.path, v.source()));
      }
    }
    if (src.kind.empty())
      return Status::Invalid("source '" + name + "' has no 'kind'", Where(file.path, node.source()));
    out->emplace(name, std::move(src));
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const RuleSet>> RuleSet::Parse(const std::vector<RuleFile>& files) {
  auto set = std::make_shared<RuleSet>();
  std::vector<const RuleFile*> sorted;
  for (const auto& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->path < b->path; });
  uint64_t h = 1469598103934665603ull;
  bool have_sources = false;
  for (const RuleFile* f : sorted) {
    h = Fnv1a(Fnv1a(h, f->path), f->text);
    toml::table parsed;
    try {
      parsed = toml::parse(f->text, f->path);
    } catch (const toml::parse_error& err) {
      return Status::Invalid(std::string(err.description()), Where(f->path, err.source()));
    }
    std::string base = f->path.substr(f->path.find_last_of('/') + 1);
    if (base == "sources.toml") {
      have_sources = true;
      Status s = ParseSources(*f, parsed, &set->sources_);
      if (!s.ok()) return s;
    }
  }
  if (!have_sources) return Status::Invalid("no sources.toml in the rule set");
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  set->version_ = buf;
  return std::shared_ptr<const RuleSet>(std::move(set));
}

const SourceConfig* RuleSet::FindSource(std::string_view name) const {
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : &it->second;
}

}  // namespace canon

#include "hygiene/normalize.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "hygiene/attribution.h"
#include "hygiene/normalizer_data.h"
#include "hygiene/phone.h"
#include "hygiene/poison.h"
#include "hygiene/text.h"

namespace canon {
namespace {

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Fields normalized together, after the others: names split and join, the company uses the email's domain.
bool IsNameField(const FieldDef& d) { return d.normalizer == "name" || d.normalizer == "full_name"; }
bool IsCompanyField(const FieldDef& d) { return d.normalizer == "company"; }

class Normalizer {
 public:
  Normalizer(const Record& record, const RuleSet& rules, NormalizedRecord* out)
      : record_(record), rules_(rules), schema_(rules.fields()), out_(out) {
    source_ = rules.FindSource(record.source);
    const RuleSet::NormalizerData& data = rules.normalizer_data();
    if (data.schema == &schema_) field_index_ = &data.field_index;
  }

  void Run() {
    for (const auto& [field, raw] : record_.fields) {
      std::string v = Trim(raw);
      if (v.empty()) continue;
      if (!schema_.null_values.empty() && v.size() <= 20 &&
          std::find(schema_.null_values.begin(), schema_.null_values.end(), Lower(v)) != schema_.null_values.end()) {
        Flag(field + ":null_value");
        continue;
      }
      const FieldDef* def = Def(field);
      if (!def) {
        Quarantine(field, v, "no field definition: the value is not governed");
        continue;
      }
      input_[field] = {std::move(v), def};
    }
    FromPageUrl();
    // Country first: the phone's default region and the region's scope depend on it.
    for (const auto& [field, in] : input_) {
      if (in.def->type == FieldType::kCountry) Governed(*in.def, in.value, {});
    }
    RegionFromCountry();
    for (const auto& [field, in] : input_) {
      const FieldDef& def = *in.def;
      if (def.type == FieldType::kCountry || IsNameField(def) || IsCompanyField(def)) continue;
      Field(def, in.value);
    }
    Names();
    Company();
    DeriveChannel();
    DeriveAbsentVocabularies();
    Check();
  }

 private:
  // The record's value of a field for derivation rules: the trimmed input, else a value derived already (channel),
  // else an unmapped key (ttclid, li_fat_id arrive as extras when no source maps them).
  std::string_view Get(std::string_view field) const {
    auto it = input_.find(field);
    if (it != input_.end()) return it->second.value;
    const std::string key(field);  // the record's maps compare std::string only
    auto d = out_->fields.find(key);
    if (d != out_->fields.end()) return d->second;
    auto e = record_.extra.find(key);
    if (e != record_.extra.end()) return e->second;
    return {};
  }

  void Quarantine(const std::string& field, const std::string& value, std::string reason) {
    out_->quarantined.push_back({field, value, std::move(reason)});
  }
  void Reject(const std::string& field, const std::string& value, std::string reason) {
    out_->rejected.push_back({field, value, std::move(reason)});
  }
  void Flag(const std::string& f) { out_->flags.push_back(f); }

  std::string Country() const {
    auto it = out_->fields.find("country");
    return it == out_->fields.end() ? std::string() : it->second;
  }

  // A country field naming a part of its country that the region vocabulary knows ("England", "Scotland",
  // "Wales", "Northern Ireland": countries of the United Kingdom, whose ISO country is GB) keeps that part as the
  // region, when the record gives no region of its own. Only a region of the matched country: "Georgia" is the
  // country GE, never the US state.
  void RegionFromCountry() {
    auto in = input_.find("country");
    const std::string country = Country();
    const FieldDef* def = Def("region");
    if (in == input_.end() || country.empty() || input_.count("region") || !def || def->type != FieldType::kRegion)
      return;
    const Vocabulary* vocab = rules_.FindVocabulary(def->vocabulary);
    if (!vocab) return;
    const VocabularyValue* region = vocab->Find(vocab->Lookup(in->second.value, country));
    if (!region || region->scope != country) return;
    out_->fields["region"] = region->code;
    Flag("region:from_country");
  }

  // A value governed by a vocabulary (enum, country, region): matched, refined, or quarantined.
  void Governed(const FieldDef& def, const std::string& v, std::string_view scope) {
    const Vocabulary* vocab = rules_.FindVocabulary(def.vocabulary);
    if (!vocab) {  // the built-in schema names vocabularies a bare rule set may not have
      out_->fields[def.name] = v;
      return;
    }
    std::string code = vocab->Lookup(v, scope);
    if (code.empty()) {
      Quarantine(def.name, v, "no value of vocabulary '" + def.vocabulary + "' matches");
      return;
    }
    code = vocab->Refine(code, [this](std::string_view f) { return Get(f); });
    out_->fields[def.name] = code;
  }

  void Field(const FieldDef& def, const std::string& v) {
    switch (def.type) {
      case FieldType::kEmail:
        Email(def, v);
        return;
      case FieldType::kPhone:
        Phone(def, v);
        return;
      case FieldType::kCountry:
        Governed(def, v, {});
        return;
      case FieldType::kRegion: {
        std::string country = Country();
        Governed(def, v, country);
        auto it = out_->fields.find(def.name);
        if (it != out_->fields.end() && country.empty()) {
          const Vocabulary* vocab = rules_.FindVocabulary(def.vocabulary);
          const VocabularyValue* val = vocab ? vocab->Find(it->second) : nullptr;
          if (val && !val->scope.empty() && Def("country")) {
            out_->fields["country"] = val->scope;
            Flag("country:from_region");
          }
        }
        return;
      }
      case FieldType::kEnum:
        Governed(def, v, {});
        return;
      case FieldType::kBoolean:
        Boolean(def, v);
        return;
      case FieldType::kDate:
      case FieldType::kTimestamp:
        Date(def, v);
        return;
      case FieldType::kUrl:
        Url(def, v);
        return;
      case FieldType::kString:
        Text(def, v);
        return;
    }
  }

  void Email(const FieldDef& def, const std::string& v) {
    EmailResult r = NormalizeEmail(v, rules_.normalizer_data().email);
    if (!r.error.ok()) {
      Reject(def.name, v, "not an e-mail address: " + r.error.message());
      return;
    }
    out_->fields[def.name] = r.value;
    out_->keys[def.name + "_key"] = r.key;
    for (const auto& f : r.flags) Flag(def.name + ":" + f);
  }

  void Phone(const FieldDef& def, const std::string& v) {
    // The number's home: the record's own country, else where the source's senders usually are.
    std::string region = Country();
    if (region.empty() && source_) region = source_->Option("default_country");
    PhoneResult r = NormalizePhone(v, region);
    if (!r.error.ok()) {
      Reject(def.name, v, "not a phone number: " + r.error.message());
      return;
    }
    out_->fields[def.name] = r.value;
    if (!r.e164.empty()) out_->keys[def.name + "_key"] = r.e164;
    if (!r.extension.empty() && Def(def.name + "_ext")) out_->fields[def.name + "_ext"] = r.extension;
    for (const auto& f : r.flags) Flag(def.name + ":" + f);
  }

  void Boolean(const FieldDef& def, const std::string& v) {
    static const std::set<std::string> kTrue = {"true", "yes", "y", "1", "on", "checked", "ja", "oui", "si"};
    static const std::set<std::string> kFalse = {"false", "no", "n", "0", "off", "unchecked", "nein", "non"};
    std::string l = Lower(v);
    if (kTrue.count(l)) out_->fields[def.name] = "true";
    else if (kFalse.count(l)) out_->fields[def.name] = "false";
    else Reject(def.name, v, "not a boolean (expected yes/no, true/false, 1/0, on/off)");
  }

  void Date(const FieldDef& def, const std::string& v) {
    DateOptions opt;
    opt.kind = def.type == FieldType::kTimestamp ? DateKind::kTimestamp : DateKind::kDate;
    // A source whose senders write 03/04/2024 for 3 April says so: date_order = "day_first".
    if (source_ && source_->Option("date_order") == "day_first") opt.slash_order = SlashOrder::kDayFirst;
    auto r = NormalizeDate(v, opt);
    if (!r.ok()) {
      Reject(def.name, v, std::string("not a ") + FieldTypeName(def.type) + ": " + r.status().message());
      return;
    }
    out_->fields[def.name] = *r;
  }

  void Url(const FieldDef& def, const std::string& v) {
    // A web address: scheme added when missing, scheme and host lowercased, the rest kept.
    WebAddress a;
    if (v.find_first_of(" \t") != std::string::npos || !SplitWebAddress(v, &a)) {
      Reject(def.name, v, "not a web address");
      return;
    }
    out_->fields[def.name] =
        (a.scheme.empty() ? std::string("https") : Lower(a.scheme)) + "://" + Lower(a.host) + a.port + a.rest;
  }

  void Text(const FieldDef& def, const std::string& v) {
    TextOptions opt;
    opt.multiline = def.max_length > 1000;  // long free text (a message) keeps its paragraphs
    TextResult r = NormalizeText(v, opt);
    if (!r.error.ok()) {
      Reject(def.name, v, r.error.message());
      return;
    }
    std::string value = std::move(r.value);
    if (def.normalizer == "postal") {
      std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
    }
    for (const auto& f : r.flags) Flag(def.name + ":" + f);
    if (!value.empty()) out_->fields[def.name] = std::move(value);
  }

  std::string In(const std::string& field) const {
    auto it = input_.find(field);
    return it == input_.end() ? std::string() : it->second.value;
  }
  // Sets a derived field only when the schema defines it (a bare rule set may not).
  void SetDefined(const std::string& field, std::string value) {
    if (!value.empty() && Def(field)) out_->fields[field] = std::move(value);
  }

  // first_name, last_name and full_name are one person's name: normalized together so a full name fills the
  // missing parts and honorifics and suffixes land in their own fields.
  void Names() {
    std::string first = In("first_name"), last = In("last_name"), full = In("full_name");
    if (first.empty() && last.empty() && full.empty()) {
      SetDefined("honorific", In("honorific"));
      SetDefined("suffix", In("suffix"));
      return;
    }
    NameResult r = NormalizePersonName(first, last, full, rules_.normalizer_data().names);
    if (!r.error.ok()) {
      // The part that failed (NormalizePersonName names it), not the first part present.
      std::string field = r.error.where();
      if (field.empty()) field = !full.empty() ? "full_name" : !last.empty() ? "last_name" : "first_name";
      Reject(field, In(field), "not a name: " + r.error.message());
      return;
    }
    SetDefined("first_name", r.given);
    SetDefined("last_name", r.family);
    SetDefined("full_name", r.full);
    // A sender may give the honorific or suffix in its own field; the name's own wins when both exist.
    SetDefined("honorific", r.honorific.empty() ? In("honorific") : r.honorific);
    SetDefined("suffix", r.suffix.empty() ? In("suffix") : r.suffix);
    for (const auto& f : r.flags) Flag("name:" + f);
  }

  // The company's display form and matching key, and its web domain from the website, else the e-mail.
  void Company() {
    std::string company = In("company");
    if (!company.empty()) {
      CompanyResult r = NormalizeCompany(company, rules_.normalizer_data().companies);
      if (!r.error.ok() && r.value.empty()) {
        Reject("company", company, "not a company name: " + r.error.message());
      } else {
        out_->fields["company"] = r.value;
        if (!r.key.empty()) out_->keys["company_key"] = r.key;
        for (const auto& f : r.flags) Flag("company:" + f);
      }
    }
    const auto& free_mail = rules_.normalizer_data().email.free_mail;
    std::string domain;
    if (auto it = out_->fields.find("website"); it != out_->fields.end()) domain = CompanyDomain(it->second, free_mail);
    if (domain.empty())
      if (auto it = out_->fields.find("email"); it != out_->fields.end()) domain = CompanyDomain(it->second, free_mail);
    SetDefined("company_domain", domain);
  }

  // utm_* and click ids the record lacks, from its landing page's query string (the hidden form fields that
  // should carry them are often missing). A value that is not clean text (invalid UTF-8, control characters) is
  // left in the URL: a tracking parameter never rejects a lead.
  void FromPageUrl() {
    auto page = input_.find("page_url");
    if (page == input_.end()) return;
    for (auto& [key, value] : UrlQueryParams(page->second.value)) {
      const FieldDef* def = input_.count(key) ? nullptr : Def(key);
      if (!def || !IsAttributionParam(key, rules_)) continue;
      std::string v = Trim(value);
      if (!CleanParamValue(v)) continue;
      input_[key] = {std::move(v), def};
      Flag(key + ":from_page_url");
    }
  }

  // The GA4 channel of the record's visit, when the record does not name it and has a visit at all.
  void DeriveChannel() {
    const FieldDef* def = Def("channel");
    if (!def || input_.count("channel")) return;
    Touch t = ClassifyTouch([this](std::string_view f) { return Get(f); }, rules_);
    if (t.channel.empty()) return;
    out_->fields["channel"] = t.channel;
    Flag("channel:derived");
  }

  void DeriveAbsentVocabularies() {
    for (const auto& [name, def] : schema_.fields) {
      if (def.type != FieldType::kEnum || input_.count(name)) continue;
      const Vocabulary* vocab = rules_.FindVocabulary(def.vocabulary);
      if (!vocab || vocab->derive_rules().empty()) continue;
      std::string code = vocab->Derive([this](std::string_view f) { return Get(f); });
      if (code.empty()) continue;
      out_->fields[name] = code;
      Flag(name + ":derived");
    }
  }

  // Definitions that hold for every field whatever its type, then the record-level rules.
  void Check() {
    for (auto it = out_->fields.begin(); it != out_->fields.end();) {
      const FieldDef* def = Def(it->first);
      std::string reason;
      if (def && def->max_length && CodePoints(it->second) > def->max_length)
        reason = "longer than " + std::to_string(def->max_length) + " characters";
      else if (def && def->pattern && !RE2::FullMatch(it->second, *def->pattern))
        reason = "does not match the pattern " + def->pattern_text;
      if (reason.empty()) {
        ++it;
        continue;
      }
      Reject(it->first, it->second, std::move(reason));
      it = out_->fields.erase(it);
    }
    for (const auto& [name, def] : schema_.fields) {
      if (!def.required || out_->fields.count(name)) continue;
      bool already = std::any_of(out_->rejected.begin(), out_->rejected.end(),
                                 [&field = name](const FieldIssue& i) { return i.field == field; });
      if (!already) Reject(name, "", "required field missing");
    }
    if (!schema_.require_any.empty()) {
      bool any = false;
      std::string need;
      for (const auto& group : schema_.require_any) {
        bool all = !group.empty();
        std::string g;
        for (const auto& f : group) {
          all = all && out_->fields.count(f);
          g += (g.empty() ? "" : "+") + f;
        }
        any = any || all;
        need += (need.empty() ? "" : " | ") + g;
      }
      if (!any) Reject("record", "", "needs at least one of: " + need);
    }
  }

  // The field's definition, or nullptr: schema_.Find, by the rule set's hash index when it has one.
  const FieldDef* Def(std::string_view name) const {
    if (!field_index_) return schema_.Find(name);
    auto it = field_index_->find(name);
    return it == field_index_->end() ? nullptr : it->second;
  }

  const Record& record_;
  const RuleSet& rules_;
  const FieldSchema& schema_;
  const std::unordered_map<std::string_view, const FieldDef*>* field_index_ = nullptr;
  const SourceConfig* source_ = nullptr;
  NormalizedRecord* out_;
  // Defined fields, trimmed, non-empty, with their definition.
  struct Input {
    std::string value;
    const FieldDef* def;
  };
  std::map<std::string, Input, std::less<>> input_;
};

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ",") + x;
  return "[" + out + "]";
}

}  // namespace

NormalizedRecord Normalize(const Record& record, const RuleSet& rules) {
  NormalizedRecord out;
  out.rules_version = rules.version();
  // Poison text is rejected before any normalizer reads it, and checked again on what they made: a record that
  // reaches the writer holds only text PostgreSQL takes.
  if (auto issue = PoisonInRecord(record)) {
    out.rejected.push_back(std::move(*issue));
    return out;
  }
  Normalizer(record, rules, &out).Run();
  if (auto issue = PoisonInNormalized(out)) out.rejected.push_back(std::move(*issue));
  return out;
}

std::set<std::string> UnvalidatedFields(const NormalizedRecord& n, const FieldSchema& schema) {
  std::set<std::string> out;
  for (const auto& [field, value] : n.fields) {
    const FieldDef* def = schema.Find(field);
    if (def && def->type == FieldType::kPhone && !value.empty() && !n.keys.count(field + "_key")) out.insert(field);
  }
  return out;
}

std::string CheckExample(const RuleExample& ex, const RuleSet& rules) {
  Record rec;
  rec.source = ex.source;
  for (const auto& [k, v] : ex.input) {
    if (rules.fields().Find(k)) rec.fields[k] = v;
    else rec.extra[k] = v;
  }
  NormalizedRecord n = Normalize(rec, rules);
  std::string fail;
  auto add = [&fail](const std::string& s) { fail += (fail.empty() ? "" : "; ") + s; };
  auto issues = [](const std::vector<FieldIssue>& v, const std::string& only) {
    std::set<std::string> s;
    for (const auto& i : v)
      if (only.empty() || i.field == only) s.insert(i.field);
    return s;
  };
  for (const auto& [field, want] : ex.expect) {
    const std::string& got = n.Get(field);
    if (got != want)
      add(field + ": expected '" + want + "', got " + (n.fields.count(field) ? "'" + got + "'" : "nothing"));
  }
  for (const auto& [key, want] : ex.keys) {
    auto it = n.keys.find(key);
    std::string got = it == n.keys.end() ? std::string() : it->second;
    if (got != want) add("key " + key + ": expected '" + want + "', got '" + got + "'");
  }
  for (const auto& f : ex.flags)
    if (std::find(n.flags.begin(), n.flags.end(), f) == n.flags.end()) add("flag '" + f + "' missing");
  // Single-field examples look only at their field: the record-level rules would refuse a lone lead_source.
  std::string only = ex.field;
  for (auto [want, got_list, what] :
       {std::tuple{&ex.quarantined, &n.quarantined, "quarantined"}, {&ex.rejected, &n.rejected, "rejected"}}) {
    std::set<std::string> got = issues(*got_list, only);
    if (*want) {
      std::set<std::string> w((*want)->begin(), (*want)->end());
      if (w != got) add(std::string(what) + ": expected " + Join(w) + ", got " + Join(got));
    } else if (!only.empty() && !got.empty()) {
      for (const auto& i : *got_list)
        if (i.field == only) add(std::string(what) + " unexpectedly: " + i.reason);
    }
  }
  return fail;
}

Result<std::shared_ptr<const RuleSet::NormalizerData>> BuildNormalizerData(const RuleSet& rules) {
  auto data = std::make_shared<RuleSet::NormalizerData>();
  data->schema = &rules.fields();
  for (const auto& [name, def] : rules.fields().fields) data->field_index.emplace(name, &def);
  data->email = DefaultEmailRules();
  if (const RuleList* l = rules.FindList("free_mail")) data->email.free_mail.insert(l->entries.begin(), l->entries.end());
  if (const RuleList* l = rules.FindList("disposable"))
    data->email.disposable.insert(l->entries.begin(), l->entries.end());
  if (const RuleList* l = rules.FindList("role_accounts"))
    data->email.role_locals.insert(l->entries.begin(), l->entries.end());
  if (const RuleList* l = rules.FindList("email_typos"))
    for (const auto& [typo, domain] : l->map) data->email.domain_typos[typo] = domain;
  if (rules.names_path().empty()) {
    data->names = DefaultNameRules();
  } else {
    auto n = ParseNameRules(rules.names_toml(), rules.names_path());
    if (!n.ok()) return n.status();
    data->names = std::move(*n);
  }
  if (rules.companies_path().empty()) {
    data->companies = DefaultCompanyRules();
  } else {
    auto c = ParseCompanyRules(rules.companies_toml(), rules.companies_path());
    if (!c.ok()) return c.status();
    data->companies = std::move(*c);
  }
  return std::shared_ptr<const RuleSet::NormalizerData>(std::move(data));
}

}  // namespace canon

#include "hygiene/vocabulary.h"

#include <re2/re2.h>

#include <algorithm>

#include "hygiene/fold.h"
#include "hygiene/rule_parse.h"

namespace canon {
namespace {

constexpr char kScopeSep = '\x1f';

std::string_view TrimView(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string ScopedKey(std::string_view scope, std::string_view folded) {
  std::string k(scope);
  k.push_back(kScopeSep);
  k.append(folded);
  return k;
}

}  // namespace

bool RuleHolds(const VocabularyRule& rule, const Vocabulary::FieldGetter& get) {
  for (const auto& f : rule.present)
    if (TrimView(get(f)).empty()) return false;
  if (!rule.any_present.empty()) {
    bool any = false;
    for (const auto& f : rule.any_present)
      if (!TrimView(get(f)).empty()) {
        any = true;
        break;
      }
    if (!any) return false;
  }
  for (const auto& f : rule.absent)
    if (!TrimView(get(f)).empty()) return false;
  for (const auto& [field, re] : rule.match) {
    std::string_view v = TrimView(get(field));
    if (!RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *re)) return false;
  }
  return true;
}

std::string Vocabulary::Lookup(std::string_view raw, std::string_view scope) const {
  std::string_view v = TrimView(raw);
  if (v.empty()) return {};
  std::string folded = FoldKey(v);
  if (!folded.empty()) {
    if (!scope.empty()) {
      auto it = aliases_.find(ScopedKey(scope, folded));
      if (it != aliases_.end()) return values_[it->second].code;
    }
    auto it = aliases_.find(ScopedKey({}, folded));
    if (it != aliases_.end()) return values_[it->second].code;
    auto g = global_.find(folded);
    if (g != global_.end() && g->second >= 0) {
      const VocabularyValue& val = values_[static_cast<size_t>(g->second)];
      // A scoped alias matches across scopes only when the record's scope does not contradict it.
      if (scope.empty() || val.scope.empty() || val.scope == scope) return val.code;
    }
  }
  re2::StringPiece sp(v.data(), v.size());
  for (const auto& [re, index] : patterns_) {
    const VocabularyValue& val = values_[index];
    if (!scope.empty() && !val.scope.empty() && val.scope != scope) continue;
    if (RE2::PartialMatch(sp, *re)) return val.code;
  }
  return {};
}

const VocabularyValue* Vocabulary::Find(std::string_view code) const {
  auto it = codes_.find(std::string(code));
  return it == codes_.end() ? nullptr : &values_[it->second];
}

std::string Vocabulary::Derive(const FieldGetter& get) const {
  for (const auto& r : derive_)
    if (RuleHolds(r, get)) return r.value;
  return {};
}

std::string Vocabulary::Refine(const std::string& code, const FieldGetter& get) const {
  for (const auto& r : refine_)
    if (r.from == code && RuleHolds(r, get)) return r.value;
  return code;
}

bool Vocabulary::MayMove(std::string_view from, std::string_view to, bool by_steward) const {
  const VocabularyValue* t = Find(to);
  if (!t) return false;
  if (from.empty() || by_steward) return true;
  const VocabularyValue* f = Find(from);
  if (!f) return true;  // an ungoverned old value is replaced by a governed one
  return t->order >= f->order;
}

namespace rule_parse {

std::string Where(const std::string& path, const toml::source_region& r) {
  return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

Status CheckKeys(const std::string& path, const toml::table& t, std::initializer_list<std::string_view> allowed,
                 std::string_view what) {
  return CheckKeys(path, t, std::vector<std::string_view>(allowed), what);
}

Status CheckKeys(const std::string& path, const toml::table& t, const std::vector<std::string_view>& allowed,
                 std::string_view what) {
  for (const auto& [k, v] : t) {
    if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return Status::Invalid("unknown key '" + std::string(k.str()) + "' in " + std::string(what) +
                               " (expected one of: " + list + ")",
                           Where(path, k.source().begin.line ? k.source() : v.source()));
  }
  return Status::Ok();
}

Status ReadString(const std::string& path, const toml::node& n, std::string_view what, std::string* out) {
  auto s = n.value<std::string>();
  if (!s || !n.is_string()) return Status::Invalid(std::string(what) + " must be a string", Where(path, n.source()));
  *out = *s;
  return Status::Ok();
}

Status ReadStrings(const std::string& path, const toml::node& n, std::string_view what,
                   std::vector<std::string>* out) {
  if (n.is_string()) {
    out->push_back(*n.value<std::string>());
    return Status::Ok();
  }
  const toml::array* a = n.as_array();
  if (!a) return Status::Invalid(std::string(what) + " must be an array of strings", Where(path, n.source()));
  for (const auto& e : *a) {
    if (!e.is_string())
      return Status::Invalid(std::string(what) + " must contain only strings", Where(path, e.source()));
    out->push_back(*e.value<std::string>());
  }
  return Status::Ok();
}

Status CompilePattern(const std::string& path, const toml::node& n, const std::string& text, bool case_insensitive,
                      std::shared_ptr<const re2::RE2>* out) {
  RE2::Options opt;
  opt.set_log_errors(false);
  if (case_insensitive) opt.set_case_sensitive(false);
  auto re = std::make_shared<const RE2>(text, opt);
  if (!re->ok()) return Status::Invalid("bad RE2 pattern '" + text + "': " + re->error(), Where(path, n.source()));
  *out = std::move(re);
  return Status::Ok();
}

Status ReadVocabularyRule(const std::string& path, const toml::table& t, bool refine, VocabularyRule* out) {
  const char* what = refine ? "[[refine]]" : "[[derive]]";
  Status s = refine ? CheckKeys(path, t, {"value", "from", "present", "any_present", "absent", "match", "note"}, what)
                    : CheckKeys(path, t, {"value", "present", "any_present", "absent", "match", "note"}, what);
  if (!s.ok()) return s;
  out->where = Where(path, t.source());
  if (const toml::node* v = t.get("value")) {
    if (!(s = ReadString(path, *v, "value", &out->value)).ok()) return s;
  } else {
    return Status::Invalid(std::string(what) + " needs a 'value'", out->where);
  }
  if (refine) {
    const toml::node* f = t.get("from");
    if (!f) return Status::Invalid("[[refine]] needs 'from' (the matched value it replaces)", out->where);
    if (!(s = ReadString(path, *f, "from", &out->from)).ok()) return s;
  }
  if (const toml::node* n = t.get("present"))
    if (!(s = ReadStrings(path, *n, "present", &out->present)).ok()) return s;
  if (const toml::node* n = t.get("any_present"))
    if (!(s = ReadStrings(path, *n, "any_present", &out->any_present)).ok()) return s;
  if (const toml::node* n = t.get("absent"))
    if (!(s = ReadStrings(path, *n, "absent", &out->absent)).ok()) return s;
  if (const toml::node* n = t.get("match")) {
    const toml::table* m = n->as_table();
    if (!m) return Status::Invalid("match must be a table of field = RE2 pattern", Where(path, n->source()));
    for (const auto& [field, pat] : *m) {
      std::string text;
      if (!(s = ReadString(path, pat, "match pattern", &text)).ok()) return s;
      std::shared_ptr<const re2::RE2> re;
      if (!(s = CompilePattern(path, pat, text, true, &re)).ok()) return s;
      out->match.emplace_back(std::string(field.str()), std::move(re));
    }
  }
  if (out->present.empty() && out->any_present.empty() && out->match.empty() && !refine)
    return Status::Invalid("[[derive]] has no condition (present, any_present or match)", out->where);
  return Status::Ok();
}

VocabularyBuilder::VocabularyBuilder(std::string name) { v_.name_ = std::move(name); }

Status VocabularyBuilder::AddAlias(const std::string& alias, size_t index, const std::string& where) {
  std::string folded = FoldKey(alias);
  if (folded.empty()) return Status::Invalid("alias '" + alias + "' has no letters or digits", where);
  std::string key = ScopedKey(v_.values_[index].scope, folded);
  auto [it, inserted] = seen_.emplace(key, std::make_pair(index, where));
  if (!inserted && it->second.first != index) {
    return Status::Invalid("alias '" + alias + "' maps to two values: '" + v_.values_[it->second.first].code +
                               "' (at " + it->second.second + ") and '" + v_.values_[index].code + "'",
                           where);
  }
  v_.aliases_[key] = index;
  return Status::Ok();
}

Status VocabularyBuilder::AddFile(const std::string& path, const toml::table& root) {
  Status s = CheckKeys(path, root, {"vocabulary", "description", "value", "alias", "derive", "refine", "example"},
                       "a vocabulary file");
  if (!s.ok()) return s;
  if (const toml::node* vals = root.get("value")) {
    const toml::array* arr = vals->as_array();
    if (!arr) return Status::Invalid("'value' must be an array of tables ([[value]])", Where(path, vals->source()));
    for (const auto& node : *arr) {
      const toml::table* t = node.as_table();
      if (!t) return Status::Invalid("[[value]] entries must be tables", Where(path, node.source()));
      if (!(s = CheckKeys(path, *t, {"code", "label", "aliases", "patterns", "order", "scope", "note"}, "[[value]]"))
               .ok())
        return s;
      std::string where = Where(path, t->source());
      VocabularyValue val;
      const toml::node* code = t->get("code");
      if (!code) return Status::Invalid("[[value]] needs a 'code'", where);
      if (!(s = ReadString(path, *code, "code", &val.code)).ok()) return s;
      if (val.code.empty()) return Status::Invalid("empty code", where);
      if (const toml::node* n = t->get("label"))
        if (!(s = ReadString(path, *n, "label", &val.label)).ok()) return s;
      if (const toml::node* n = t->get("scope"))
        if (!(s = ReadString(path, *n, "scope", &val.scope)).ok()) return s;
      if (const toml::node* n = t->get("order")) {
        auto o = n->value<int64_t>();
        if (!o || !n->is_integer()) return Status::Invalid("order must be an integer", Where(path, n->source()));
        val.order = static_cast<int>(*o);
      }
      auto [prev, fresh] = value_where_.emplace(val.code, where);
      if (!fresh)
        return Status::Invalid("value '" + val.code + "' defined twice (first at " + prev->second + ")", where);
      size_t index = v_.values_.size();
      v_.codes_[val.code] = index;
      v_.values_.push_back(val);
      if (!(s = AddAlias(val.code, index, Where(path, code->source()))).ok()) return s;
      if (const toml::node* n = t->get("label"))
        if (!(s = AddAlias(val.label, index, Where(path, n->source()))).ok()) return s;
      if (const toml::node* n = t->get("aliases")) {
        const toml::array* a = n->as_array();
        if (!a) return Status::Invalid("aliases must be an array of strings", Where(path, n->source()));
        for (const auto& e : *a) {
          std::string alias;
          if (!(s = ReadString(path, e, "alias", &alias)).ok()) return s;
          if (!(s = AddAlias(alias, index, Where(path, e.source()))).ok()) return s;
        }
      }
      if (const toml::node* n = t->get("patterns")) {
        const toml::array* a = n->as_array();
        if (!a) return Status::Invalid("patterns must be an array of strings", Where(path, n->source()));
        for (const auto& e : *a) {
          std::string text;
          if (!(s = ReadString(path, e, "pattern", &text)).ok()) return s;
          std::shared_ptr<const re2::RE2> re;
          if (!(s = CompilePattern(path, e, text, true, &re)).ok()) return s;
          v_.patterns_.emplace_back(std::move(re), index);
        }
      }
    }
  }
  if (const toml::node* al = root.get("alias")) {
    const toml::table* t = al->as_table();
    if (!t) return Status::Invalid("[alias] must be a table of alias = code", Where(path, al->source()));
    for (const auto& [alias, code] : *t) {
      Pending p;
      p.alias = std::string(alias.str());
      p.where = Where(path, alias.source().begin.line ? alias.source() : code.source());
      if (const toml::table* scoped = code.as_table()) {
        // [alias.US] "Calif" = "US-CA": aliases valid in one scope.
        for (const auto& [a2, c2] : *scoped) {
          Pending q;
          q.scope = p.alias;
          q.alias = std::string(a2.str());
          q.where = Where(path, a2.source().begin.line ? a2.source() : c2.source());
          if (!(s = ReadString(path, c2, "alias target", &q.code)).ok()) return s;
          pending_.push_back(std::move(q));
        }
        continue;
      }
      if (!(s = ReadString(path, code, "alias target", &p.code)).ok()) return s;
      pending_.push_back(std::move(p));
    }
  }
  for (const char* kind : {"derive", "refine"}) {
    const toml::node* n = root.get(kind);
    if (!n) continue;
    const toml::array* arr = n->as_array();
    if (!arr) return Status::Invalid(std::string("'") + kind + "' must be an array of tables", Where(path, n->source()));
    for (const auto& e : *arr) {
      const toml::table* t = e.as_table();
      if (!t) return Status::Invalid(std::string(kind) + " entries must be tables", Where(path, e.source()));
      VocabularyRule rule;
      bool refine = std::string_view(kind) == "refine";
      if (!(s = ReadVocabularyRule(path, *t, refine, &rule)).ok()) return s;
      (refine ? v_.refine_ : v_.derive_).push_back(std::move(rule));
    }
  }
  return Status::Ok();
}

Status VocabularyBuilder::Finish(Vocabulary* out) {
  Status s;
  for (const auto& p : pending_) {
    auto it = v_.codes_.find(p.code);
    if (it == v_.codes_.end())
      return Status::Invalid("alias '" + p.alias + "' maps to unknown value '" + p.code + "' of vocabulary '" +
                                 v_.name_ + "'",
                             p.where);
    if (!p.scope.empty() && v_.values_[it->second].scope != p.scope)
      return Status::Invalid("alias '" + p.alias + "' in scope '" + p.scope + "' maps to '" + p.code +
                                 "' of another scope",
                             p.where);
    if (!(s = AddAlias(p.alias, it->second, p.where)).ok()) return s;
  }
  for (const auto* rules : {&v_.derive_, &v_.refine_}) {
    for (const auto& r : *rules) {
      if (!v_.codes_.count(r.value))
        return Status::Invalid("rule produces unknown value '" + r.value + "' of vocabulary '" + v_.name_ + "'",
                               r.where);
      if (!r.from.empty() && !v_.codes_.count(r.from))
        return Status::Invalid("rule refines unknown value '" + r.from + "' of vocabulary '" + v_.name_ + "'",
                               r.where);
    }
  }
  for (const auto& [key, index] : v_.aliases_) {
    size_t sep = key.find(kScopeSep);
    if (sep == 0) continue;  // unscoped aliases are found directly
    std::string folded = key.substr(sep + 1);
    auto [it, fresh] = v_.global_.emplace(folded, static_cast<long>(index));
    if (!fresh && it->second != static_cast<long>(index)) it->second = -1;
  }
  *out = std::move(v_);
  return Status::Ok();
}

}  // namespace rule_parse
}  // namespace canon

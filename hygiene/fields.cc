#include "hygiene/fields.h"

#include <re2/re2.h>

#include "hygiene/rule_parse.h"

namespace canon {
namespace {

struct TypeName {
  FieldType type;
  const char* name;
};
constexpr TypeName kTypes[] = {
    {FieldType::kString, "string"}, {FieldType::kEmail, "email"},         {FieldType::kPhone, "phone"},
    {FieldType::kUrl, "url"},       {FieldType::kCountry, "country"},     {FieldType::kRegion, "region"},
    {FieldType::kDate, "date"},     {FieldType::kTimestamp, "timestamp"}, {FieldType::kEnum, "enum"},
    {FieldType::kBoolean, "boolean"},
};

// Normalizers a field may ask for beyond its type's own.
constexpr std::string_view kNormalizers[] = {"name", "full_name", "company", "text", "code", "id", "postal"};

}  // namespace

bool ParseFieldType(std::string_view name, FieldType* out) {
  for (const auto& t : kTypes)
    if (name == t.name) {
      *out = t.type;
      return true;
    }
  if (name == "vocabulary") {
    *out = FieldType::kEnum;
    return true;
  }
  return false;
}

const char* FieldTypeName(FieldType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "?";
}

FieldSchema BuiltinFieldSchema() {
  FieldSchema s;
  for (const char* f : {"email", "phone", "first_name", "last_name", "full_name", "job_title", "company", "website",
                        "country", "region", "city", "postal_code", "street", "street_2", "birth_date",
                        "external_id", "lead_source", "lifecycle_stage", "consent", "owner", "utm_source",
                        "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid",
                        "created_at", "page_url", "message", "referrer", "channel"}) {
    FieldDef d;
    d.name = f;
    d.entity = f == std::string_view("company") || f == std::string_view("website") ? "company" : "contact";
    std::string_view n = f;
    if (n == "country") d.type = FieldType::kCountry, d.vocabulary = "country";
    if (n == "region") d.type = FieldType::kRegion, d.vocabulary = "region";
    if (n == "lead_source" || n == "lifecycle_stage" || n == "channel") d.type = FieldType::kEnum, d.vocabulary = f;
    s.fields.emplace(d.name, std::move(d));
  }
  return s;
}

namespace rule_parse {

Status ParseFieldSchema(const std::string& path, const toml::table& root, FieldSchema* out) {
  Status s = CheckKeys(path, root, {"record", "field", "example"}, "fields.toml");
  if (!s.ok()) return s;
  out->where = path;
  const toml::table* fields = root["field"].as_table();
  if (!fields) return Status::Invalid("fields.toml needs [field.NAME] tables", path + ":1:1");
  for (const auto& [name, node] : *fields) {
    const toml::table* t = node.as_table();
    std::string where = Where(path, node.source());
    if (!t) return Status::Invalid("field '" + std::string(name.str()) + "' must be a table", where);
    if (!(s = CheckKeys(path, *t,
                        {"entity", "type", "normalize", "required", "max_length", "pattern", "vocabulary", "pii",
                         "derived", "description"},
                        "[field." + std::string(name.str()) + "]"))
             .ok())
      return s;
    FieldDef d;
    d.name = std::string(name.str());
    d.where = where;
    std::string type = "string";
    if (const toml::node* n = t->get("type"))
      if (!(s = ReadString(path, *n, "type", &type)).ok()) return s;
    if (!ParseFieldType(type, &d.type))
      return Status::Invalid("field '" + d.name + "': unknown type '" + type + "'",
                             Where(path, t->get("type")->source()));
    d.entity = "contact";
    if (const toml::node* n = t->get("entity")) {
      if (!(s = ReadString(path, *n, "entity", &d.entity)).ok()) return s;
      if (d.entity != "contact" && d.entity != "company")
        return Status::Invalid("entity must be 'contact' or 'company'", Where(path, n->source()));
    }
    if (const toml::node* n = t->get("normalize")) {
      if (!(s = ReadString(path, *n, "normalize", &d.normalizer)).ok()) return s;
      bool known = false;
      for (auto k : kNormalizers) known = known || d.normalizer == k;
      if (!known) return Status::Invalid("unknown normalizer '" + d.normalizer + "'", Where(path, n->source()));
    }
    for (auto [key, dst] : {std::pair{"required", &d.required}, {"pii", &d.pii}, {"derived", &d.derived}}) {
      if (const toml::node* n = t->get(key)) {
        if (!n->is_boolean())
          return Status::Invalid(std::string(key) + " must be true or false", Where(path, n->source()));
        *dst = *n->value<bool>();
      }
    }
    if (const toml::node* n = t->get("max_length")) {
      auto v = n->value<int64_t>();
      if (!n->is_integer() || *v <= 0)
        return Status::Invalid("max_length must be a positive integer", Where(path, n->source()));
      d.max_length = static_cast<size_t>(*v);
    }
    if (const toml::node* n = t->get("pattern")) {
      if (!(s = ReadString(path, *n, "pattern", &d.pattern_text)).ok()) return s;
      // Patterns constrain canonical values, which are already case-normalized: case matters here.
      if (!(s = CompilePattern(path, *n, d.pattern_text, false, &d.pattern)).ok()) return s;
    }
    if (const toml::node* n = t->get("vocabulary"))
      if (!(s = ReadString(path, *n, "vocabulary", &d.vocabulary)).ok()) return s;
    if (d.type == FieldType::kCountry && d.vocabulary.empty()) d.vocabulary = "country";
    if (d.type == FieldType::kRegion && d.vocabulary.empty()) d.vocabulary = "region";
    if (d.type == FieldType::kEnum && d.vocabulary.empty())
      return Status::Invalid("field '" + d.name + "' of type enum needs a 'vocabulary'", where);
    out->fields.emplace(d.name, std::move(d));
  }
  if (const toml::node* rec = root.get("record")) {
    const toml::table* t = rec->as_table();
    if (!t) return Status::Invalid("[record] must be a table", Where(path, rec->source()));
    if (!(s = CheckKeys(path, *t, {"require_any", "null_values"}, "[record]")).ok()) return s;
    if (const toml::node* n = t->get("null_values")) {
      if (!(s = ReadStrings(path, *n, "null_values", &out->null_values)).ok()) return s;
      for (auto& v : out->null_values)
        for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (const toml::node* n = t->get("require_any")) {
      const toml::array* groups = n->as_array();
      if (!groups) return Status::Invalid("require_any must be an array of arrays of fields", Where(path, n->source()));
      for (const auto& g : *groups) {
        std::vector<std::string> group;
        if (!(s = ReadStrings(path, g, "require_any group", &group)).ok()) return s;
        for (const auto& f : group)
          if (!out->fields.count(f))
            return Status::Invalid("require_any names unknown field '" + f + "'", Where(path, g.source()));
        out->require_any.push_back(std::move(group));
      }
    }
  }
  return Status::Ok();
}

}  // namespace rule_parse
}  // namespace canon

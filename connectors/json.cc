// Generic JSON webhook: one object, or an array of objects. Fields come from the source's map (canonical field
// -> JSON Pointer, RFC 6901); without a map, top-level keys that name canonical fields (or their synonyms) are
// taken as they are. Scalars become text; nested values that no mapping names are kept minified in `extra`.
// Two shapes senders use are mapped as data (docs/rules.md, "Mapping"):
//   json_field:   a member holding JSON as a string (or, on a form, a form key: JotForm's rawRequest) is decoded
//                 and mapped in place of the payload;
//   fields_array: an array of {key, value} entries (HubSpot's fields[{name, value}], Tally's
//                 data.fields[{key, label, type, value}]) is mapped by key, never by position.
#include <simdjson.h>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

using json_util::Member;
using json_util::ScalarText;

// An entry's value as a field's text: an array of scalars (a multiple choice) is joined with ", ".
std::string EntryText(simdjson::dom::element v) {
  if (!v.is_array()) return ScalarText(v);
  std::string text;
  for (simdjson::dom::element item : json_util::Arr(v)) {
    if (item.is_array() || item.is_object()) return ScalarText(v);  // not a list of answers: kept as JSON
    std::string s = ScalarText(item);
    if (s.empty()) continue;
    text += (text.empty() ? "" : ", ") + s;
  }
  return text;
}

// fields_array: key -> value element of every entry (the first entry of a key wins).
Status ReadEntries(const SourceConfig& source, simdjson::dom::element obj, const std::string& where,
                   std::vector<std::pair<std::string, simdjson::dom::element>>* out) {
  const std::string pointer = source.Option("fields_array");
  auto arr = obj.at_pointer(pointer);
  if (arr.error() == simdjson::NO_SUCH_FIELD || arr.error() == simdjson::INDEX_OUT_OF_BOUNDS) return Status::Ok();
  if (arr.error() || !arr.value().is_array())
    return Status::Invalid("expected an array of fields", where + pointer);
  const std::string key_name = source.Option("fields_key", "key"), value_name = source.Option("fields_value", "value");
  size_t i = 0;
  for (simdjson::dom::element entry : json_util::Arr(arr.value())) {
    const std::string w = where + pointer + "/" + std::to_string(i++);
    if (!entry.is_object()) return Status::Invalid("expected an object", w);
    simdjson::dom::element key, value;
    if (!Member(json_util::Obj(entry), key_name, &key) || key.is_array() || key.is_object())
      return Status::Invalid("missing '" + key_name + "'", w + "/" + json_util::PointerToken(key_name));
    if (!Member(json_util::Obj(entry), value_name, &value)) continue;  // unanswered
    out->emplace_back(ScalarText(key), value);
  }
  return Status::Ok();
}

Result<Record> FromObject(const SourceConfig& source, simdjson::dom::element obj, int index,
                          const std::string& where) {
  if (!obj.is_object()) return Status::Invalid("expected a JSON object", where);
  Record rec;
  rec.source = source.name;
  rec.index = index;
  std::vector<std::pair<std::string, simdjson::dom::element>> entries;
  const bool by_key = !source.Option("fields_array").empty();
  if (by_key)
    if (Status s = ReadEntries(source, obj, where, &entries); !s.ok()) return s;
  for (const auto& [field, locator] : source.map) {
    if (by_key && (locator.empty() || locator[0] != '/')) {
      for (const auto& [k, v] : entries)
        if (k == locator && !v.is_null()) {
          rec.fields[field] = EntryText(v);
          break;
        }
      continue;
    }
    auto el = obj.at_pointer(locator);
    if (el.error() == simdjson::NO_SUCH_FIELD || el.error() == simdjson::INDEX_OUT_OF_BOUNDS) continue;
    if (el.error()) {
      return Status::Invalid(std::string("bad JSON Pointer for '") + field + "': " +
                                 simdjson::error_message(el.error()),
                             where + locator);
    }
    if (el.value().is_null()) continue;
    rec.fields[field] = ScalarText(el.value());
  }
  // Entries no map names: a canonical name or synonym fills its field, the rest is kept under its key.
  for (const auto& [k, v] : entries) {
    if (v.is_null()) continue;
    bool mapped = false;
    for (const auto& m : source.map) mapped = mapped || m.second == k;
    if (mapped) continue;
    std::string field = CanonicalFieldFor(source, k);
    if (!field.empty() && !rec.Has(field)) rec.fields[field] = EntryText(v);
    else rec.extra[k] = ScalarText(v);
  }
  // The member holding fields_array (when it is a top-level one) is mapped above, not copied into extra.
  std::string entries_member;
  if (by_key) {
    std::string p = source.Option("fields_array").substr(1);
    if (p.find('/') == std::string::npos) entries_member = p;
  }
  for (auto [key, value] : json_util::Obj(obj)) {
    std::string k(key);
    if (by_key && k == entries_member) continue;
    std::string field = source.map.empty() && !by_key ? CanonicalFieldFor(source, k) : std::string();
    if (!field.empty() && !value.is_array() && !value.is_object()) {
      if (!value.is_null()) rec.fields[field] = ScalarText(value);
    } else {
      if (!value.is_null()) rec.extra[k] = ScalarText(value);
    }
  }
  return rec;
}

// The records of one JSON document (an object, or an array of objects).
Result<std::vector<Record>> FromDocument(const SourceConfig& source, simdjson::dom::element root,
                                         const std::string& base) {
  std::vector<Record> out;
  if (root.is_array()) {
    int i = 0;
    for (simdjson::dom::element el : json_util::Arr(root)) {
      auto rec = FromObject(source, el, i, base + "/" + std::to_string(i));
      if (!rec.ok()) return rec.status();
      out.push_back(std::move(*rec));
      ++i;
    }
    if (out.empty()) return Status::Invalid("empty JSON array", base.empty() ? "/" : base);
  } else {
    auto rec = FromObject(source, root, 0, base);
    if (!rec.ok()) return rec.status();
    out.push_back(std::move(*rec));
  }
  return out;
}

}  // namespace

Result<std::vector<Record>> MapJsonText(const SourceConfig& source, std::string_view json, const std::string& where) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root))
    return Status::Invalid(std::string("malformed JSON: ") + simdjson::error_message(err), where.empty() ? "/" : where);
  return FromDocument(source, root, where);
}

Result<std::vector<Record>> ParseJson(const SourceConfig& source, const Payload& payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto err = parser.parse(payload.body.data(), payload.body.size()).get(root);
  if (err) return Status::Invalid(std::string("malformed JSON: ") + simdjson::error_message(err), "/");
  Result<std::vector<Record>> out = std::vector<Record>{};
  if (const std::string field = source.Option("json_field"); !field.empty()) {
    // JSON inside a string member: decoded with a parser of its own (the outer document stays valid).
    auto el = root.at_pointer(field);
    if (el.error() || !el.value().is_string()) return Status::Invalid("expected a string holding JSON", field);
    out = MapJsonText(source, std::string_view(el.value().get_string().value()), field);
  } else {
    out = FromDocument(source, root, "");
  }
  if (!out.ok()) return out;
  const std::string key = DeliveryKey(source, payload);
  for (Record& rec : *out) {
    rec.delivery_key = key;
    CaptureAttribution(&rec);
  }
  return out;
}

}  // namespace canon

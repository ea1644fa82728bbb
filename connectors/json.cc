// Generic JSON webhook: one object, or an array of objects. Fields come from the source's map (canonical field
// -> JSON Pointer, RFC 6901); without a map, top-level keys that name canonical fields (or their synonyms) are
// taken as they are. Scalars become text; nested values that no mapping names are kept minified in `extra`.
#include <simdjson.h>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {
namespace {

using json_util::ScalarText;

Result<Record> FromObject(const SourceConfig& source, simdjson::dom::element obj, int index,
                          const std::string& where) {
  if (!obj.is_object()) return Status::Invalid("expected a JSON object", where);
  Record rec;
  rec.source = source.name;
  rec.index = index;
  if (!source.map.empty()) {
    for (const auto& [field, pointer] : source.map) {
      auto el = obj.at_pointer(pointer);
      if (el.error() == simdjson::NO_SUCH_FIELD || el.error() == simdjson::INDEX_OUT_OF_BOUNDS) continue;
      if (el.error()) {
        return Status::Invalid(std::string("bad JSON Pointer for '") + field + "': " +
                                   simdjson::error_message(el.error()),
                               where + pointer);
      }
      if (el.value().is_null()) continue;
      rec.fields[field] = ScalarText(el.value());
    }
  }
  simdjson::dom::object fields = json_util::Obj(obj);
  for (auto [key, value] : fields) {
    std::string k(key);
    std::string field = source.map.empty() ? CanonicalFieldFor(source, k) : std::string();
    if (!field.empty() && !value.is_array() && !value.is_object()) {
      if (!value.is_null()) rec.fields[field] = ScalarText(value);
    } else {
      if (!value.is_null()) rec.extra[k] = ScalarText(value);
    }
  }
  return rec;
}

}  // namespace

Result<std::vector<Record>> ParseJson(const SourceConfig& source, const Payload& payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto err = parser.parse(payload.body.data(), payload.body.size()).get(root);
  if (err) return Status::Invalid(std::string("malformed JSON: ") + simdjson::error_message(err), "/");
  const std::string key = DeliveryKey(source, payload);
  std::vector<Record> out;
  if (root.is_array()) {
    int i = 0;
    simdjson::dom::array arr = json_util::Arr(root);
    for (simdjson::dom::element el : arr) {
      std::string where = "/";
      where += std::to_string(i);
      auto rec = FromObject(source, el, i, where);
      if (!rec.ok()) return rec.status();
      out.push_back(std::move(*rec));
      out.back().delivery_key = key;
      CaptureAttribution(&out.back());
      ++i;
    }
    if (out.empty()) return Status::Invalid("empty JSON array", "/");
  } else {
    auto rec = FromObject(source, root, 0, "");
    if (!rec.ok()) return rec.status();
    out.push_back(std::move(*rec));
    out.back().delivery_key = key;
    CaptureAttribution(&out.back());
  }
  return out;
}

}  // namespace canon

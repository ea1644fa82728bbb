// application/x-www-form-urlencoded, as browsers send it (WHATWG URL spec, "application/x-www-form-urlencoded
// parsing"): '&'-separated pairs, '+' is a space, %XX escapes; a bad escape is an error, not a guess. The bytes
// after decoding are in the form's charset (the page's, or accept-charset): a `charset` parameter other than
// UTF-8 on the content type is converted with ICU.
#include <algorithm>

#include "connectors/connector.h"
#include "connectors/json_util.h"

namespace canon {

Result<Record> RecordFromPairs(const SourceConfig& source, const std::vector<std::pair<std::string, std::string>>& pairs) {
  // A key sent several times (a checkbox group, a multi-select) keeps every value, in order.
  std::vector<std::pair<std::string, std::vector<std::string>>> keys;
  for (const auto& pair : pairs) {
    // Not a structured binding: clang (the fuzz build) refuses one captured by the lambda.
    const std::string& k = pair.first;
    auto it = std::find_if(keys.begin(), keys.end(), [&k](const auto& e) { return e.first == k; });
    if (it == keys.end()) keys.push_back({k, {pair.second}});
    else it->second.push_back(pair.second);
  }
  Record rec;
  const std::string json_field = source.Option("json_field");
  if (!json_field.empty()) {
    // JSON inside a form field (JotForm's rawRequest): the record is mapped from it by pointer.
    auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& e) { return e.first == json_field; });
    if (it == keys.end()) return Status::Invalid("missing form field '" + json_field + "'", json_field);
    auto records = MapJsonText(source, it->second.front(), json_field);
    if (!records.ok()) return records.status();
    if (records->size() != 1) return Status::Invalid("expected one JSON object", json_field);
    rec = std::move(records->front());
    keys.erase(it);
  }
  rec.source = source.name;
  for (auto& [k, values] : keys) {
    std::string field = CanonicalFieldFor(source, k);
    if (!json_field.empty() && rec.Has(field)) field.clear();  // the JSON's mapped value wins
    if (!field.empty()) {
      std::string text;
      for (const auto& v : values) text += (text.empty() || v.empty() ? "" : ", ") + v;
      rec.fields[field] = std::move(text);
    } else if (values.size() == 1) {
      rec.extra[k] = std::move(values.front());
    } else {
      std::string list = "[";
      for (const auto& v : values) list += (list.size() > 1 ? "," : "") + json_util::Quote(v);
      rec.extra[k] = list + "]";
    }
  }
  return rec;
}

Result<std::vector<Record>> ParseForm(const SourceConfig& source, const Payload& payload) {
  auto pairs = ParseUrlEncoded(payload.body);
  if (!pairs.ok()) return pairs.status();
  if (pairs->empty()) return Status::Invalid("empty form body");
  const std::string charset = ContentTypeParam(payload.content_type, "charset");
  for (auto& [k, v] : *pairs) {
    auto key = ToUtf8(k, charset);
    if (!key.ok()) return key.status();
    auto val = ToUtf8(v, charset);
    if (!val.ok()) return val.status();
    k = std::move(*key);
    v = std::move(*val);
  }
  auto rec = RecordFromPairs(source, *pairs);
  if (!rec.ok()) return rec.status();
  rec->delivery_key = DeliveryKey(source, payload);
  CaptureAttribution(&*rec);
  std::vector<Record> out;
  out.push_back(std::move(*rec));
  return out;
}

}  // namespace canon

// application/x-www-form-urlencoded, as browsers send it (WHATWG URL spec, "application/x-www-form-urlencoded
// parsing"): '&'-separated pairs, '+' is a space, %XX escapes; a bad escape is an error, not a guess. The bytes
// after decoding are in the form's charset (the page's, or accept-charset): a `charset` parameter other than
// UTF-8 on the content type is converted with ICU.
#include "connectors/connector.h"

namespace canon {

Result<std::vector<Record>> ParseForm(const SourceConfig& source, const Payload& payload) {
  auto pairs = ParseUrlEncoded(payload.body);
  if (!pairs.ok()) return pairs.status();
  if (pairs->empty()) return Status::Invalid("empty form body");
  const std::string charset = ContentTypeParam(payload.content_type, "charset");
  Record rec;
  rec.source = source.name;
  for (auto& [k, v] : *pairs) {
    auto key = ToUtf8(k, charset);
    if (!key.ok()) return key.status();
    auto val = ToUtf8(v, charset);
    if (!val.ok()) return val.status();
    std::string field = CanonicalFieldFor(source, *key);
    if (field.empty()) rec.extra[*key] = std::move(*val);
    else rec.fields[field] = std::move(*val);
  }
  rec.delivery_key = DeliveryKey(source, payload);
  CaptureAttribution(&rec);
  std::vector<Record> out;
  out.push_back(std::move(rec));
  return out;
}

}  // namespace canon

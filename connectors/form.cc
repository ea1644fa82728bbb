// application/x-www-form-urlencoded, as browsers send it (WHATWG URL spec, "application/x-www-form-urlencoded
// parsing"): '&'-separated pairs, '+' is a space, %XX escapes; a bad escape is an error, not a guess.
#include "connectors/connector.h"

namespace canon {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view s, size_t offset) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) {
        return Status::Invalid("truncated percent-escape", "byte " + std::to_string(offset + i));
      }
      int hi = Hex(s[i + 1]), lo = Hex(s[i + 2]);
      if (hi < 0 || lo < 0) return Status::Invalid("bad percent-escape", "byte " + std::to_string(offset + i));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<Record>> ParseForm(const SourceConfig& source, const Payload& payload) {
  Record rec;
  rec.source = source.name;
  std::string_view body = payload.body;
  size_t pos = 0;
  bool any = false;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view k = pair.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      auto key = Decode(k, pos);
      if (!key.ok()) return key.status();
      auto val = Decode(v, pos + (eq == std::string_view::npos ? 0 : eq + 1));
      if (!val.ok()) return val.status();
      std::string field = CanonicalFieldFor(source, *key);
      if (field.empty()) rec.extra[*key] = std::move(*val);
      else rec.fields[field] = std::move(*val);
      any = true;
    }
    pos = amp + 1;
  }
  if (!any) return Status::Invalid("empty form body");
  std::vector<Record> out;
  out.push_back(std::move(rec));
  return out;
}

}  // namespace canon

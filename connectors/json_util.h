// Internal helpers shared by the JSON-based connectors (json, google_ads, typeform, meta_leads). Not a public
// interface: include only from connectors/*.cc. Values returned own their bytes (nothing points into the
// simdjson parser's buffers, which are reused).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "hygiene/status.h"

namespace canon::json_util {

// A scalar as text (numbers as written by simdjson, booleans "true"/"false", null ""); arrays and objects
// minified.
inline std::string ScalarText(simdjson::dom::element el) {
  switch (el.type()) {
    case simdjson::dom::element_type::STRING: return std::string(std::string_view(el.get_string().value()));
    case simdjson::dom::element_type::INT64: return std::to_string(int64_t(el.get_int64().value()));
    case simdjson::dom::element_type::UINT64: return std::to_string(uint64_t(el.get_uint64().value()));
    case simdjson::dom::element_type::DOUBLE: return simdjson::minify(el);
    case simdjson::dom::element_type::BOOL: return el.get_bool().value() ? "true" : "false";
    case simdjson::dom::element_type::NULL_VALUE: return {};
    default: return simdjson::minify(el);
  }
}

// `s` as a JSON string literal, quotes included (control characters as \u00XX; the bytes are not checked for
// UTF-8: CheckRecordText refuses bad text later).
inline std::string Quote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// RFC 6901 escaping of one reference token.
inline std::string PointerToken(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

inline Status Malformed(simdjson::error_code err) {
  return Status::Invalid(std::string("malformed JSON: ") + simdjson::error_message(err), "");
}

// The member `key` of object `obj` when present and not null.
inline bool Member(simdjson::dom::object obj, std::string_view key, simdjson::dom::element* out) {
  auto el = obj[key];
  if (el.error()) return false;
  if (el.value().is_null()) return false;
  *out = el.value();
  return true;
}

// Copies out of simdjson_result temporaries: a range-for over `el.get_array().value()` would bind to a member
// of a destroyed temporary.
inline simdjson::dom::array Arr(simdjson::dom::element e) {
  simdjson::dom::array a;
  if (e.get_array().get(a)) return {};
  return a;
}
inline simdjson::dom::object Obj(simdjson::dom::element e) {
  simdjson::dom::object o;
  if (e.get_object().get(o)) return {};
  return o;
}

}  // namespace canon::json_util

// Shared by the libFuzzer targets in fuzz/ (built with -DCANON_FUZZ=ON by scripts/fuzz): the checks each
// target makes beyond "no crash, no sanitizer report", and a way to cut one fuzz input into several fields.
//
// A check that fails calls abort(), which libFuzzer reports as a crash and saves the input as crash-<sha1>.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

// Never a null view: the daemon's payloads are std::strings, whose data() is never null, and simdjson copies
// its input with memcpy, for which a null source is undefined even at length 0.
inline std::string_view AsView(const uint8_t* data, size_t size) {
  return size == 0 ? std::string_view("") : std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits at each "\n--\n" (the separator the seed corpora use between fields): "a\n--\nb" -> {"a", "b"}.
// Always returns at least `min_parts` parts (missing ones are empty).
inline std::vector<std::string_view> SplitParts(std::string_view in, size_t min_parts) {
  constexpr std::string_view kSep = "\n--\n";
  std::vector<std::string_view> out;
  while (true) {
    size_t at = in.find(kSep);
    if (at == std::string_view::npos) break;
    out.push_back(in.substr(0, at));
    in.remove_prefix(at + kSep.size());
  }
  out.push_back(in);
  while (out.size() < min_parts) out.emplace_back("");
  return out;
}

// The connectors' contract (connectors/connector.h): records, or an error with a message that is not an
// internal error; never an empty success.
inline void CheckOutcome(const Status& s) {
  if (s.ok()) return;
  Check(!s.message().empty());
  Check(s.code() != Code::kInternal);
}

template <typename T>
inline void CheckRecords(const Result<std::vector<T>>& r) {
  if (r.ok())
    Check(!r->empty());
  else
    CheckOutcome(r.status());
}

// A source of `kind` named "fuzz", with a synonym or two so the mapping code runs.
inline SourceConfig FuzzSource(const char* kind) {
  SourceConfig s;
  s.name = "fuzz";
  s.kind = kind;
  s.synonyms = {{"e-mail", "email"}, {"mobile", "phone"}};
  return s;
}

inline bool Utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

// For connectors that read JSON (whose input is valid UTF-8 or refused): every key and value of every record
// is valid UTF-8, as the store's jsonb columns require.
inline void CheckRecordsUtf8(const Result<std::vector<Record>>& r) {
  if (!r.ok()) return;
  for (const Record& rec : *r) {
    Check(Utf8(rec.delivery_key));
    for (const auto* m : {&rec.fields, &rec.extra})
      for (const auto& [k, v] : *m) Check(Utf8(k) && Utf8(v));
  }
}

}  // namespace canon::fuzz

// Poison text: a NUL byte or bytes that are not valid UTF-8. PostgreSQL's text and jsonb refuse both, and one such
// value once failed a worker's whole batch. Normalize rejects a record carrying one (the field named, never the
// value), so every door (forms, JSON, CSV rows, fetched vendor leads, replays) stops it at validation; intake
// refuses a payload whose every record carries one (400 naming the field).
//
// Pure functions; thread-safe; no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hygiene/normalize.h"
#include "hygiene/record.h"

namespace canon {

// Offset of the first byte of `s` that is NUL or not part of valid UTF-8, or npos.
size_t FirstPoisonByte(std::string_view s);

// `s` with NUL and every byte that is not part of valid UTF-8 written as \xHH: fit for a text column or a log.
std::string EscapeBytes(std::string_view s);

// The first field or extra entry of `record` whose name or value is poison: field = its name as EscapeBytes writes
// it, reason = "holds a NUL byte (byte N)" / "is not valid UTF-8 (byte N)", prefixed "(its name) " when the name is
// the culprit; value empty (the value is the sender's and may be personal data). nullopt when the record is clean.
std::optional<FieldIssue> PoisonInRecord(const Record& record);
// The same over what normalization made (fields and keys).
std::optional<FieldIssue> PoisonInNormalized(const NormalizedRecord& n);

}  // namespace canon

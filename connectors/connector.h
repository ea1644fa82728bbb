// Connectors: raw bytes + headers of one delivery -> Records, using the source's rules.
//
// A connector is a pure function of the payload and the SourceConfig; it keeps no state and touches no I/O.
// Every returned Record owns its bytes (nothing points into `body`). Errors say what and where: `where` is a
// JSON Pointer, a form key, or a line number. Parse is safe to call from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

struct Payload {
  std::string_view body;
  std::string content_type;                  // as sent, parameters included
  std::map<std::string, std::string> headers;  // lowercased names
  std::string query;                         // the request target's query string, without '?'
};

// Dispatches on source.kind. Unknown kinds are an internal error (RuleSet::Parse refuses them).
Result<std::vector<Record>> ParsePayload(const SourceConfig& source, const Payload& payload);

// The media type the source's connector accepts ("application/x-www-form-urlencoded", "application/json"), used
// by intake to answer 415 before a byte is stored. Empty means "any".
std::vector<std::string> AcceptedMediaTypes(const SourceConfig& source);

// "application/json; charset=utf-8" -> "application/json" (lowercased, parameters dropped).
std::string MediaType(std::string_view content_type);

Result<std::vector<Record>> ParseForm(const SourceConfig& source, const Payload& payload);
Result<std::vector<Record>> ParseJson(const SourceConfig& source, const Payload& payload);

// Maps an input key onto a canonical field via the source's explicit map, its synonyms, or the key itself when
// it is already a canonical name. Returns "" for an unknown key (the caller keeps it in Record::extra).
std::string CanonicalFieldFor(const SourceConfig& source, std::string_view input_key);

}  // namespace canon

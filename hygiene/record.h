// Record: one person or lead as a connector produced it, before normalization.
//
// Field names are canonical names (email, first_name, lead_source, utm_source, ...) when the connector's mapping
// knows them; unmapped input keys are kept in `extra` so nothing a sender gave is lost. A Record owns all its
// bytes: it never points into a parser's or a socket's buffer. Plain value type; not shared between threads.
#pragma once

#include <map>
#include <string>

namespace canon {

struct Record {
  std::string source;        // the source name from rules/sources.toml
  std::string delivery_key;  // the vendor's idempotency key for this record, or empty
  int index = 0;             // position of the record inside its payload (0 for single-record payloads)
  bool is_test = false;      // a vendor's test lead: kept as a source record only, never a contact
  std::map<std::string, std::string> fields;  // canonical field -> raw value as received
  std::map<std::string, std::string> extra;   // unmapped input keys -> raw value

  // The raw value of a canonical field, or "" when absent.
  const std::string& Get(const std::string& field) const {
    static const std::string kEmpty;
    auto it = fields.find(field);
    return it == fields.end() ? kEmpty : it->second;
  }
  bool Has(const std::string& field) const { return fields.count(field) != 0; }
};

}  // namespace canon

// A reader for the plain subset of YAML that docs/openapi.yaml keeps to, for tests: block mappings and block
// sequences by indentation, `- key: value` items, [a, b] flow lists, "double" and 'single' quoted or plain
// scalars, folded or literal block scalars (>-, >, |, |-) and comments. Anything else (anchors, multi-line plain
// scalars, flow mappings other than {}, tabs) is an error naming the line, so the document stays readable by
// this and by every real YAML parser alike. Mapping keys keep their order. Plain values; no I/O.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace canon::test {

struct YamlNode {
  enum Kind { kScalar, kMap, kSeq };
  Kind kind = kScalar;
  std::string scalar;
  std::vector<std::pair<std::string, YamlNode>> map;
  std::vector<YamlNode> seq;
  int line = 0;  // 1-based line where the node starts

  // The value under `key` of a mapping, or nullptr (also for non-mappings).
  const YamlNode* Get(const std::string& key) const;
};

// The document's root; on error, `error` says what and at which line, and the result is an empty scalar.
YamlNode ParseYaml(const std::string& text, std::string* error);

}  // namespace canon::test

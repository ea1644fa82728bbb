// Internal to the rule file parsers of hygiene/ (rule_set.cc, vocabulary.cc, fields.cc, survivorship.cc,
// blocking.cc, match_model.cc): toml++ helpers that turn a node into a value or a Status naming file:line:column.
// Not for other callers: toml++ is heavy to include.
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hygiene/fields.h"
#include "hygiene/status.h"
#include "hygiene/vocabulary.h"

namespace re2 {
class RE2;
}

namespace canon::rule_parse {

std::string Where(const std::string& path, const toml::source_region& r);

// Every key of `t` must be one of `allowed`; else "unknown key 'k' in <what> (expected one of: ...)".
Status CheckKeys(const std::string& path, const toml::table& t, std::initializer_list<std::string_view> allowed,
                 std::string_view what);
Status CheckKeys(const std::string& path, const toml::table& t, const std::vector<std::string_view>& allowed,
                 std::string_view what);

// Reads a string; error when the node is not one.
Status ReadString(const std::string& path, const toml::node& n, std::string_view what, std::string* out);
// Reads an array of strings (a single string is accepted as a one-element array).
Status ReadStrings(const std::string& path, const toml::node& n, std::string_view what,
                   std::vector<std::string>* out);
// Compiles an RE2 pattern; error with RE2's reason at the node.
Status CompilePattern(const std::string& path, const toml::node& n, const std::string& text, bool case_insensitive,
                      std::shared_ptr<const re2::RE2>* out);

// Reads one [[derive]] / [[refine]] table.
Status ReadVocabularyRule(const std::string& path, const toml::table& t, bool refine, VocabularyRule* out);

// Accumulates the files of one vocabulary, checking duplicate codes and aliases mapped to two values (both places
// reported), then freezes it.
class VocabularyBuilder {
 public:
  explicit VocabularyBuilder(std::string name);
  Status AddFile(const std::string& path, const toml::table& root);
  // Resolves [alias] tables against the codes of all files; checks refine/derive values exist.
  Status Finish(Vocabulary* out);

 private:
  Status AddAlias(const std::string& alias, size_t index, const std::string& where);

  Vocabulary v_;
  std::unordered_map<std::string, std::string> value_where_;  // code -> where
  std::unordered_map<std::string, std::pair<size_t, std::string>> seen_;  // scoped fold -> (index, where)
  struct Pending {
    std::string alias, code, scope, where;
  };
  std::vector<Pending> pending_;
};

// Parses schemas/fields.toml.
Status ParseFieldSchema(const std::string& path, const toml::table& root, FieldSchema* out);

}  // namespace canon::rule_parse

#include "tests/mini_yaml.h"

#include <stdexcept>

namespace canon::test {
namespace {

struct Line {
  int indent;
  std::string text;
  int number;
};

struct YamlError : std::runtime_error {
  YamlError(int line, const std::string& what) : std::runtime_error("line " + std::to_string(line) + ": " + what) {}
};

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(' ');
  if (a == std::string::npos) return {};
  size_t b = s.find_last_not_of(' ');
  return s.substr(a, b - a + 1);
}

// The line without its comment: a '#' at the start or after a space, outside quotes.
std::string StripComment(const std::string& s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      if (i == 0 || s[i - 1] == ' ' || s[i - 1] == '[' || s[i - 1] == ',') quote = c;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ')) {
      return s.substr(0, i);
    }
  }
  return s;
}

std::string Unquote(const std::string& s, int line) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'')) {
    if (s.back() != s.front()) throw YamlError(line, "unterminated quoted scalar: " + s);
    std::string inner = s.substr(1, s.size() - 2);
    if (s.front() == '"' && inner.find('\\') != std::string::npos)
      throw YamlError(line, "escapes in double-quoted scalars are not in the subset: " + s);
    return inner;
  }
  return s;
}

YamlNode Scalar(const std::string& raw, int line) {
  YamlNode n;
  n.line = line;
  std::string s = Trim(raw);
  if (!s.empty() && s.front() == '[') {
    if (s.back() != ']') throw YamlError(line, "a flow list must end on its line: " + s);
    n.kind = YamlNode::kSeq;
    std::string inner = Trim(s.substr(1, s.size() - 2));
    size_t at = 0;
    while (!inner.empty() && at <= inner.size()) {
      size_t comma = inner.find(',', at);
      if (comma == std::string::npos) comma = inner.size();
      n.seq.push_back(Scalar(inner.substr(at, comma - at), line));
      at = comma + 1;
    }
    return n;
  }
  if (s == "{}") {
    n.kind = YamlNode::kMap;
    return n;
  }
  if (!s.empty() && (s.front() == '{' || s.front() == '&' || s.front() == '*' || s.front() == '!'))
    throw YamlError(line, "not in the YAML subset: " + s);
  n.scalar = Unquote(s, line);
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  YamlNode Document() {
    if (lines_.empty()) return {};
    YamlNode root = Block(lines_[0].indent);
    if (i_ < lines_.size()) throw YamlError(lines_[i_].number, "unexpected indentation");
    return root;
  }

 private:
  YamlNode Block(int indent) {
    const Line& first = lines_[i_];
    if (first.text == "-" || first.text.rfind("- ", 0) == 0) return Sequence(indent);
    if (KeyEnd(first.text) != std::string::npos) return Mapping(indent);
    ++i_;
    return Scalar(first.text, first.number);
  }

  YamlNode Sequence(int indent) {
    YamlNode n;
    n.kind = YamlNode::kSeq;
    n.line = lines_[i_].number;
    while (i_ < lines_.size() && lines_[i_].indent == indent &&
           (lines_[i_].text == "-" || lines_[i_].text.rfind("- ", 0) == 0)) {
      Line& item = lines_[i_];
      std::string rest = Trim(item.text.substr(1));
      if (rest.empty()) {
        ++i_;
        if (i_ >= lines_.size() || lines_[i_].indent <= indent) throw YamlError(item.number, "empty sequence item");
        n.seq.push_back(Block(lines_[i_].indent));
      } else {
        // "- key: value" starts a mapping whose keys sit two columns in: read the item as that line.
        item.indent = indent + 2;
        item.text = rest;
        n.seq.push_back(Block(indent + 2));
      }
    }
    return n;
  }

  // Where the key of "key: value" / "key:" ends (the colon), or npos when the line is not a mapping entry.
  static size_t KeyEnd(const std::string& text) {
    size_t from = 0;
    if (!text.empty() && (text[0] == '"' || text[0] == '\'')) {
      size_t close = text.find(text[0], 1);
      if (close == std::string::npos) return std::string::npos;
      from = close + 1;
    }
    for (size_t p = text.find(':', from); p != std::string::npos; p = text.find(':', p + 1))
      if (p + 1 == text.size() || text[p + 1] == ' ') return p;
    return std::string::npos;
  }

  YamlNode Mapping(int indent) {
    YamlNode n;
    n.kind = YamlNode::kMap;
    n.line = lines_[i_].number;
    while (i_ < lines_.size() && lines_[i_].indent == indent) {
      const Line line = lines_[i_];
      size_t colon = KeyEnd(line.text);
      if (colon == std::string::npos) throw YamlError(line.number, "expected 'key: value': " + line.text);
      std::string key = Unquote(Trim(line.text.substr(0, colon)), line.number);
      std::string value = Trim(line.text.substr(colon + 1));
      for (const auto& [k, v] : n.map)
        if (k == key) throw YamlError(line.number, "duplicate key '" + key + "'");
      ++i_;
      YamlNode child;
      child.line = line.number;
      if (value == ">-" || value == ">" || value == "|" || value == "|-") {
        std::string text;
        while (i_ < lines_.size() && lines_[i_].indent > indent) {
          text += (text.empty() ? "" : value[0] == '>' ? " " : "\n") + lines_[i_].text;
          ++i_;
        }
        child.scalar = text;
      } else if (!value.empty()) {
        child = Scalar(value, line.number);
      } else if (i_ < lines_.size() && lines_[i_].indent > indent) {
        child = Block(lines_[i_].indent);
      }
      n.map.emplace_back(std::move(key), std::move(child));
    }
    return n;
  }

  std::vector<Line> lines_;
  size_t i_ = 0;
};

}  // namespace

const YamlNode* YamlNode::Get(const std::string& key) const {
  if (kind != kMap) return nullptr;
  for (const auto& [k, v] : map)
    if (k == key) return &v;
  return nullptr;
}

YamlNode ParseYaml(const std::string& text, std::string* error) {
  std::vector<Line> lines;
  int number = 0;
  size_t at = 0;
  error->clear();
  try {
    while (at <= text.size()) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      std::string raw = text.substr(at, end - at);
      at = end + 1;
      ++number;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      if (raw.find('\t') != std::string::npos) throw YamlError(number, "a tab");
      std::string body = StripComment(raw);
      std::string trimmed = Trim(body);
      if (trimmed.empty()) continue;
      if (trimmed == "---" || trimmed == "...") throw YamlError(number, "one document only");
      while (!body.empty() && body.back() == ' ') body.pop_back();
      int indent = static_cast<int>(body.find_first_not_of(' '));
      lines.push_back({indent, body.substr(indent), number});
    }
    return Parser(std::move(lines)).Document();
  } catch (const YamlError& e) {
    *error = e.what();
    return {};
  }
}

}  // namespace canon::test

#include "hygiene/pii_mask.h"

#include <cstring>

namespace canon {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsPhoneSep(char c) { return c != '\0' && std::strchr(" -./()", c) != nullptr; }

// Characters that may be part of an address around '@'. Bytes of multi-byte UTF-8 sequences count (non-ASCII
// local parts and IDN domains); what usually delimits an address in a message does not.
bool IsAddrChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;
  if (u <= 0x20 || u == 0x7F) return false;
  return std::strchr("\"'`<>()[]{},;:=&?/|\\@", c) == nullptr;
}

// Length of an e-mail-like run whose '@' is at `at`, starting at `*begin` (moved back over the local part, never
// before `floor`); 0 when neither side of the '@' holds anything.
size_t EmailRun(std::string_view s, size_t at, size_t floor, size_t* begin) {
  size_t l = at;
  while (l > floor && IsAddrChar(s[l - 1])) --l;
  size_t r = at + 1;
  while (r < s.size() && IsAddrChar(s[r])) ++r;
  while (r > at + 1 && s[r - 1] == '.') --r;  // a full stop after the address ends the sentence, not the domain
  if (l == at && r == at + 1) return 0;
  *begin = l;
  return r - l;
}

// A run at `i` that is a date (yyyy-mm-dd, yyyy/mm/dd): its length, else 0.
size_t DateRun(std::string_view s, size_t i) {
  if (s.size() - i < 10) return 0;
  for (size_t k = 0; k < 10; ++k) {
    bool sep = k == 4 || k == 7;
    if (sep ? (s[i + k] != '-' && s[i + k] != '/') || s[i + k] != s[i + 4] : !IsDigit(s[i + k])) return 0;
  }
  return 10;
}

// The phone-like run starting at `i` (a '+', '(' or digit not inside a word): its length when it should be
// masked, else 0. *skip is set to how far a caller may move on when it is not masked. after_id: the run follows
// a word ending in "id" ("leadgen_id 123123123123", "inbox id=1234567890"), so bare digits are that id.
size_t PhoneRun(std::string_view s, size_t i, bool after_id, size_t* skip) {
  if (size_t date = DateRun(s, i)) {
    *skip = date;
    return 0;
  }
  size_t j = i;
  bool plus = s[j] == '+';
  if (plus) ++j;
  size_t end = i;  // one past the last digit or ')'
  int digits = 0, seps_in_row = 0, open_parens = 0;
  bool leading_zero = false;
  for (; j < s.size(); ++j) {
    char c = s[j];
    if (IsDigit(c)) {
      if (digits == 0) leading_zero = c == '0';
      ++digits;
      seps_in_row = 0;
      end = j + 1;
    } else if (c == ')' && open_parens == 0) {
      break;  // closes something outside the run: "(call +1 650 555 0142)"
    } else if (IsPhoneSep(c) && ++seps_in_row <= 2) {
      if (c == '(') ++open_parens;
      if (c == ')') {
        --open_parens;
        end = j + 1;
      }
    } else {
      break;
    }
  }
  *skip = end > i ? end - i : 1;
  if (end < s.size() && IsWordChar(s[end])) return 0;  // digits glued to letters: an id or a hex string
  // The shape up to `end`: separators after the last digit end the sentence, not the number.
  std::string_view run = s.substr(i, end - i);
  int dots = 0, other_seps = 0;
  for (char c : run) {
    if (c == '.') ++dots;
    else if (IsPhoneSep(c)) ++other_seps;
  }
  if (digits < 7) return 0;
  bool separated = dots + other_seps > 0;
  if (!plus && other_seps == 0 && dots == 1) return 0;  // a decimal number
  if (!plus && other_seps == 0 && dots == 3 && digits <= 12) {
    // A dotted quad (an IP address) is not a phone.
    int group = 0;
    bool quad = true;
    for (char c : run) {
      if (c == '.') group = 0;
      else if (++group > 3) quad = false;
    }
    if (quad) return 0;
  }
  if (plus || separated) return end - i;
  if (after_id) return 0;
  return digits >= 10 || (leading_zero && digits >= 8) ? end - i : 0;
}

// Whether s[0, i) ends with a word ending in "id" and one ' ', '=', ':' or '#' ("leadgen_id ", "id=").
bool AfterId(std::string_view s, size_t i) {
  if (i < 3 || std::strchr(" =:#", s[i - 1]) == nullptr) return false;
  bool d = s[i - 2] == 'd' || s[i - 2] == 'D';
  bool letter_i = s[i - 3] == 'i' || s[i - 3] == 'I';
  return d && letter_i && (i == 3 || !IsWordChar(s[i - 4]) || s[i - 4] == '_');
}

}  // namespace

std::string MaskPii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t copied = 0;  // s[0, copied) is in out
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '@') {
      size_t begin = 0;
      if (size_t n = EmailRun(s, i, copied, &begin)) {
        out.append(s.substr(copied, begin - copied));
        out += "[email]";
        copied = i = begin + n;
        continue;
      }
      ++i;
      continue;
    }
    bool starts = IsDigit(c) || ((c == '+' || c == '(') && i + 1 < s.size() && (IsDigit(s[i + 1]) || s[i + 1] == '('));
    if (starts && (i == 0 || !IsWordChar(s[i - 1]))) {
      size_t skip = 1;
      size_t n = PhoneRun(s, i, AfterId(s, i), &skip);
      if (n > 0) {
        // The run may be the start of an address ("0123456789@x.com"): the address wins.
        size_t at = i + n;
        if (at < s.size() && s[at] == '@') {
          i = at;
          continue;
        }
        out.append(s.substr(copied, i - copied));
        out += "[phone]";
        copied = i = i + n;
        continue;
      }
      i += skip;
      continue;
    }
    ++i;
  }
  out.append(s.substr(copied));
  return out;
}

}  // namespace canon

// Company names: a display form kept as written (cleaned), and a matching key that ignores legal form, case,
// accents, punctuation and spacing; plus the company's web domain from an e-mail address or website.
//
// Pure functions of their arguments; CompanyRules is plain data (rules/companies.toml via ParseCompanyRules, or
// DefaultCompanyRules(), which holds the same lists). Thread-safe: ICU's Latin-ASCII transliterator is not,
// so each thread uses its own clone of one prototype (created once).
//
// The key, step by step: NFC; lower case; German umlauts folded as Germans spell them without umlauts
// (ä->ae, ö->oe, ü->ue, ß->ss, so "Müller" and "Mueller" agree); ICU "Latin-ASCII" (é->e, ø->o, æ->ae);
// split into words at every character that is not a letter or digit (punctuation and spaces vanish, so
// "S.A." is the words "s" "a"); then, repeatedly from the end, legal forms are dropped when the last one to six
// words, joined, equal a listed form's joined words ("S.A.", "SA" and "S. A." are all "sa"; "Pty Ltd" is
// "ptyltd"); a leading article ("the") and connectors ("and", "und", "et") are dropped; at least one word always
// remains. The key is the remaining words joined without spaces:
//   "ACME, Inc." -> "acme"; "Acme Incorporated" -> "acme"; "Müller GmbH" -> "mueller"; "The Boring Company"
//   -> "boringcompany"; "Johnson & Johnson" -> "johnsonjohnson"; "GmbH" -> "gmbh".
// Non-Latin scripts are kept (lower-cased) in the key.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "hygiene/status.h"

namespace canon {

struct CompanyRules {
  // Legal forms as joined-word keys ("sa", "ptyltd", "gmbh"): add written forms with AddLegalForm.
  std::unordered_set<std::string> legal_forms;
  std::unordered_set<std::string> leading_articles;  // lower case: "the"
  std::unordered_set<std::string> connectors;        // lower case: "and", "und", "et"
};

// Adds a legal form as written ("S.à r.l.", "Pty Ltd") under its joined-word key.
void AddLegalForm(CompanyRules& rules, std::string_view written);

struct CompanyResult {
  std::string value;               // display form: NFC, control characters removed, whitespace collapsed
  std::string key;                 // matching key, see above
  std::vector<std::string> flags;  // "legal_form_removed"
  Status error;                    // not UTF-8; or no letter or digit at all (value kept, key empty)
};

CompanyResult NormalizeCompany(std::string_view raw, const CompanyRules& rules);

// The company's domain from an e-mail address ("ann@Acme.com"), an e-mail domain or a website
// ("https://www.Acme.com:443/about?x"): the host, lower case, IDN as ASCII, without a leading "www.".
// "" when the host is a free-mail provider (in `free_mail`, e.g. gmail.com) or is not a valid domain.
std::string CompanyDomain(std::string_view email_domain_or_website, const std::unordered_set<std::string>& free_mail);

// The built-in lists; identical to rules/companies.toml as shipped.
CompanyRules DefaultCompanyRules();

// Parses the text of a companies.toml (format at the top of rules/companies.toml). Errors carry
// "path:line:column" in Status::where(); `[[example]]` tables are ignored here.
Result<CompanyRules> ParseCompanyRules(std::string_view toml_text, const std::string& path);

}  // namespace canon

// E-mail normalization: syntax check, canonical display value, matching key and flags.
//
// NormalizeEmail is a pure function of the raw value and an EmailRules value (the rule files' data, loaded by
// the rule set; DefaultEmailRules() gives a small built-in set for tools and tests). Thread-safe: the ICU
// UTS #46 (IDNA) object it uses is created once and is immutable.
//
// What it does, in order:
//   1. trims ASCII whitespace and no-break spaces; strips a "mailto:" prefix and one pair of enclosing <>;
//   2. checks the syntax mail servers accept (RFC 5321/5322, the practical subset: dot-atom local part, no
//      quoted strings, no comments, no address literals). Failures are `error` (Code::kInvalidArgument) with a
//      reason such as "more than one '@'" or "domain label \"-x\" starts with a hyphen", and `value` empty;
//   3. lowercases the domain and converts an internationalized domain to ASCII (UTS #46, "bücher.de" ->
//      "xn--bcher-kva.de"); a local part with non-ASCII letters is accepted (SMTPUTF8) and flagged "smtputf8";
//   4. replaces a mistyped domain from `domain_typos` ("gmial.com" -> "gmail.com"), flag "typo_fixed";
//   5. flags "role" (local part, +tag removed, in role_locals), "disposable" (domain or a parent domain in
//      disposable), "free_mail" (domain in free_mail).
// The display `value` keeps the local part's case ("John.Smith+promo@gmail.com"): RFC 5321 lets a server treat
// case as significant. The matching `key` is lowercase and folds the provider's own aliasing rules
// (`providers`): "John.Smith+promo@GMAIL.com" -> "johnsmith@gmail.com". It is never shown as a value.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hygiene/status.h"

namespace canon {

// How one mailbox provider aliases addresses; keyed by the (ASCII, lowercase) domain in EmailRules::providers.
struct ProviderRule {
  bool ignore_dots = false;       // "j.smith" and "jsmith" are the same mailbox (Gmail)
  std::string tag_separators;     // characters that start a sub-address tag the provider ignores ("+")
  std::string canonical_domain;   // the domain the key uses ("googlemail.com" -> "gmail.com"); empty: same
};

struct EmailRules {
  std::unordered_map<std::string, std::string> domain_typos;  // mistyped domain -> intended domain
  std::unordered_set<std::string> role_locals;                // "info", "sales", "noreply", ...
  std::unordered_set<std::string> free_mail;                  // "gmail.com", "web.de", ...
  std::unordered_set<std::string> disposable;                 // "mailinator.com", ...
  std::unordered_map<std::string, ProviderRule> providers;    // see DefaultProviderRules()
};

struct EmailResult {
  std::string value;               // canonical display form; empty on error
  std::string key;                 // matching key; empty on error
  std::vector<std::string> flags;  // "role", "disposable", "free_mail", "typo_fixed", "smtputf8"
  Status error;                    // not ok: the address is refused, message says why
};

EmailResult NormalizeEmail(std::string_view raw, const EmailRules& rules);

// A host name in its checked ASCII form: lowercased, IDN converted (UTS #46), a trailing root dot removed, every
// label LDH and 1..63 long, at least two labels, an alphabetic (or xn--) top-level domain. Returns the error
// otherwise. Shared with the company-domain helper (hygiene/company.h).
Result<std::string> DomainToAscii(std::string_view domain);

// The documented provider table: Gmail (dots and +tags ignored, googlemail.com -> gmail.com); Microsoft
// (outlook.com, hotmail.com, live.com, msn.com: +tags), Apple iCloud (icloud.com, me.com, mac.com: +tags, one
// mailbox under all three -> icloud.com), Fastmail, Proton (+tags), Yandex (+tags).
std::unordered_map<std::string, ProviderRule> DefaultProviderRules();

// Providers plus a few typos, role locals, free-mail and disposable domains: enough for tools and tests. The
// full lists come from rule files (rules/email.toml and the imported free-mail/disposable lists).
EmailRules DefaultEmailRules();

}  // namespace canon

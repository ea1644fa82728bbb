// Attribution: GA4's default channel groups from a landing URL and a referrer (hygiene/attribution.h), and a
// contact's attribution surviving as whole touches (hygiene/survivorship.h).
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "connectors/rule_dir.h"
#include "hygiene/attribution.h"
#include "hygiene/normalize.h"
#include "hygiene/rule_set.h"
#include "hygiene/survivorship.h"
#include "tests/shipped_rules.h"

using namespace canon;

namespace {

const RuleSet& Shipped() { return test::ShippedRules(); }

// The touch of a visit: landing URL, referrer, and any other fields (utm_* or click ids given as fields).
Touch Visit(const std::string& page_url, const std::string& referrer = "",
            std::map<std::string, std::string> fields = {}) {
  if (!page_url.empty()) fields["page_url"] = page_url;
  if (!referrer.empty()) fields["referrer"] = referrer;
  // The landing URL's parameters count as fields, as Normalize copies them.
  for (auto& [k, v] : UrlQueryParams(page_url))
    if (IsAttributionParam(k, Shipped()) && !fields.count(k)) fields[k] = v;
  return ClassifyTouch(
      [&fields](std::string_view f) -> std::string_view {
        auto it = fields.find(std::string(f));
        return it == fields.end() ? std::string_view() : std::string_view(it->second);
      },
      Shipped());
}

SurvivorMember Member(long long id, std::string source, double at,
                      std::map<std::string, std::string> fields) {
  SurvivorMember m;
  m.id = id;
  m.source = std::move(source);
  m.received_at = at;
  m.fields = std::move(fields);
  return m;
}

std::string ChannelOf(const std::string& page_url, const std::string& referrer = "") {
  return Visit(page_url, referrer).channel;
}

}  // namespace

TEST_CASE("the landing URL's query string is decoded", "[attribution]") {
  auto p = UrlQueryParams(
      "https://example.com/a?UTM_Source=News%20Letter&utm_medium=e+mail&x&=y&gclid=a%2Fb#frag=1");
  REQUIRE(p.size() == 4);
  CHECK(p[0] == std::pair<std::string, std::string>("utm_source", "News Letter"));
  CHECK(p[1] == std::pair<std::string, std::string>("utm_medium", "e mail"));
  CHECK(p[2] == std::pair<std::string, std::string>("x", ""));
  CHECK(p[3] == std::pair<std::string, std::string>("gclid", "a/b"));
  CHECK(UrlQueryParams("https://example.com/?a=%zz%4").at(0).second == "%zz%4");
  CHECK(UrlQueryParams("https://example.com/").empty());
  CHECK(UrlHost("https://User:pw@WWW.Google.CO.UK.:443/search?q=1") == "www.google.co.uk");
  CHECK(UrlHost("android-app://com.google.android.gm/") == "com.google.android.gm");
  CHECK(UrlHost("bing.com/search") == "bing.com");
}

TEST_CASE("sources and referrer hosts are classified by the lists in rules/", "[attribution]") {
  CHECK(SourceCategory("google", Shipped()) == "search");
  CHECK(SourceCategory("www.google.de", Shipped()) == "search");
  CHECK(SourceCategory("m.facebook.com", Shipped()) == "social");
  CHECK(SourceCategory("m.youtube.com", Shipped()) ==
        "video");  // hand-kept youtube.com beats generated "social"
  CHECK(SourceCategory("www.amazon.com", Shipped()) == "shopping");
  CHECK(SourceCategory("mail.google.com", Shipped()) == "email");
  CHECK(SourceCategory("outlook.office.com", Shipped()) == "email");
  CHECK(SourceCategory("chatgpt.com", Shipped()) == "ai_assistant");
  CHECK(SourceCategory("gemini.google.com", Shipped()) == "ai_assistant");
  CHECK(SourceCategory("blog.partner.org", Shipped()) == "");
  CHECK(SourceCategory("com", Shipped()) == "");
}

// Every default channel group, in GA4's rule order, from a landing URL and a referrer.
TEST_CASE("every GA4 default channel group from a landing URL and a referrer", "[attribution]") {
  const std::string site = "https://www.example.com/landing";
  // Direct: source (direct), medium (none): no referrer, no tags.
  CHECK(ChannelOf(site) == "direct");
  CHECK(ChannelOf(site, "https://example.com/blog/post") == "direct");  // internal navigation is no referrer
  CHECK(ChannelOf(site + "?utm_source=(direct)&utm_medium=(not set)") == "direct");
  // Cross-network: the campaign name contains cross-network (before every paid rule).
  CHECK(ChannelOf(site + "?utm_source=google&utm_medium=cpc&utm_campaign=Q3-Cross-Network") ==
        "cross_network");
  // Paid Shopping: a shopping site, or a shopping campaign, with a paid medium.
  CHECK(ChannelOf(site + "?utm_source=amazon&utm_medium=cpc") == "paid_shopping");
  CHECK(ChannelOf(site + "?utm_source=google&utm_medium=cpc&utm_campaign=summer_shopping") ==
        "paid_shopping");
  CHECK(ChannelOf(site + "?utm_source=newsletter&utm_medium=paid&utm_campaign=eshop") == "paid_shopping");
  CHECK(ChannelOf(site + "?utm_source=newsletter&utm_medium=paid&utm_campaign=workshop") == "paid_other");
  // Paid Search: a search site with a paid medium; Google Ads auto-tagging; msclkid from a search engine.
  CHECK(ChannelOf(site + "?utm_source=bing&utm_medium=ppc") == "paid_search");
  CHECK(ChannelOf(site + "?gclid=EAIaIQobChMI") == "paid_search");
  CHECK(ChannelOf(site + "?gclid=EAIaIQobChMI", "https://www.google.com/") == "paid_search");
  CHECK(ChannelOf(site + "?wbraid=CjkKCQ", "") == "paid_search");
  CHECK(ChannelOf(site + "?msclkid=7d1e2f", "https://www.bing.com/") == "paid_search");
  CHECK(ChannelOf(site + "?msclkid=7d1e2f", "https://duckduckgo.com/") == "paid_search");
  // Paid Social, Paid Video.
  CHECK(ChannelOf(site + "?utm_source=linkedin&utm_medium=paid_social") == "paid_social");
  CHECK(ChannelOf(site + "?utm_source=facebook&utm_medium=retargeting") == "paid_social");
  CHECK(ChannelOf(site + "?ttclid=E.C.P") == "paid_social");
  CHECK(ChannelOf(site + "?fbclid=IwAR&utm_medium=paid") == "paid_social");
  CHECK(ChannelOf(site + "?utm_source=youtube&utm_medium=cpv") == "paid_video");
  // Display: the medium is one of display, banner, expandable, interstitial, cpm; Campaign Manager's dclid.
  CHECK(ChannelOf(site + "?utm_source=criteo&utm_medium=display") == "display");
  CHECK(ChannelOf(site + "?utm_source=gdn&utm_medium=CPM") == "display");
  CHECK(ChannelOf(site + "?dclid=CJ") == "display");
  // Paid Other: a paid medium from a source no list knows; msclkid alone (search or audience network?).
  CHECK(ChannelOf(site + "?utm_source=capterra&utm_medium=cpc") == "paid_other");
  CHECK(ChannelOf(site + "?msclkid=7d1e2f") == "paid_other");
  // Organic Shopping: a shopping site or campaign without a paid medium.
  CHECK(ChannelOf(site, "https://www.ebay.co.uk/itm/1") == "organic_shopping");
  CHECK(ChannelOf(site + "?utm_source=partner&utm_campaign=shop-launch") == "organic_shopping");
  // Organic Social: a social site, or a social medium.
  CHECK(ChannelOf(site, "https://l.facebook.com/l.php?u=x") == "organic_social");
  CHECK(ChannelOf(site, "https://t.co/abc") == "organic_social");
  CHECK(ChannelOf(site, "https://www.linkedin.com/feed/") == "organic_social");
  CHECK(ChannelOf(site + "?utm_source=mastodon&utm_medium=social-network") == "organic_social");
  CHECK(ChannelOf(site + "?fbclid=IwAR") == "organic_social");
  // Organic Video: a video site, or a medium containing video.
  CHECK(ChannelOf(site, "https://www.youtube.com/watch?v=1") == "organic_video");
  CHECK(ChannelOf(site + "?utm_source=webinar-tool&utm_medium=video_embed") == "organic_video");
  // Organic Search: a search site, or medium organic.
  CHECK(ChannelOf(site, "https://www.google.co.uk/") == "organic_search");
  CHECK(ChannelOf(site, "https://www.bing.com/search?q=canon") == "organic_search");
  CHECK(ChannelOf(site, "https://duckduckgo.com/") == "organic_search");
  CHECK(ChannelOf(site + "?utm_source=kagi&utm_medium=organic") == "organic_search");
  // Email: source or medium email (e-mail, e_mail, e mail); a webmail referrer (Canon's departure from GA4).
  CHECK(ChannelOf(site + "?utm_source=mailchimp&utm_medium=email") == "email");
  CHECK(ChannelOf(site + "?utm_source=e_mail") == "email");
  CHECK(ChannelOf(site, "https://mail.google.com/mail/u/0/") == "email");
  CHECK(ChannelOf(site, "https://outlook.live.com/mail/0/inbox") == "email");
  // Affiliates.
  CHECK(ChannelOf(site + "?utm_source=awin&utm_medium=affiliate") == "affiliates");
  // Referral: medium referral, app or link; any other site as the referrer; an AI assistant (as GA4 does).
  CHECK(ChannelOf(site + "?utm_source=partnerblog.com&utm_medium=referral") == "referral");
  CHECK(ChannelOf(site, "https://blog.partner.org/post") == "referral");
  Touch ai = Visit(site, "https://chatgpt.com/");
  CHECK(ai.channel == "referral");
  CHECK(ai.referrer_category == "ai_assistant");
  CHECK(ai.source == "chatgpt.com");
  CHECK(ai.medium == "referral");
  // Audio, SMS, Mobile Push Notifications.
  CHECK(ChannelOf(site + "?utm_source=spotify&utm_medium=audio") == "audio");
  CHECK(ChannelOf(site + "?utm_source=sms&utm_medium=text") == "sms");
  CHECK(ChannelOf(site + "?utm_source=twilio&utm_medium=sms") == "sms");
  CHECK(ChannelOf(site + "?utm_source=app&utm_medium=web-push") == "mobile_push_notifications");
  CHECK(ChannelOf(site + "?utm_source=firebase&utm_medium=inapp") == "mobile_push_notifications");
  CHECK(ChannelOf(site + "?utm_source=app&utm_medium=mobile_banner_notif") == "mobile_push_notifications");
  // Unassigned: tagged, but nothing GA4 names.
  CHECK(ChannelOf(site + "?utm_source=poster&utm_medium=print") == "unassigned");
  // No visit at all: no channel.
  CHECK(Visit("", "", {{"lead_source", "Trade show"}}).channel == "");
}

TEST_CASE("tags name the source; the referrer only for an untagged visit", "[attribution]") {
  Touch t = Visit("https://example.com/?utm_source=newsletter&utm_medium=email", "https://www.google.com/");
  CHECK(t.source == "newsletter");
  CHECK(t.medium == "email");
  CHECK(t.channel == "email");
  CHECK(t.referrer_host == "google.com");
  Touch g = Visit("https://example.com/?gclid=x", "https://www.facebook.com/");
  CHECK(g.source == "google");
  CHECK(g.medium == "cpc");
  Touch m = Visit("https://example.com/?utm_medium=cpc");
  CHECK(m.source == "(not set)");
  CHECK(m.channel == "paid_other");
}

TEST_CASE("Normalize takes utm_* and click ids from page_url and derives the channel", "[attribution]") {
  Record r;
  r.source = "website";
  r.fields = {{"email", "a@example.com"},
              {"page_url",
               "https://example.com/p?utm_source=Facebook&utm_medium=cpc&utm_campaign=Spring&fbclid=IwAR"},
              {"referrer", "https://l.facebook.com/"}};
  NormalizedRecord n = Normalize(r, Shipped());
  CHECK(n.Get("utm_source") == "Facebook");
  CHECK(n.Get("utm_medium") == "cpc");
  CHECK(n.Get("utm_campaign") == "Spring");
  CHECK(n.Get("fbclid") == "IwAR");
  CHECK(n.Get("channel") == "paid_social");
  CHECK(n.Get("lead_source") == "paid_social");
  CHECK(n.Get("referrer") == "https://l.facebook.com/");
  // A field the record gives wins over the URL's parameter; a parameter that is not clean text stays in the
  // URL.
  r.fields["utm_source"] = "linkedin";
  r.fields["page_url"] = "https://example.com/p?utm_source=facebook&utm_term=%00bad&utm_content=%C3%28";
  n = Normalize(r, Shipped());
  CHECK(n.accepted());
  CHECK(n.Get("utm_source") == "linkedin");
  CHECK(n.Get("utm_term") == "");
  CHECK(n.Get("utm_content") == "");
  // A channel the sender gives is kept (matched by label).
  r.fields = {{"email", "a@example.com"}, {"channel", "Paid Search"}, {"referrer", "https://t.co/x"}};
  CHECK(Normalize(r, Shipped()).Get("channel") == "paid_search");
}

TEST_CASE("attribution survives as whole touches: first for original_*, newest for latest_*",
          "[attribution]") {
  SurvivorshipRules rules = Shipped().survivorship();
  REQUIRE(!rules.touch_fields.empty());
  std::vector<SurvivorMember> m(4);
  m[0] = Member(1, "website", 100,
                {{"email", "a@x.com"},
                 {"channel", "paid_search"},
                 {"lead_source", "paid_search"},
                 {"gclid", "G1"},
                 {"page_url", "https://x.com/?gclid=G1"}});
  m[1] = Member(2, "crm", 200, {{"email", "a@x.com"}, {"first_name", "Ann"}});  // no touch
  m[2] = Member(3, "website", 300,
                {{"email", "a@x.com"},
                 {"channel", "organic_social"},
                 {"lead_source", "organic_social"},
                 {"utm_source", "linkedin"},
                 {"referrer", "https://www.linkedin.com/"}});
  m[3] = Member(4, "website", 400,
                {{"email", "a@x.com"},
                 {"channel", "direct"},
                 {"lead_source", "direct"},
                 {"page_url", "https://x.com/"}});
  std::vector<std::string> cols = {"email",
                                   "lead_source",
                                   "gclid",
                                   "utm_source",
                                   "channel",
                                   "original_channel",
                                   "original_gclid",
                                   "original_utm_source",
                                   "latest_channel",
                                   "latest_gclid",
                                   "latest_utm_source",
                                   "latest_page_url",
                                   "latest_referrer",
                                   "first_name"};
  Survivor s = Recompute(rules, m, cols);
  CHECK(s.original_touch == 1);
  CHECK(s.latest_touch == 4);
  CHECK(s.values["original_channel"] == "paid_search");
  CHECK(s.values["original_gclid"] == "G1");
  CHECK(s.values.count("original_utm_source") == 0);  // the first touch had none: not the second touch's
  CHECK(s.values["lead_source"] == "paid_search");
  CHECK(s.values["gclid"] == "G1");
  CHECK(s.values.count("utm_source") == 0);
  CHECK(s.values["latest_channel"] == "direct");
  CHECK(s.values["latest_page_url"] == "https://x.com/");
  CHECK(s.values.count("latest_utm_source") == 0);
  CHECK(s.values.count("latest_gclid") == 0);
  CHECK(s.values.count("latest_referrer") == 0);
  CHECK(s.lineage["original_channel"] == 1);
  CHECK(s.lineage["latest_channel"] == 4);
  CHECK(s.lineage["original_touch"] == 1);
  CHECK(s.lineage["latest_touch"] == 4);
  CHECK(s.values["first_name"] == "Ann");
  // Arrival order does not matter; a steward's lead_source wins for the unprefixed column only.
  std::swap(m[0], m[3]);
  m.push_back(Member(5, "steward", 500, {{"lead_source", "events"}}));
  Survivor t = Recompute(rules, m, cols);
  CHECK(t.original_touch == 1);
  CHECK(t.latest_touch == 4);
  CHECK(t.values["lead_source"] == "events");
  CHECK(t.lineage["lead_source"] == 5);
  CHECK(t.values["original_channel"] == "paid_search");
  CHECK(t.values["latest_channel"] == "direct");
  // Members whose fields are lent (SurvivorMember::fields_ref, as the record writer passes them) survive the same
  // way; their own `fields` are not read.
  std::vector<std::map<std::string, std::string>> lent;
  for (const auto& x : m) lent.push_back(x.fields);
  std::vector<SurvivorMember> borrowed = m;
  for (size_t i = 0; i < borrowed.size(); ++i) {
    borrowed[i].fields = {{"lead_source", "not read"}, {"first_name", "not read"}};
    borrowed[i].fields_ref = &lent[i];
  }
  Survivor u = Recompute(rules, borrowed, cols);
  CHECK(u.values == t.values);
  CHECK(u.lineage == t.lineage);
  CHECK(u.original_touch == t.original_touch);
  CHECK(u.latest_touch == t.latest_touch);
  CHECK(u.original_source == t.original_source);
  CHECK(u.latest_source == t.latest_source);
}

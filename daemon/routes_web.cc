// The steward page: GET /admin/review serves daemon/web/review.html, compiled into canond (CMake turns the
// file into a raw string literal at configure time, again whenever it changes), so an installed daemon needs
// no files.
//
// The page is static and holds no data, so it is served without the admin token (a browser must be able to
// load it before it can ask the steward for the token); every value it shows comes from the token-guarded
// JSON routes. Its Content-Security-Policy allows same-origin fetches and exactly the page's own inline
// <script> and <style> (by SHA-256), nothing else: values are customer PII and the page puts them in only as
// text.
#include <string>
#include <string_view>

#include "connectors/hmac.h"
#include "daemon/app.h"
#include "daemon/routes.h"

namespace canon::daemon {

extern const std::string_view kReviewHtml;  // defined in the .cc CMake generates from daemon/web/review.html

namespace {

// " 'sha256-…'" for every `open`…`close` block of the page, as CSP source expressions.
std::string InlineHashes(std::string_view html, std::string_view open, std::string_view close) {
  std::string out;
  for (size_t at = html.find(open); at != std::string_view::npos; at = html.find(open, at)) {
    size_t begin = at + open.size();
    size_t end = html.find(close, begin);
    if (end == std::string_view::npos) break;
    out += " 'sha256-" + Base64Encode(Sha256(html.substr(begin, end - begin))) + "'";
    at = end + close.size();
  }
  return out;
}

std::string ContentSecurityPolicy(std::string_view html) {
  return "default-src 'none'; script-src" + InlineHashes(html, "<script>", "</script>") + "; style-src" +
         InlineHashes(html, "<style>", "</style>") +
         "; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

}  // namespace

void AddWebRoutes(App& app, AdminRouter& router) {
  router.Add(http::verb::get, "/admin/review", Access::kPublic,
             [csp = ContentSecurityPolicy(kReviewHtml)](Request&& req, const PathParams&, Respond respond) {
               Response res{http::status::ok, req.version()};
               res.set(http::field::server, "canond");
               res.set(http::field::content_type, "text/html; charset=utf-8");
               res.set("Content-Security-Policy", csp);
               res.set("X-Content-Type-Options", "nosniff");
               res.set(http::field::cache_control, "no-store");
               res.set("Referrer-Policy", "no-referrer");
               res.set("X-Frame-Options", "DENY");
               res.keep_alive(req.keep_alive());
               res.body() = std::string(kReviewHtml);
               res.prepare_payload();
               respond(std::move(res));
             });
}

}  // namespace canon::daemon

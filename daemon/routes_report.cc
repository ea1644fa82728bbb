// GET /admin/report/vocabulary[?field=F&all=1]: quarantined governed values per field, with counts, first/last
// seen and sources (what stewards turn into aliases). GET /admin/dead-letters?stage=&source=&since=&limit=: refused
// payloads and leads, newest first, without their raw bytes (size only); POST /admin/dead-letters/replay?stage=&
// source=&since=&id= (admin) replays them (store/dead_letters.h). GET /admin/report/blocking-keys?limit=: the blocking keys the
// matcher skipped as over-common, most hits first (the key values are PII: shown here, never logged).
// GET /admin/report/quality?days=N: the data-quality view (store/quality.h), days 1..90, default 14.
// GET /admin/search?kind=email|phone|name|company&q=TEXT[&country=GB][&limit=N]: live contacts found by the
// query's normalized form (store/search.h); 400 for another kind, an empty or over-long q, or a country that is
// not two letters.
#include <cctype>
#include <mutex>

#include "daemon/app.h"
#include "daemon/routes.h"
#include "store/dead_letters.h"
#include "store/quality.h"
#include "store/reports.h"
#include "store/search.h"

namespace canon::daemon {
namespace {

// A bounded positive integer from the query; junk or out-of-range values fall back rather than fail.
int LimitParam(std::string_view target, int fallback, int max, const char* name = "limit") {
  std::string text = QueryParam(target, name);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return fallback;
  int v = std::stoi(text);
  if (v <= 0) return fallback;
  return v > max ? max : v;
}

// stage, source and since from the query (store::DeadLetterFilter).
store::DeadLetterFilter DeadLetterFilterOf(std::string_view target) {
  store::DeadLetterFilter filter;
  filter.stage = QueryParam(target, "stage");
  filter.source = QueryParam(target, "source");
  filter.since = QueryParam(target, "since");
  return filter;
}

// The handler's work on the admin connection, under its lock; 503 without a database, 400 for a bad argument
// (a bad filter), 500 on another store error.
template <typename F>
void WithAdminConn(App& app, const Request& req, Respond& respond, F&& f) {
  std::lock_guard<std::mutex> lock(app.admin_mutex());
  store::PgConn* conn = app.admin_conn();
  if (!conn) return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
  Result<std::string> json = f(*conn);
  if (!json.ok() && json.status().code() == Code::kInvalidArgument)
    return respond(JsonResponse(req, http::status::bad_request,
                                ErrorBody("bad_request", json.status().message(), json.status().where())));
  if (!json.ok())
    return respond(JsonResponse(req, http::status::internal_server_error, ErrorBody("internal", json.status().message())));
  respond(JsonResponse(req, http::status::ok, *json));
}

// The search request from the query string, or the 400 to answer.
Result<store::SearchRequest> SearchRequestOf(std::string_view target) {
  store::SearchRequest r;
  std::string kind = QueryParam(target, "kind");
  if (!store::SearchKindFromName(kind, &r.kind))
    return Status::Invalid("kind must be email, phone, name or company", "kind");
  r.text = QueryParam(target, "q");
  if (r.text.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Invalid("q is empty", "q");
  if (r.text.size() > store::kMaxSearchText) return Status::Invalid("q is too long", "q");
  r.country = QueryParam(target, "country");
  if (!r.country.empty() && (r.country.size() != 2 || !std::isalpha(static_cast<unsigned char>(r.country[0])) ||
                             !std::isalpha(static_cast<unsigned char>(r.country[1]))))
    return Status::Invalid("country must be a two-letter ISO 3166 code", "country");
  r.limit = LimitParam(target, 50, store::kMaxSearchResults);
  return r;
}

}  // namespace

void AddReportRoutes(App& app, AdminRouter& router) {
  router.Add(http::verb::get, "/admin/report/vocabulary", Role::kViewer, [&app](Request&& req, const PathParams&, Respond respond) {
    store::DriftOptions options;
    std::string_view target(req.target().data(), req.target().size());
    options.field = QueryParam(target, "field");
    std::string all = QueryParam(target, "all");
    options.all = all == "1" || all == "true";
    options.limit = LimitParam(target, 1000, 10000);
    std::lock_guard<std::mutex> lock(app.admin_mutex());
    store::PgConn* conn = app.admin_conn();
    if (!conn) return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
    auto rows = store::VocabularyDrift(*conn, options);
    if (!rows.ok())
      return respond(JsonResponse(req, http::status::internal_server_error, ErrorBody("internal", rows.status().message())));
    respond(JsonResponse(req, http::status::ok, store::DriftJson(*rows)));
  });
  router.Add(http::verb::get, "/admin/report/blocking-keys", Role::kViewer,
             [&app](Request&& req, const PathParams&, Respond respond) {
               std::string_view target(req.target().data(), req.target().size());
               int limit = LimitParam(target, 100, 10000);
               std::lock_guard<std::mutex> lock(app.admin_mutex());
               store::PgConn* conn = app.admin_conn();
               if (!conn)
                 return respond(
                     JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
               auto json = store::OverCommonKeysJson(*conn, limit);
               if (!json.ok())
                 return respond(JsonResponse(req, http::status::internal_server_error,
                                             ErrorBody("internal", json.status().message())));
               respond(JsonResponse(req, http::status::ok, *json));
             });
  router.Add(http::verb::get, "/admin/report/quality", Role::kViewer,
             [&app](Request&& req, const PathParams&, Respond respond) {
               std::string_view target(req.target().data(), req.target().size());
               int days = LimitParam(target, 14, store::kMaxQualityDays, "days");
               WithAdminConn(app, req, respond, [days](store::PgConn& c) { return store::QualityJson(c, days); });
             });
  router.Add(http::verb::get, "/admin/search", Role::kViewer, [&app](Request&& req, const PathParams&, Respond respond) {
    auto request = SearchRequestOf(std::string_view(req.target().data(), req.target().size()));
    if (!request.ok())
      return respond(JsonResponse(req, http::status::bad_request,
                                  ErrorBody("invalid", request.status().message(), request.status().where())));
    auto rules = app.rules().Get();
    WithAdminConn(app, req, respond,
                  [&](store::PgConn& c) { return store::SearchContactsJson(c, *request, *rules); });
  });
  router.Add(http::verb::get, "/admin/dead-letters", Role::kViewer, [&app](Request&& req, const PathParams&, Respond respond) {
    std::string_view target(req.target().data(), req.target().size());
    store::DeadLetterFilter filter = DeadLetterFilterOf(target);
    filter.limit = LimitParam(target, 100, 1000);
    WithAdminConn(app, req, respond, [&](store::PgConn& conn) { return store::DeadLettersJson(conn, filter); });
  });
  // Replays through the rules in force: the work goes back to the queue (store/dead_letters.h), once per dead
  // letter. Admin: it makes the daemon fetch from vendors and write records again.
  router.Add(http::verb::post, "/admin/dead-letters/replay", Role::kAdmin,
             [&app](Request&& req, const PathParams&, Respond respond) {
               std::string_view target(req.target().data(), req.target().size());
               store::DeadLetterFilter filter = DeadLetterFilterOf(target);
               std::string id = QueryParam(target, "id");
               if (!id.empty()) {
                 if (id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
                   return respond(JsonResponse(req, http::status::bad_request,
                                               ErrorBody("bad_request", "id must be a dead letter id", "id")));
                 filter.id = std::stoll(id);
               }
               WithAdminConn(app, req, respond, [&](store::PgConn& conn) -> Result<std::string> {
                 auto out = store::ReplayDeadLetters(conn, filter);
                 if (!out.ok()) return out.status();
                 if (!out->ids.empty())
                   app.log().info("dead letters replayed: {} ({} leads to fetch again, {} payloads to parse again)",
                                  out->ids.size(), out->fetches, out->payloads);
                 return store::ReplayJson(*out);
               });
             });
}

}  // namespace canon::daemon

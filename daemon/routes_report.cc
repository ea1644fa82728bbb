// GET /admin/report/vocabulary[?field=F&all=1]: quarantined governed values per field, with counts, first/last
// seen and sources (what stewards turn into aliases). GET /admin/dead-letters?stage=&source=&since=&limit=: refused
// payloads and leads, newest first, without their raw bytes (size only); POST /admin/dead-letters/replay?stage=&
// source=&since=&id= (admin) replays them (store/dead_letters.h). GET /admin/report/blocking-keys?limit=: the blocking keys the
// matcher skipped as over-common, most hits first (the key values are PII: shown here, never logged).
#include <mutex>

#include "daemon/app.h"
#include "daemon/routes.h"
#include "store/dead_letters.h"
#include "store/reports.h"

namespace canon::daemon {
namespace {

// A bounded positive integer from the query; junk or out-of-range values fall back rather than fail.
int LimitParam(std::string_view target, int fallback, int max) {
  std::string text = QueryParam(target, "limit");
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

// Runs `query` on the admin connection and answers its JSON: 400 for a bad filter, 500 for the server's errors.
template <class Query>
void RespondDeadLetters(App& app, const Request& req, Respond& respond, Query query) {
  std::lock_guard<std::mutex> lock(app.admin_mutex());
  store::PgConn* conn = app.admin_conn();
  if (!conn) return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
  Result<std::string> json = query(*conn);
  if (!json.ok() && json.status().code() == Code::kInvalidArgument)
    return respond(JsonResponse(req, http::status::bad_request,
                                ErrorBody("bad_request", json.status().message(), json.status().where())));
  if (!json.ok())
    return respond(
        JsonResponse(req, http::status::internal_server_error, ErrorBody("internal", json.status().message())));
  respond(JsonResponse(req, http::status::ok, *json));
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
  router.Add(http::verb::get, "/admin/dead-letters", Role::kViewer, [&app](Request&& req, const PathParams&, Respond respond) {
    std::string_view target(req.target().data(), req.target().size());
    store::DeadLetterFilter filter = DeadLetterFilterOf(target);
    filter.limit = LimitParam(target, 100, 1000);
    RespondDeadLetters(app, req, respond, [&](store::PgConn& conn) { return store::DeadLettersJson(conn, filter); });
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
               RespondDeadLetters(app, req, respond, [&](store::PgConn& conn) -> Result<std::string> {
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

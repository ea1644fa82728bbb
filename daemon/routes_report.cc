// GET /admin/report/vocabulary[?field=F&all=1]: quarantined governed values per field, with counts, first/last
// seen and sources (what stewards turn into aliases). GET /admin/dead-letters?source=&limit=: refused payloads,
// newest first, without their raw bytes (size only). GET /admin/report/blocking-keys?limit=: the blocking keys the
// matcher skipped as over-common, most hits first (the key values are PII: shown here, never logged).
#include <mutex>

#include "daemon/app.h"
#include "daemon/routes.h"
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
    std::string source = QueryParam(target, "source");
    int limit = LimitParam(target, 100, 1000);
    std::lock_guard<std::mutex> lock(app.admin_mutex());
    store::PgConn* conn = app.admin_conn();
    if (!conn) return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
    auto json = store::DeadLettersJson(*conn, source, limit);
    if (!json.ok())
      return respond(JsonResponse(req, http::status::internal_server_error, ErrorBody("internal", json.status().message())));
    respond(JsonResponse(req, http::status::ok, *json));
  });
}

}  // namespace canon::daemon

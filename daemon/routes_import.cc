// GET /admin/imports: CSV imports, newest first, with progress (bytes, percent, rows, rows/s).
#include <mutex>

#include "daemon/app.h"
#include "daemon/routes.h"
#include "store/imports.h"

namespace canon::daemon {

void AddImportRoutes(App& app, AdminRouter& router) {
  router.Add(http::verb::get, "/admin/imports", Role::kViewer, [&app](Request&& req, const PathParams&, Respond respond) {
    std::lock_guard<std::mutex> lock(app.admin_mutex());
    store::PgConn* conn = app.admin_conn();
    if (!conn) return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
    auto json = store::ImportsJson(*conn, 50);
    if (!json.ok())
      return respond(JsonResponse(req, http::status::internal_server_error, ErrorBody("internal", json.status().message())));
    respond(JsonResponse(req, http::status::ok, *json));
  });
}

}  // namespace canon::daemon

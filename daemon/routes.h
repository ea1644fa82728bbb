// Admin route files: each area adds its /admin/ routes from its own file (daemon/routes_<area>.cc).
#pragma once

#include "daemon/admin.h"

namespace canon::daemon {

class App;

void AddReportRoutes(App& app, AdminRouter& router);  // vocabulary drift, dead letters
void AddQueueRoutes(App& app, AdminRouter& router);   // review queue, entities, unmerge
void AddImportRoutes(App& app, AdminRouter& router);  // CSV imports in progress
void AddWebRoutes(App& app, AdminRouter& router);     // the steward page (GET /admin/review), no token needed
void AddEraseRoutes(App& app, AdminRouter& router);   // erasure of a person (admin role)

// The routes outside /admin/ that App::Handle serves itself (health, readiness, metrics, intake), as RouteInfo
// marked public (their own checks apply: a metrics token, a source's signature). A route added to App::Handle
// goes here too: with GET /admin/routes this is the server's route table that docs/openapi.yaml is checked
// against (tests/pg_openapi_test.cc, which also checks that each of these is served).
std::vector<RouteInfo> ServiceRoutes();

}  // namespace canon::daemon

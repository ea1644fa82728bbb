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

}  // namespace canon::daemon

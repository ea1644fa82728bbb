#include "daemon/app.h"
#include "daemon/routes.h"

namespace canon::daemon {

// No routes for this area yet.
void AddImportRoutes(App&, AdminRouter&) {}

}  // namespace canon::daemon

// audit_event (schemas/migrations/008_audit_event.sql): one row per steward or admin action on the admin API,
// with the name of the token used. Insert-only; takes the caller's connection (one thread at a time).
#pragma once

#include <string>

#include "store/pg.h"

namespace canon::store {

struct AuditEvent {
  std::string token_name;
  std::string role;
  std::string method;
  std::string route;   // the route's pattern
  std::string target;  // the request path
  int status = 0;
  std::string actor;       // "" = none (stored as NULL)
  std::string request_id;  // "" = none
};

Status InsertAuditEvent(PgConn& conn, const AuditEvent& e);

}  // namespace canon::store

#include "store/audit.h"

#include <optional>

namespace canon::store {

Status InsertAuditEvent(PgConn& conn, const AuditEvent& e) {
  auto nullable = [](const std::string& s) { return s.empty() ? Param(std::nullopt) : Param(s); };
  auto r = conn.Exec(
      "INSERT INTO audit_event (token_name, role, method, route, target, status, actor, request_id) "
      "VALUES ($1, $2, $3, $4, $5, $6::int, $7, $8)",
      {e.token_name, e.role, e.method, e.route, e.target, std::to_string(e.status), nullable(e.actor),
       nullable(e.request_id)});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace canon::store

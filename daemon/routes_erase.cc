// Erasure of a person (store/erase.h), admin only once roles exist:
//   DELETE /admin/contacts/{id}[?suppress=1]      the contact and everything of the person it leads to
//   DELETE /admin/contacts  {"email":"...","phone":"...","suppress":true}
//                                                  the person found by e-mail and/or phone (in the body, so the
//                                                  values never sit in a URL or an access log)
// The body of the first may also be {"suppress":true}. 200 with what was removed
// ({"erasure_event","contacts","records","payloads","dead_letters","email_hashes","phone_hashes"}), 404 no such
// contact, 400 a bad body. The actor is X-Canon-Actor, else "admin-api". Logged with counts only.
#include <simdjson.h>

#include <mutex>

#include "daemon/app.h"
#include "daemon/routes.h"
#include "store/erase.h"

namespace canon::daemon {
namespace {

// {"email":string,"phone":string,"suppress":bool}, every key optional; an empty body is {}.
Status ParseErasureBody(const std::string& body, store::ErasureRequest* out) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
  const Status shape = Status::Invalid("body must be {\"email\":\"...\",\"phone\":\"...\",\"suppress\":true}");
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body).get_object().get(obj)) return shape;
  for (auto [key, value] : obj) {
    if (key == "suppress") {
      if (value.get_bool().get(out->suppress)) return shape;
    } else if (key == "email" || key == "phone") {
      std::string_view text;
      if (value.get_string().get(text)) return shape;
      (key == "email" ? out->email : out->phone) = std::string(text);
    } else {
      return Status::Invalid("unknown key \"" + std::string(key) + "\" in the body");
    }
  }
  return Status::Ok();
}

void Erase(App& app, Request& req, store::ErasureRequest erasure, Respond& respond) {
  auto actor = req.find("X-Canon-Actor");
  erasure.actor = actor == req.end() || actor->value().empty() ? "admin-api" : std::string(actor->value()).substr(0, 200);
  std::string q = QueryParam(req.target(), "suppress");
  if (q == "1" || q == "true") erasure.suppress = true;
  auto rules = app.rules().Get();
  std::lock_guard<std::mutex> lock(app.admin_mutex());
  store::PgConn* conn = app.admin_conn();
  if (!conn)
    return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
  auto r = store::ErasePerson(*conn, erasure, *rules);
  if (!r.ok()) {
    http::status code = r.status().code() == Code::kNotFound          ? http::status::not_found
                        : r.status().code() == Code::kInvalidArgument ? http::status::bad_request
                                                                      : http::status::internal_server_error;
    return respond(JsonResponse(req, code, ErrorBody(code == http::status::not_found ? "not_found" : "invalid",
                                                     r.status().message())));
  }
  app.log().info("erasure {} by {}: {} contacts, {} records, {} payloads, {} dead letters{}", r->event_id,
                 erasure.actor, r->contacts, r->records, r->payloads, r->dead_letters,
                 erasure.suppress ? ", suppressed" : "");
  respond(JsonResponse(req, http::status::ok, store::ErasureResultJson(*r)));
}

}  // namespace

void AddEraseRoutes(App& app, AdminRouter& router) {
  router.Add(http::verb::delete_, "/admin/contacts/{id}", Role::kAdmin, [&app](Request&& req, const PathParams& p, Respond respond) {
    store::ErasureRequest erasure;
    const std::string& id = p[0];
    if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
      return respond(JsonResponse(req, http::status::not_found, ErrorBody("not_found", "no contact " + id)));
    erasure.contact_id = std::stoll(id);
    if (Status s = ParseErasureBody(req.body(), &erasure); !s.ok())
      return respond(JsonResponse(req, http::status::bad_request, ErrorBody("invalid", s.message())));
    Erase(app, req, std::move(erasure), respond);
  });
  router.Add(http::verb::delete_, "/admin/contacts", Role::kAdmin, [&app](Request&& req, const PathParams&, Respond respond) {
    store::ErasureRequest erasure;
    if (Status s = ParseErasureBody(req.body(), &erasure); !s.ok())
      return respond(JsonResponse(req, http::status::bad_request, ErrorBody("invalid", s.message())));
    if (erasure.email.empty() && erasure.phone.empty())
      return respond(JsonResponse(req, http::status::bad_request,
                                  ErrorBody("invalid", "name the person: {\"email\":\"...\"} or {\"phone\":\"...\"}")));
    Erase(app, req, std::move(erasure), respond);
  });
}

}  // namespace canon::daemon

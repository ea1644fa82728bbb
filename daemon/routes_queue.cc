// The review queue and entity routes of the admin API:
//   GET  /admin/queue[?status=pending|deferred|all&limit=N&order=score|learn]
//                                                             open merge candidates, highest score first; with
//                                                             order=learn the pairs a decision would teach the
//                                                             model most first (store::QueueOrder), each with its
//                                                             "learn" figures; 400 for another order
//   GET  /admin/queue/{id}                                    a pair side by side with its explanation and
//                                                             the thresholds in force ("thresholds")
//   POST /admin/queue/{id}/approve | reject | defer           a steward's decision (actor: X-Canon-Actor)
//   GET  /admin/entities/{id}                                 contact, lineage, members, audit events
//   GET  /admin/entities/{id}/touches                         the contact's touches, oldest first (store/touches.h)
//   POST /admin/entities/{id}/unmerge  {"members":[ids]}      split those source records into a new entity
//   POST /admin/entities/{id}/edit     {"fields":{"phone":"..."},"actor":"ann","note":"..."}
//                                      a steward's values: normalized by the rules in force, stored as a
//                                      "steward" member that wins survivorship (a phone's default region is
//                                      the contact's country); 200 with the entity, 400 naming the field
//                                      ("where") that is unknown, empty or invalid, 404, 409 (merged)
// The actor is X-Canon-Actor, else the body's "actor" (edit), else "admin-api".
// Handlers are thin: the work and its transaction live in store/review.h.
#include <simdjson.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <mutex>

#include "daemon/app.h"
#include "daemon/routes.h"
#include "store/review.h"
#include "store/touches.h"

namespace canon::daemon {
namespace {

http::status HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound: return http::status::not_found;
    case Code::kFailedPrecondition: return http::status::conflict;
    case Code::kInvalidArgument: return http::status::bad_request;
    default: return http::status::internal_server_error;
  }
}

std::string CodeText(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound: return "not_found";
    case Code::kFailedPrecondition: return "conflict";
    case Code::kInvalidArgument: return "invalid";
    default: return "internal";
  }
}

bool ParseId(const std::string& s, long long* out) {
  if (s.empty() || s.size() > 18) return false;
  for (char ch : s)
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  *out = std::stoll(s);
  return *out > 0;
}

std::string Actor(const Request& req) {
  auto it = req.find("X-Canon-Actor");
  std::string a = it == req.end() ? "" : std::string(it->value());
  return a.empty() ? "admin-api" : a.substr(0, 200);
}

// {"members":[1,2,3]}: the one shape this route takes, read without a JSON library.
bool ParseMembers(const std::string& body, std::vector<long long>* out) {
  auto key = body.find("\"members\"");
  if (key == std::string::npos) return false;
  auto open = body.find('[', key);
  auto close = body.find(']', open == std::string::npos ? key : open);
  if (open == std::string::npos || close == std::string::npos) return false;
  std::string num;
  for (size_t i = open + 1; i <= close; ++i) {
    char ch = body[i];
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      num += ch;
    } else if (ch == ',' || ch == ']' || std::isspace(static_cast<unsigned char>(ch))) {
      if (!num.empty()) {
        if (num.size() > 18) return false;
        out->push_back(std::stoll(num));
        num.clear();
      }
    } else {
      return false;
    }
  }
  return !out->empty();
}

struct EditBody {
  std::map<std::string, std::string> fields;
  std::string actor, note;
};

// {"fields":{name:string,...},"actor":string,"note":string}: fields required, the others optional.
Status ParseEditBody(const std::string& body, EditBody* out) {
  const Status shape =
      Status::Invalid("body must be {\"fields\":{\"field\":\"value\",...},\"actor\":\"...\",\"note\":\"...\"}");
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(body).get_object().get(obj)) return shape;
  for (auto [key, value] : obj) {
    if (key == "fields") {
      simdjson::dom::object fields;
      if (value.get_object().get(fields)) return shape;
      for (auto [name, v] : fields) {
        std::string_view text;
        if (v.get_string().get(text)) return Status::Invalid(std::string(name) + ": the value must be a JSON string");
        out->fields[std::string(name)] = std::string(text);
      }
    } else if (key == "actor" || key == "note") {
      std::string_view text;
      if (value.get_string().get(text)) return shape;
      (key == "actor" ? out->actor : out->note) = std::string(text);
    } else {
      return Status::Invalid("unknown key \"" + std::string(key) + "\" in the body");
    }
  }
  return Status::Ok();
}

template <typename F>
void WithConn(App& app, Request& req, Respond& respond, F&& f) {
  std::lock_guard<std::mutex> lock(app.admin_mutex());
  store::PgConn* conn = app.admin_conn();
  if (!conn) return respond(JsonResponse(req, http::status::service_unavailable, ErrorBody("unavailable", "no database")));
  f(*conn);
}

// The pair's JSON object plus "thresholds":{"lower","upper"} of the match model in force now, so a steward
// sees the total against the review and merge thresholds (the pair itself was scored under the rules of its
// time).
std::string WithThresholds(std::string object, const RuleSet& rules) {
  const MatchConfig* match = rules.match();
  if (!match || !match->model || object.empty() || object.back() != '}') return object;
  char buf[96];
  std::snprintf(buf, sizeof buf, ",\"thresholds\":{\"lower\":%.4f,\"upper\":%.4f}}", match->model->lower(),
                match->model->upper());
  object.pop_back();
  return object + buf;
}

// "score" (default) or "learn" (needs the match model's thresholds).
Result<store::QueueOrder> QueueOrderOf(const std::string& name, const RuleSet& rules) {
  store::QueueOrder order;
  if (name == "score") return order;
  if (name != "learn") return Status::Invalid("order must be score or learn");
  const MatchConfig* match = rules.match();
  if (!match || !match->model) return Status::Invalid("order=learn needs a match model (rules/match.toml)");
  order.kind = store::QueueOrder::kLearn;
  order.lower = match->model->lower();
  order.upper = match->model->upper();
  return order;
}

void Fail(Request& req, Respond& respond, const Status& s) {
  respond(JsonResponse(req, HttpStatusOf(s), ErrorBody(CodeText(s), s.message())));
}

}  // namespace

void AddQueueRoutes(App& app, AdminRouter& router) {
  router.Add(http::verb::get, "/admin/queue", Role::kViewer, [&app](Request&& req, const PathParams&, Respond respond) {
    std::string status = QueryParam(req.target(), "status", "pending");
    int limit = 100;
    long long l = 0;
    if (ParseId(QueryParam(req.target(), "limit"), &l)) limit = static_cast<int>(std::min(l, 1000LL));
    auto order = QueueOrderOf(QueryParam(req.target(), "order", "score"), *app.rules().Get());
    if (!order.ok()) return Fail(req, respond, order.status());
    WithConn(app, req, respond, [&](store::PgConn& c) {
      auto j = store::QueueListJson(c, status, limit, *order);
      if (!j.ok()) return Fail(req, respond, j.status());
      respond(JsonResponse(req, http::status::ok, *j));
    });
  });
  router.Add(http::verb::get, "/admin/queue/{id}", Role::kViewer, [&app](Request&& req, const PathParams& p, Respond respond) {
    long long id = 0;
    if (!ParseId(p[0], &id)) return Fail(req, respond, Status::NotFound("no merge candidate " + p[0]));
    auto rules = app.rules().Get();
    WithConn(app, req, respond, [&](store::PgConn& c) {
      auto j = store::QueueShowJson(c, id);
      if (!j.ok()) return Fail(req, respond, j.status());
      if (j->empty()) return Fail(req, respond, Status::NotFound("no merge candidate " + p[0]));
      respond(JsonResponse(req, http::status::ok, WithThresholds(*j, *rules)));
    });
  });
  for (const char* action : {"approve", "reject", "defer"}) {
    std::string act = action;
    router.Add(http::verb::post, "/admin/queue/{id}/" + act, Role::kSteward,
               [&app, act](Request&& req, const PathParams& p, Respond respond) {
                 long long id = 0;
                 if (!ParseId(p[0], &id)) return Fail(req, respond, Status::NotFound("no merge candidate " + p[0]));
                 std::string actor = Actor(req);
                 auto rules = app.rules().Get();
                 WithConn(app, req, respond, [&](store::PgConn& c) {
                   std::string extra;
                   Status s;
                   if (act == "approve") {
                     auto w = store::ApproveCandidate(c, id, actor, *rules);
                     s = w.ok() ? Status::Ok() : w.status();
                     if (w.ok()) extra = ",\"contact_id\":" + std::to_string(*w);
                   } else if (act == "reject") {
                     s = store::RejectCandidate(c, id, actor);
                   } else {
                     s = store::DeferCandidate(c, id, actor);
                   }
                   if (!s.ok()) return Fail(req, respond, s);
                   std::string status = act == "approve" ? "approved" : act == "reject" ? "rejected" : "deferred";
                   respond(JsonResponse(req, http::status::ok,
                                        "{\"id\":" + std::to_string(id) + ",\"status\":\"" + status + "\"" + extra +
                                            ",\"actor\":" + store::JsonEscape(actor) + "}"));
                 });
               });
  }
  router.Add(http::verb::get, "/admin/entities/{id}", Role::kViewer, [&app](Request&& req, const PathParams& p, Respond respond) {
    long long id = 0;
    if (!ParseId(p[0], &id)) return Fail(req, respond, Status::NotFound("no contact " + p[0]));
    WithConn(app, req, respond, [&](store::PgConn& c) {
      auto j = store::EntityJson(c, id);
      if (!j.ok()) return Fail(req, respond, j.status());
      if (j->empty()) return Fail(req, respond, Status::NotFound("no contact " + p[0]));
      respond(JsonResponse(req, http::status::ok, *j));
    });
  });
  router.Add(http::verb::get, "/admin/entities/{id}/touches", Role::kViewer,
             [&app](Request&& req, const PathParams& p, Respond respond) {
               long long id = 0;
               if (!ParseId(p[0], &id)) return Fail(req, respond, Status::NotFound("no contact " + p[0]));
               auto rules = app.rules().Get();
               WithConn(app, req, respond, [&](store::PgConn& c) {
                 const SurvivorshipRules& sv = rules->survivorship();
                 auto j = store::TouchesJson(c, id, sv.touch_fields, sv.steward_source);
                 if (!j.ok()) return Fail(req, respond, j.status());
                 if (j->empty()) return Fail(req, respond, Status::NotFound("no contact " + p[0]));
                 respond(JsonResponse(req, http::status::ok, *j));
               });
             });
  router.Add(http::verb::post, "/admin/entities/{id}/unmerge", Role::kSteward,
             [&app](Request&& req, const PathParams& p, Respond respond) {
               long long id = 0;
               if (!ParseId(p[0], &id)) return Fail(req, respond, Status::NotFound("no contact " + p[0]));
               std::vector<long long> members;
               if (!ParseMembers(req.body(), &members))
                 return Fail(req, respond, Status::Invalid("body must be {\"members\":[source_record ids]}"));
               std::string actor = Actor(req);
               auto rules = app.rules().Get();
               WithConn(app, req, respond, [&](store::PgConn& c) {
                 auto fresh = store::UnmergeMembers(c, id, members, actor, *rules);
                 if (!fresh.ok()) return Fail(req, respond, fresh.status());
                 respond(JsonResponse(req, http::status::ok,
                                      "{\"contact_id\":" + std::to_string(id) +
                                          ",\"new_contact_id\":" + std::to_string(*fresh) + "}"));
               });
             });
  router.Add(http::verb::post, "/admin/entities/{id}/edit", Role::kSteward,
             [&app](Request&& req, const PathParams& p, Respond respond) {
               long long id = 0;
               if (!ParseId(p[0], &id)) return Fail(req, respond, Status::NotFound("no contact " + p[0]));
               EditBody body;
               if (Status s = ParseEditBody(req.body(), &body); !s.ok()) return Fail(req, respond, s);
               auto rules = app.rules().Get();
               std::string actor = req.find("X-Canon-Actor") == req.end() && !body.actor.empty()
                                       ? body.actor.substr(0, 200)
                                       : Actor(req);
               WithConn(app, req, respond, [&](store::PgConn& c) {
                 auto country = store::ContactCountry(c, id);
                 if (!country.ok()) return Fail(req, respond, country.status());
                 store::StewardEdit edit = store::PrepareStewardEdit(body.fields, *rules, *country);
                 if (!edit.ok())
                   return respond(JsonResponse(
                       req, http::status::bad_request,
                       ErrorBody("invalid", edit.bad_field + ": " + edit.reason, edit.bad_field)));
                 auto rec = store::EditEntity(c, id, edit.raw, edit.normalized, actor, body.note, *rules);
                 if (!rec.ok()) return Fail(req, respond, rec.status());
                 auto j = store::EntityJson(c, id);
                 if (!j.ok()) return Fail(req, respond, j.status());
                 respond(JsonResponse(req, http::status::ok, *j));
               });
             });
}

}  // namespace canon::daemon

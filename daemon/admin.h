// The admin API under /admin/: a small route table so each area (rules, reports, review queue, imports) adds
// its routes from its own file. Handlers get the request, the path parameters and a Respond; they may answer
// later from another thread.
//
// Every route names the least role that may call it (viewer < steward < admin, daemon/config.h), or
// Access::kPublic for a static page that holds no data. The caller's role comes from its bearer token
// (App::Authenticate: 401 for a missing or unknown token); Dispatch answers nothing for a role below the
// route's and returns kForbidden so the caller can log and answer 403. Routes() lists the table (method,
// pattern, role) for GET /admin/routes and for the tests that check every route's roles. Not thread-safe to
// Add; Dispatch and Routes are safe from any thread once the table is built.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "daemon/http_server.h"

namespace canon::daemon {

using PathParams = std::vector<std::string>;  // the values of "{...}" segments, in order
using AdminHandler = std::function<void(Request&& req, const PathParams& params, Respond respond)>;

enum class Access { kPublic };

struct RouteInfo {
  http::verb method;
  std::string pattern;  // "/admin/queue/{id}/approve"
  bool is_public = false;
  Role role = Role::kViewer;  // the least role allowed (meaningless when is_public)
};

class AdminRouter {
 public:
  // pattern: "/admin/entities/{id}/unmerge"; a {name} segment matches one non-empty path segment.
  void Add(http::verb method, std::string pattern, Role role, AdminHandler handler);
  void Add(http::verb method, std::string pattern, Access, AdminHandler handler);
  // True when the request's method and path match a route added as Access::kPublic.
  bool IsPublic(const Request& req) const;
  // The route the request's method and path match, or nullptr.
  const RouteInfo* Find(const Request& req) const;

  enum class Outcome { kNoRoute, kHandled, kForbidden };
  // kNoRoute when no route matches the path (any method); answers 405 when the path matches another method.
  // kForbidden (nothing answered, `req` untouched) when `caller` is below the route's role.
  Outcome Dispatch(Request&& req, Respond& respond, Role caller);
  std::vector<RouteInfo> Routes() const;

 private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;
    AdminHandler handler;
  };
  // Whether `segs` (a split request path) fits the route's pattern; fills `params` when it does.
  static bool Matches(const Route& r, const std::vector<std::string>& segs, PathParams* params);
  std::vector<Route> routes_;
};

// Every error body canond sends: {"error","message"[,"where"]}. Message and where go through MaskPii: error bodies
// are for people and tickets, and record values appear only in the fields made for them (a record's payload).
std::string ErrorBody(const std::string& code, const std::string& message, const std::string& where = {});

// Constant-time comparison of secrets (tokens); lengths may leak, contents do not.
bool SecretEquals(std::string_view a, std::string_view b);

// The token of an Authorization header "Bearer <token>" (the scheme in any case, RFC 7235; spaces around the
// token ignored); "" when the header is not of that form.
std::string_view BearerToken(std::string_view authorization);

// The configured token whose SHA-256 is the presented token's, or nullptr. Every configured hash is compared,
// in constant time, whatever matches first. `why` (for the log) says what was wrong, never the token.
const ApiToken* Authenticate(const std::vector<ApiToken>& tokens, std::string_view authorization,
                             std::string* why);

// "a=1&b=two" -> value of `name` (percent-decoded), or fallback.
std::string QueryParam(std::string_view target, const std::string& name, const std::string& fallback = {});

}  // namespace canon::daemon

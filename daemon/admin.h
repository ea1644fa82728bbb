// The admin API under /admin/: a small route table so each area (rules, reports, review queue, imports) adds
// its routes from its own file. Handlers get the request, the path parameters and a Respond; they may answer
// later from another thread. Every admin route requires `Authorization: Bearer <token>` when an admin token
// is configured (compared in constant time), except a route added as Access::kPublic (a static page that
// holds no data); without a token, canond only allows admin calls from a loopback listener.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/http_server.h"

namespace canon::daemon {

using PathParams = std::vector<std::string>;  // the values of "{...}" segments, in order
using AdminHandler = std::function<void(Request&& req, const PathParams& params, Respond respond)>;

enum class Access { kToken, kPublic };

class AdminRouter {
 public:
  // pattern: "/admin/entities/{id}/unmerge"; a {name} segment matches one non-empty path segment.
  void Add(http::verb method, std::string pattern, AdminHandler handler, Access access = Access::kToken);
  // True when the request's method and path match a route added as Access::kPublic.
  bool IsPublic(const Request& req) const;
  // Returns false when no route matches the path (any method); answers 405 when the path matches another method.
  bool Dispatch(Request&& req, Respond& respond);

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;
    AdminHandler handler;
    Access access;
  };
  // Whether `segs` (a split request path) fits the route's pattern; fills `params` when it does.
  static bool Matches(const Route& r, const std::vector<std::string>& segs, PathParams* params);
  std::vector<Route> routes_;
};

std::string ErrorBody(const std::string& code, const std::string& message, const std::string& where = {});

// Constant-time comparison of secrets (tokens); lengths may leak, contents do not.
bool SecretEquals(std::string_view a, std::string_view b);

// "a=1&b=two" -> value of `name` (percent-decoded), or fallback.
std::string QueryParam(std::string_view target, const std::string& name, const std::string& fallback = {});

}  // namespace canon::daemon

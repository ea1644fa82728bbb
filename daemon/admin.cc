#include "daemon/admin.h"

#include <openssl/crypto.h>

#include <cctype>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "hygiene/pii_mask.h"
#include "store/pg.h"

namespace canon::daemon {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

std::string ErrorBody(const std::string& code, const std::string& message, const std::string& where) {
  std::string out =
      "{\"error\":" + store::JsonEscape(code) + ",\"message\":" + store::JsonEscape(MaskPii(message));
  if (!where.empty()) out += ",\"where\":" + store::JsonEscape(MaskPii(where));  // may name a sender's key
  return out + "}";
}

bool SecretEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view BearerToken(std::string_view authorization) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  std::string_view v = trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (v.size() <= kScheme.size() || (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t')) return {};
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(v[i])) != kScheme[i]) return {};
  return trim(v.substr(kScheme.size()));
}

const ApiToken* Authenticate(const std::vector<ApiToken>& tokens, std::string_view authorization,
                             std::string* why) {
  if (authorization.empty()) {
    *why = "no Authorization header";
    return nullptr;
  }
  std::string_view token = BearerToken(authorization);
  if (token.empty()) {
    *why = "Authorization is not \"Bearer <token>\"";
    return nullptr;
  }
  const std::string hash = Sha256(token);
  const ApiToken* found = nullptr;
  for (const ApiToken& t : tokens)
    if (SecretEquals(hash, t.sha256)) found = &t;
  if (!found) *why = "unknown token";
  return found;
}

std::string QueryParam(std::string_view target, const std::string& name, const std::string& fallback) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return fallback;
  auto pairs = ParseUrlEncoded(target.substr(q + 1));
  if (!pairs.ok()) return fallback;
  for (auto& [k, v] : *pairs)
    if (k == name) return v;
  return fallback;
}

void AdminRouter::Add(http::verb method, std::string pattern, Role role, AdminHandler handler) {
  Route r;
  r.info.method = method;
  r.info.role = role;
  r.segments = Split(pattern);
  r.info.pattern = std::move(pattern);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

void AdminRouter::Add(http::verb method, std::string pattern, Access, AdminHandler handler) {
  Add(method, std::move(pattern), Role::kViewer, std::move(handler));
  routes_.back().info.is_public = true;
}

std::vector<RouteInfo> AdminRouter::Routes() const {
  std::vector<RouteInfo> out;
  for (const Route& r : routes_) out.push_back(r.info);
  return out;
}

bool AdminRouter::Matches(const Route& r, const std::vector<std::string>& segs, PathParams* params) {
  if (r.segments.size() != segs.size()) return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& p = r.segments[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}')
      params->push_back(segs[i]);
    else if (p != segs[i])
      return false;
  }
  return true;
}

const RouteInfo* AdminRouter::Find(const Request& req) const {
  std::string_view target(req.target().data(), req.target().size());
  std::vector<std::string> segs = Split(target.substr(0, target.find('?')));
  for (const Route& r : routes_) {
    PathParams params;
    if (r.info.method == req.method() && Matches(r, segs, &params)) return &r.info;
  }
  return nullptr;
}

bool AdminRouter::IsPublic(const Request& req) const {
  const RouteInfo* r = Find(req);
  return r && r->is_public;
}

AdminRouter::Outcome AdminRouter::Dispatch(Request&& req, Respond& respond, Role caller) {
  std::string_view target(req.target().data(), req.target().size());
  std::vector<std::string> segs = Split(target.substr(0, target.find('?')));
  bool path_matched = false;
  for (const Route& r : routes_) {
    PathParams params;
    if (!Matches(r, segs, &params)) continue;
    path_matched = true;
    if (r.info.method != req.method()) continue;
    if (!r.info.is_public && caller < r.info.role) return Outcome::kForbidden;
    r.handler(std::move(req), params, std::move(respond));
    return Outcome::kHandled;
  }
  if (path_matched) {
    respond(JsonResponse(req, http::status::method_not_allowed,
                         ErrorBody("method_not_allowed", "this admin path does not take that method")));
    return Outcome::kHandled;
  }
  return Outcome::kNoRoute;
}

}  // namespace canon::daemon

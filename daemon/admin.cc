#include "daemon/admin.h"

#include <openssl/crypto.h>

#include "connectors/connector.h"
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
  std::string out = "{\"error\":" + store::JsonEscape(code) + ",\"message\":" + store::JsonEscape(message);
  if (!where.empty()) out += ",\"where\":" + store::JsonEscape(where);
  return out + "}";
}

bool SecretEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
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

void AdminRouter::Add(http::verb method, std::string pattern, AdminHandler handler, Access access) {
  routes_.push_back({method, Split(pattern), std::move(handler), access});
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

bool AdminRouter::IsPublic(const Request& req) const {
  std::string_view target(req.target().data(), req.target().size());
  std::vector<std::string> segs = Split(target.substr(0, target.find('?')));
  for (const Route& r : routes_) {
    PathParams params;
    if (r.access == Access::kPublic && r.method == req.method() && Matches(r, segs, &params)) return true;
  }
  return false;
}

bool AdminRouter::Dispatch(Request&& req, Respond& respond) {
  std::string_view target(req.target().data(), req.target().size());
  std::vector<std::string> segs = Split(target.substr(0, target.find('?')));
  bool path_matched = false;
  for (const Route& r : routes_) {
    PathParams params;
    if (!Matches(r, segs, &params)) continue;
    path_matched = true;
    if (r.method != req.method()) continue;
    r.handler(std::move(req), params, std::move(respond));
    return true;
  }
  if (path_matched) {
    respond(JsonResponse(req, http::status::method_not_allowed,
                         ErrorBody("method_not_allowed", "this admin path does not take that method")));
    return true;
  }
  return false;
}

}  // namespace canon::daemon

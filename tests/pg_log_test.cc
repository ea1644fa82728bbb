// Logs an SRE can ship: X-Request-Id taken (when safe) or made, returned on every response, logged with the
// admin API's refusals and stored with audited actions; log_format = "json" writes one JSON object per line.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>

#include "connectors/hmac.h"
#include "daemon/http_server.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

bool IsHex32(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("a request id is the client's when it is safe, else a new one", "[log]") {
  CHECK(daemon::RequestIdFor("trace-42.a:b_C") == "trace-42.a:b_C");
  CHECK(IsHex32(daemon::RequestIdFor("")));
  CHECK(IsHex32(daemon::RequestIdFor("a b")));
  CHECK(IsHex32(daemon::RequestIdFor("x\"y")));
  CHECK(IsHex32(daemon::RequestIdFor(std::string(129, 'a'))));
  CHECK(daemon::RequestIdFor(std::string(128, 'a')) == std::string(128, 'a'));
  CHECK(daemon::RequestIdFor("") != daemon::RequestIdFor(""));
}

TEST_CASE("X-Request-Id is returned, logged and audited; log_format json writes JSON lines", "[pg][log]") {
  TestDb db;
  Canond d(db, {{"log_format", "\"json\""}, {"admin_token", "\"log-t0ken\""}});

  auto refused = HttpRequest(d.port(), "GET", "/admin/rules", "", "", {{"X-Request-Id", "trace-42.a:b"}});
  CHECK(refused.status == 401);
  CHECK(refused.headers["x-request-id"] == "trace-42.a:b");
  auto made = HttpRequest(d.port(), "GET", "/healthz");
  CHECK(IsHex32(made.headers["x-request-id"]));
  // Made ids differ from request to request (on one connection or another, one I/O thread or the other).
  std::set<std::string> ids = {made.headers["x-request-id"]};
  for (int i = 0; i < 20; ++i) ids.insert(HttpRequest(d.port(), "GET", "/healthz").headers["x-request-id"]);
  CHECK(ids.size() == 21);
  auto hostile =
      HttpRequest(d.port(), "GET", "/admin/rules", "", "", {{"X-Request-Id", "evil\"},{\"level\":\"x"}});
  CHECK(IsHex32(hostile.headers["x-request-id"]));
  auto ingest = HttpRequest(d.port(), "POST", "/ingest/website", "email=a%40x.com&first_name=Ann",
                            "application/x-www-form-urlencoded", {{"X-Request-Id", "lead-1"}});
  CHECK(ingest.status == 202);
  CHECK(ingest.headers["x-request-id"] == "lead-1");
  auto reload = HttpRequest(d.port(), "POST", "/admin/rules/reload", "", "",
                            {{"Authorization", "Bearer log-t0ken"}, {"X-Request-Id", "reload-7"}});
  CHECK(reload.status == 200);
  CHECK(reload.headers["x-request-id"] == "reload-7");
  CHECK(db.Scalar("SELECT request_id FROM audit_event WHERE route = '/admin/rules/reload'") == "reload-7");

  std::string log = d.Log();
  INFO(log);
  std::istringstream lines(log);
  simdjson::dom::parser parser;
  int n = 0;
  bool refusal_logged = false;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    simdjson::dom::object obj;
    REQUIRE_FALSE(parser.parse(line).get_object().get(obj));
    std::string_view time, level, event;
    CHECK_FALSE(obj["time"].get_string().get(time));
    CHECK(time.size() == 27);  // 2026-12-03T09:45:01.123456Z
    CHECK(time.back() == 'Z');
    CHECK_FALSE(obj["level"].get_string().get(level));
    CHECK_FALSE(obj["event"].get_string().get(event));
    CHECK(level != "x");
    if (event.find("(request trace-42.a:b): 401") != std::string_view::npos) refusal_logged = true;
  }
  CHECK(n >= 3);
  CHECK(refusal_logged);
  CHECK_THAT(log, !Catch::Contains("log-t0ken"));
}

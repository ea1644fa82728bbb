// GraphClient against a real HTTPS server on 127.0.0.1 inside the test (tests/https_server.h), with a
// self-signed certificate made with OpenSSL's APIs. The server plays a script of answers, one per connection, and
// records each request.
#include <catch2/catch.hpp>

#include <cstdio>

#include "daemon/graph_client.h"
#include "tests/https_server.h"

using namespace canon;
using namespace canon::test;

namespace {

struct Fixture {
  Pem pem = MakeSelfSigned();
  CaFile ca{pem};
  std::vector<std::chrono::milliseconds> sleeps;
  GraphClientOptions Options(unsigned short port) {
    GraphClientOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(port) + "/v19.0/";
    o.ca_file = ca.path;
    o.timeout = std::chrono::milliseconds(2000);
    o.max_attempts = 3;
    o.initial_backoff = std::chrono::milliseconds(100);
    o.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    return o;
  }
};

}  // namespace

TEST_CASE("graph client: a 200 comes back with its body; the token goes in the query", "[conn][graph]") {
  Fixture f;
  ScriptedServer server(f.pem, {{200, R"({"id":"123"})"}});
  GraphClient client(f.Options(server.port()));
  auto r = client.Get("/123?fields=id,field_data", "tok+en/1");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == R"({"id":"123"})");
  CHECK(r->attempts == 1);
  CHECK(server.targets() == std::vector<std::string>{"/v19.0/123?fields=id,field_data&access_token=tok%2Ben%2F1"});
  CHECK(f.sleeps.empty());
}

TEST_CASE("graph client: a 500 is retried with backoff and the 200 after it wins", "[conn][graph]") {
  Fixture f;
  ScriptedServer server(f.pem, {{500, "oops"}, {200, "{}"}});
  GraphClient client(f.Options(server.port()));
  auto r = client.Get("/1", "t");
  REQUIRE(r.ok());
  CHECK(r->attempts == 2);
  CHECK(server.targets().size() == 2);
  CHECK(f.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100)});
}

TEST_CASE("graph client: 5xx until the attempts run out is unavailable, backoff doubling", "[conn][graph]") {
  Fixture f;
  ScriptedServer server(f.pem, {{503, "busy"}});
  GraphClient client(f.Options(server.port()));
  auto r = client.Get("/1", "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(r.status().message() == "graph API unavailable after 3 attempts: HTTP 503");
  CHECK(server.targets().size() == 3);
  CHECK(f.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100),
                                                           std::chrono::milliseconds(200)});
}

TEST_CASE("graph client: a 401 is final, not retried, and never shows the token", "[conn][graph]") {
  Fixture f;
  const std::string token = "EAAGsecretTOKEN123";
  ScriptedServer server(
      f.pem, {{401, R"({"error":{"message":"Invalid OAuth access token: EAAGsecretTOKEN123","code":190}})"}});
  GraphClient client(f.Options(server.port()));
  auto r = client.Get("/1", token);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnauthenticated);
  CHECK(r.status().message().find("HTTP 401") != std::string::npos);
  CHECK(r.status().message().find("Invalid OAuth access token") != std::string::npos);
  CHECK(r.status().ToString().find(token) == std::string::npos);
  CHECK(server.targets().size() == 1);
  CHECK(f.sleeps.empty());
}

TEST_CASE("graph client: a timeout is retried", "[conn][graph]") {
  Fixture f;
  ScriptedServer server(f.pem, {{200, "slow", 1500}, {200, "fast"}});
  auto o = f.Options(server.port());
  o.timeout = std::chrono::milliseconds(400);
  GraphClient client(o);
  auto r = client.Get("/1");
  REQUIRE(r.ok());
  CHECK(r->body == "fast");
  CHECK(r->attempts == 2);
}

TEST_CASE("graph client: an untrusted certificate fails once, without retry", "[conn][graph]") {
  Fixture f;
  ScriptedServer server(f.pem, {{200, "{}"}});
  auto o = f.Options(server.port());
  o.ca_file.clear();  // the system trust store does not know our self-signed certificate
  GraphClient client(o);
  auto r = client.Get("/1", "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("tls failed") != std::string::npos);
  CHECK(r.status().message().find("not retried") != std::string::npos);
  CHECK(server.connections() == 1);
  CHECK(server.targets().empty());
}

TEST_CASE("graph client: base URLs must be https with a host", "[conn][graph]") {
  GraphClientOptions o;
  o.base_url = "http://graph.example/v1";
  CHECK(GraphClient(o).config_status().code() == Code::kInvalidArgument);
  CHECK(GraphClient(o).Get("/1").status().where() == "base_url");
  o.base_url = "https://:99/x";
  CHECK_FALSE(GraphClient(o).config_status().ok());
  o.base_url = "https://graph.example:80a/x";
  CHECK_FALSE(GraphClient(o).config_status().ok());
  o.base_url = "https://graph.example";
  CHECK(GraphClient(o).config_status().ok());
}

// GraphClient against a real HTTPS server on 127.0.0.1 inside the test, with a self-signed certificate made
// here with OpenSSL's APIs. The server plays a script of answers, one per connection, and records each request.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "daemon/graph_client.h"

using namespace canon;

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct Pem {
  std::string cert, key;
};

// A self-signed certificate for localhost and 127.0.0.1, valid for a day.
Pem MakeSelfSigned() {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  REQUIRE(pkey != nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 4231);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("canon test"), -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    REQUIRE(ext != nullptr);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, n);
    BIO_free(bio);
    return s;
  };
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  Pem pem{to_string(cb), to_string(kb)};
  X509_free(x);
  EVP_PKEY_free(pkey);
  return pem;
}

struct Answer {
  int status;
  std::string body;
  int delay_ms = 0;  // before answering: longer than the client's timeout makes it give up on this attempt
};

// An HTTPS server on 127.0.0.1:<ephemeral>: the i-th connection gets script[i] (the last one repeats).
class ScriptedServer {
 public:
  ScriptedServer(const Pem& pem, std::vector<Answer> script)
      : ctx_(ssl::context::tls_server), script_(std::move(script)), acceptor_(ioc_) {
    ctx_.use_certificate_chain(net::buffer(pem.cert));
    ctx_.use_private_key(net::buffer(pem.key), ssl::context::pem);
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Loop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : handlers_) t.join();
  }
  unsigned short port() const { return port_; }
  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }
  int connections() const { return connections_; }

 private:
  void Loop() {
    // Bounded: the loop ends when the test ends (stop_), polling so it never blocks in accept.
    while (!stop_) {
      pollfd p{acceptor_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      tcp::socket sock(ioc_);
      beast::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec) continue;
      int index = connections_++;
      Answer answer = script_[std::min<size_t>(index, script_.size() - 1)];
      handlers_.emplace_back([this, s = std::move(sock), answer]() mutable { Serve(std::move(s), answer); });
    }
  }

  void Serve(tcp::socket sock, const Answer& answer) {
    timeval tv{5, 0};  // a stuck client cannot hold the test
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    beast::ssl_stream<tcp::socket> stream(std::move(sock), ctx_);
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      targets_.push_back(std::string(req.target()));
    }
    if (answer.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(answer.delay_ms));
    http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::connection, "close");
    res.body() = answer.body;
    res.prepare_payload();
    http::write(stream, res, ec);
    stream.shutdown(ec);
  }

  net::io_context ioc_;
  ssl::context ctx_;
  std::vector<Answer> script_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::vector<std::thread> handlers_;
  std::mutex mu_;
  std::vector<std::string> targets_;
};

struct Fixture {
  Pem pem = MakeSelfSigned();
  std::string ca_path;
  std::vector<std::chrono::milliseconds> sleeps;
  Fixture() {
    char tmpl[] = "/tmp/canon_conn_ca_XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, pem.cert.data(), pem.cert.size()) == static_cast<ssize_t>(pem.cert.size()));
    ::close(fd);
    ca_path = tmpl;
  }
  ~Fixture() { std::remove(ca_path.c_str()); }
  GraphClientOptions Options(unsigned short port) {
    GraphClientOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(port) + "/v19.0/";
    o.ca_file = ca_path;
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

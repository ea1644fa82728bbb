#include "tests/https_server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>
#include <cstdio>

namespace canon::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

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

CaFile::CaFile(const Pem& pem) {
  char tmpl[] = "/tmp/canon_conn_ca_XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, pem.cert.data(), pem.cert.size()) == static_cast<ssize_t>(pem.cert.size()));
  ::close(fd);
  path = tmpl;
}

CaFile::~CaFile() { std::remove(path.c_str()); }

ScriptedServer::ScriptedServer(const Pem& pem, Responder responder)
    : ScriptedServer(pem, [responder = std::move(responder)](const std::string& target,
                                                              const std::map<std::string, std::string>&) {
        return responder(target);
      }) {}

ScriptedServer::ScriptedServer(const Pem& pem, HeaderResponder responder)
    : ScriptedServer(pem, std::vector<Answer>{}) {
  // Set before the first request can arrive: Loop reads it only after an accept, under mu_.
  std::lock_guard<std::mutex> lock(mu_);
  responder_ = std::move(responder);
}

ScriptedServer::ScriptedServer(const Pem& pem, std::vector<Answer> script)
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

ScriptedServer::~ScriptedServer() {
  stop_ = true;
  thread_.join();
  for (auto& t : handlers_) t.join();
}

std::vector<std::string> ScriptedServer::targets() {
  std::lock_guard<std::mutex> lock(mu_);
  return targets_;
}

void ScriptedServer::Loop() {
  // Bounded: the loop ends when the test ends (stop_), polling so it never blocks in accept.
  while (!stop_) {
    pollfd p{acceptor_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    tcp::socket sock(ioc_);
    beast::error_code ec;
    acceptor_.accept(sock, ec);
    if (ec) continue;
    int index = connections_++;
    handlers_.emplace_back([this, s = std::move(sock), index]() mutable { Serve(std::move(s), index); });
  }
}

void ScriptedServer::Serve(tcp::socket sock, int index) {
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
  HeaderResponder responder;
  std::map<std::string, std::string> headers;
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[name] = std::string(f.value());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    targets_.push_back(std::string(req.target()));
    responder = responder_;
  }
  const Answer answer = responder ? responder(std::string(req.target()), headers)
                                  : script_[std::min<size_t>(index, script_.size() - 1)];
  if (answer.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(answer.delay_ms));
  http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.body() = answer.body;
  res.prepare_payload();
  http::write(stream, res, ec);
  stream.shutdown(ec);
}

}  // namespace canon::test

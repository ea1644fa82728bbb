#include "daemon/http_server.h"

#include <openssl/rand.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>

#include "connectors/hmac.h"

namespace canon::daemon {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Response JsonResponse(const Request& req, http::status status, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::server, "canond");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string RequestIdFor(std::string_view sent) {
  constexpr size_t kMaxLength = 128;  // longer ids are not ids but payloads
  bool ok = !sent.empty() && sent.size() <= kMaxLength;
  for (unsigned char c : sent)
    ok = ok && (std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-');
  if (ok) return std::string(sent);
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // No randomness left to take: a process-wide counter still tells requests apart.
    static std::atomic<unsigned long long> counter{0};
    return "req-" + std::to_string(++counter);
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

class Session;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& ioc, Router& router, HttpLimits limits)
      : ioc(ioc), router(router), limits(limits), acceptor(net::make_strand(ioc)) {}

  net::io_context& ioc;
  Router& router;
  HttpLimits limits;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;

  void Accept();
  void Stop();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    beast::error_code ec;
    auto addr = stream_.socket().remote_endpoint(ec).address();
    if (!ec) {
      if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6());
      peer_.loopback = addr.is_loopback();
    }
  }

  void Start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

  // Called on shutdown: an idle connection closes now; a busy one closes after its response.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  void Read() {
    if (server_->stopping) return Close();
    parser_.emplace();
    parser_->body_limit(server_->limits.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(server_->limits.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::bad_descriptor)
      return Close();
    if (ec == http::error::body_limit) {
      // Answer 413 and close: the rest of the body is still on the wire and we will not read it.
      Request head;
      head.version(parser_->get().version());
      head.keep_alive(false);
      Response res = JsonResponse(head, http::status::payload_too_large,
                                  "{\"error\":\"body_too_large\",\"message\":\"request body exceeds " +
                                      std::to_string(server_->limits.max_body_bytes) + " bytes\"}");
      res.keep_alive(false);
      res.set("X-Request-Id", RequestIdFor(parser_->get()["X-Request-Id"]));
      server_->router.Refused(parser_->get(), res.result_int());
      busy_ = true;
      return Write(std::move(res));
    }
    if (ec) {
      // A malformed request line or headers: say so, then close.
      Request head;
      head.keep_alive(false);
      Response res = JsonResponse(head, http::status::bad_request,
                                  "{\"error\":\"bad_request\",\"message\":\"malformed HTTP request: " +
                                      ec.message() + "\"}");
      res.set("X-Request-Id", RequestIdFor({}));
      server_->router.Refused(head, res.result_int());
      busy_ = true;
      return Write(std::move(res));
    }
    busy_ = true;
    stream_.expires_never();
    auto self = shared_from_this();
    Request req = parser_->release();
    std::string id = RequestIdFor(req["X-Request-Id"]);
    req.set("X-Request-Id", id);
    server_->router.Handle(std::move(req), peer_, [self, id](Response res) {
      res.set("X-Request-Id", id);
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->Write(std::move(res)); });
    });
  }

  void Write(Response res) {
    if (server_->stopping) res.keep_alive(false);
    res_ = std::make_shared<Response>(std::move(res));
    stream_.expires_after(std::chrono::milliseconds(server_->limits.read_timeout_ms));
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    busy_ = false;
    bool keep = res_ && res_->keep_alive();
    res_.reset();
    if (ec || !keep) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> res_;
  bool busy_ = false;
  Peer peer_;
};

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [self = shared_from_this()](beast::error_code ec,
                                                                            tcp::socket socket) {
    if (ec) {
      if (self->stopping || ec == net::error::operation_aborted) return;
      return self->Accept();  // e.g. EMFILE: keep serving the connections we have
    }
    if (self->stopping) return;
    socket.set_option(tcp::no_delay(true), ec);
    auto s = std::make_shared<Session>(std::move(socket), self);
    {
      std::lock_guard<std::mutex> lock(self->mu);
      for (auto it = self->sessions.begin(); it != self->sessions.end();)
        it = it->expired() ? self->sessions.erase(it) : std::next(it);
      self->sessions.insert(s);
    }
    s->Start();
    self->Accept();
  });
}

void HttpServer::Impl::Stop() {
  if (stopping.exchange(true)) return;
  net::post(acceptor.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor.close(ec);
  });
  std::lock_guard<std::mutex> lock(mu);
  for (auto& w : sessions)
    if (auto s = w.lock()) s->CloseIfIdle();
}

HttpServer::HttpServer(net::io_context& ioc, Router& router, HttpLimits limits)
    : impl_(std::make_shared<Impl>(ioc, router, limits)) {}

HttpServer::~HttpServer() = default;

Result<uint16_t> HttpServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return Status::Invalid("bad listen address '" + host + "': " + ec.message());
  tcp::endpoint ep{addr, port};
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  uint16_t bound = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  return bound;
}

void HttpServer::Stop() { impl_->Stop(); }
bool HttpServer::stopping() const { return impl_->stopping; }

size_t HttpServer::open_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (auto& w : impl_->sessions) n += !w.expired();
  return n;
}

}  // namespace canon::daemon

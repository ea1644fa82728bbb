#include "daemon/http_server.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
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
  // An id tells requests apart in the logs; it guards nothing. Per thread: 8 random bytes drawn once, then a
  // counter mixed by SplitMix64 (a bijection, so one thread never repeats an id). RAND_bytes per request was 1.8%
  // of canond's CPU under load (OpenSSL 3 takes the DRBG's lock and looks up its provider on every call).
  thread_local struct IdState {
    uint64_t prefix = 0, counter = 0;
    bool seeded = false;
  } state;
  if (!state.seeded) {
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) {
      // No randomness to take: the thread's address and the clock still set threads apart.
      uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
      uint64_t a = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&state));
      std::memcpy(raw, &t, 8);
      std::memcpy(raw + 8, &a, 8);
    }
    std::memcpy(&state.prefix, raw, 8);
    std::memcpy(&state.counter, raw + 8, 8);
    state.seeded = true;
  }
  uint64_t z = (state.counter += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  unsigned char raw[16];
  for (int i = 0; i < 8; ++i) {
    raw[i] = static_cast<unsigned char>(state.prefix >> (56 - 8 * i));
    raw[8 + i] = static_cast<unsigned char>(z >> (56 - 8 * i));
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

class Session;

// How long a connection accepted just before shutdown may take to send its first request.
constexpr int kShutdownFirstRequestMs = 2000;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& ioc, Router& router, HttpLimits limits)
      : ioc(ioc), router(router), limits(limits), acceptor(net::make_strand(ioc)) {}

  net::io_context& ioc;
  Router& router;
  HttpLimits limits;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<long long> header_timeouts{0}, body_timeouts{0}, write_timeouts{0};
  std::mutex mu;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;

  void Accept();
  void Serve(tcp::socket socket);
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

  // Called on shutdown: a connection idle between requests closes now; a busy one closes after its response. A
  // connection that has not sent its first request yet is not idle: its client connected to send one, and may
  // have sent it already (closing would drop it unanswered), so it gets kShutdownFirstRequestMs to arrive.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->served_ == 0 && !self->busy_) {
        auto t = std::make_shared<net::steady_timer>(self->stream_.get_executor(),
                                                     std::chrono::milliseconds(kShutdownFirstRequestMs));
        t->async_wait([self, t](beast::error_code) {
          if (self->served_ == 0 && !self->busy_) self->Close();
        });
        return;
      }
      if (!self->busy_ && self->buffer_.size() == 0) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  // Two deadlines, not one: the headers (and the idle time before them) and then the body. Each is a deadline,
  // not an idle timer, so a client that trickles a byte at a time is cut off all the same.
  void Read() {
    if (server_->stopping && served_ > 0) return Close();
    parser_.emplace();
    parser_->body_limit(server_->limits.max_body_bytes);
    int header_ms = server_->limits.header_timeout_ms;
    if (server_->stopping) header_ms = std::min(header_ms, kShutdownFirstRequestMs);  // accepted while stopping
    stream_.expires_after(std::chrono::milliseconds(header_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec == beast::error::timeout && buffer_.size() > 0) ++server_->header_timeouts;
    if (ec) return OnRead(ec, 0);
    stream_.expires_after(std::chrono::milliseconds(server_->limits.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == beast::error::timeout && parser_->is_header_done()) ++server_->body_timeouts;
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
    stream_.expires_after(std::chrono::milliseconds(server_->limits.write_timeout_ms));
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    ++served_;
    if (ec == beast::error::timeout) ++server_->write_timeouts;
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
  int served_ = 0;  // responses written
  Peer peer_;
};

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [self = shared_from_this()](beast::error_code ec,
                                                                            tcp::socket socket) {
    if (ec) {
      if (self->stopping || ec == net::error::operation_aborted) return;
      return self->Accept();  // e.g. EMFILE: keep serving the connections we have
    }
    self->Serve(std::move(socket));
    if (!self->stopping) self->Accept();
  });
}

void HttpServer::Impl::Serve(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  auto s = std::make_shared<Session>(std::move(socket), shared_from_this());
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = sessions.begin(); it != sessions.end();)
      it = it->expired() ? sessions.erase(it) : std::next(it);
    sessions.insert(s);
  }
  s->Start();
}

void HttpServer::Impl::Stop() {
  if (stopping.exchange(true)) return;
  // Closing a listening socket resets the connections the kernel completed and queued for it, and their clients
  // may have written a request already: accept and serve every queued one first, then close.
  net::post(acceptor.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor.non_blocking(true, ec);
    while (!ec) {
      tcp::socket socket(net::make_strand(self->ioc));
      self->acceptor.accept(socket, ec);
      if (!ec) self->Serve(std::move(socket));
    }
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

HttpTimeouts HttpServer::timeouts() const {
  return {impl_->header_timeouts.load(), impl_->body_timeouts.load(), impl_->write_timeouts.load()};
}
bool HttpServer::stopping() const { return impl_->stopping; }

size_t HttpServer::open_connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (auto& w : impl_->sessions) n += !w.expired();
  return n;
}

}  // namespace canon::daemon

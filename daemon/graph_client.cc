#include "daemon/graph_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <thread>

#include "connectors/connector.h"

namespace canon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// A Graph lead is a few KB; the cap bounds what a broken or hostile server can make a worker hold.
constexpr size_t kMaxBodyBytes = 4 << 20;
// How much of an error body goes into a Status message: enough for the vendor's error text.
constexpr size_t kErrorExcerptBytes = 300;

std::string Scrub(std::string text, std::string_view secret) {
  if (text.size() > kErrorExcerptBytes) text.resize(kErrorExcerptBytes);
  if (secret.empty()) return text;
  for (std::string needle : {std::string(secret), EncodePathSegment(secret)}) {
    size_t at;
    while ((at = text.find(needle)) != std::string::npos) text.replace(at, needle.size(), "***");
  }
  // A cut in the middle of the token would leave a prefix of it: drop any tail that starts one.
  for (size_t keep = std::min(secret.size(), text.size()); keep >= 4; --keep) {
    if (text.compare(text.size() - keep, keep, secret.substr(0, keep)) == 0) {
      text.resize(text.size() - keep);
      break;
    }
  }
  return text;
}

struct Attempt {
  beast::error_code ec;  // transport failure (then status == 0)
  bool final_failure = false;  // a TLS verification failure: retrying cannot help
  std::string stage;     // where the transport failed: resolve, connect, tls, write, read
  int status = 0;
  std::string body;
};

// Runs one asynchronous operation to completion or to the deadline; on the deadline, `cancel` aborts it.
template <class Start>
beast::error_code RunOp(net::io_context& ioc, Clock::time_point deadline, const std::function<void()>& cancel,
                        Start start) {
  beast::error_code result;
  bool done = false;
  start([&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  ioc.restart();
  auto now = Clock::now();
  if (deadline > now) ioc.run_for(deadline - now);
  if (!done) {
    cancel();
    ioc.restart();
    ioc.run();
    return net::error::timed_out;
  }
  return result;
}

}  // namespace

GraphClient::GraphClient(GraphClientOptions options) : options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  std::string_view url = options_.base_url;
  const std::string_view scheme = "https://";
  if (url.substr(0, scheme.size()) != scheme) {
    config_ = Status::Invalid("graph base URL must start with https://", "base_url");
    return;
  }
  url.remove_prefix(scheme.size());
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  base_path_ = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    host_ = std::string(authority.substr(0, colon));
    port_ = std::string(authority.substr(colon + 1));
  } else {
    host_ = std::string(authority);
    port_ = "443";
  }
  if (!host_.empty() && host_.front() == '[' && host_.back() == ']') host_ = host_.substr(1, host_.size() - 2);
  bool port_ok = !port_.empty() && port_.size() <= 5 && std::all_of(port_.begin(), port_.end(), ::isdigit);
  if (host_.empty() || !port_ok) config_ = Status::Invalid("graph base URL has no valid host:port", "base_url");
}

Result<HttpResponse> GraphClient::Get(std::string_view target, std::string_view access_token) const {
  if (!config_.ok()) return config_;
  std::string path = base_path_;
  if (target.empty() || target.front() != '/') path += '/';
  path += target;
  if (!access_token.empty() && !options_.bearer) {
    path += path.find('?') == std::string::npos ? '?' : '&';
    path += "access_token=" + EncodePathSegment(access_token);
  }

  auto once = [&]() {
    Attempt a;
    net::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (options_.ca_file.empty()) ctx.set_default_verify_paths(ec);
    else ctx.load_verify_file(options_.ca_file, ec);
    if (ec) {
      a.ec = ec;
      a.stage = "trust store";
      a.final_failure = true;
      return a;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    boost::system::error_code addr_ec;
    net::ip::make_address(host_, addr_ec);
    if (addr_ec) SSL_set_tlsext_host_name(stream.native_handle(), host_.c_str());  // SNI is for names only
    stream.set_verify_callback(ssl::host_name_verification(host_));
    const auto deadline = Clock::now() + options_.timeout;
    auto close = [&] {
      beast::error_code ignored;
      beast::get_lowest_layer(stream).socket().close(ignored);
    };

    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    a.stage = "resolve";
    a.ec = RunOp(ioc, deadline, [&] { resolver.cancel(); }, [&](auto done) {
      resolver.async_resolve(host_, port_, [&, done](beast::error_code e, tcp::resolver::results_type r) {
        endpoints = r;
        done(e);
      });
    });
    if (a.ec) return a;
    a.stage = "connect";
    a.ec = RunOp(ioc, deadline, close, [&](auto done) {
      beast::get_lowest_layer(stream).async_connect(endpoints,
                                                    [done](beast::error_code e, const tcp::endpoint&) { done(e); });
    });
    if (a.ec) return a;
    a.stage = "tls";
    a.ec = RunOp(ioc, deadline, close, [&](auto done) {
      stream.async_handshake(ssl::stream_base::client, [done](beast::error_code e) { done(e); });
    });
    if (a.ec) {
      // A certificate that does not verify will not verify on the next try either.
      a.final_failure = a.ec.category() == net::error::get_ssl_category();
      return a;
    }
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, port_ == "443" ? host_ : host_ + ":" + port_);
    req.set(http::field::user_agent, "canond");
    req.set(http::field::accept, "application/json");
    req.set(http::field::connection, "close");
    if (options_.bearer && !access_token.empty())
      req.set(http::field::authorization, "Bearer " + std::string(access_token));
    for (const auto& [name, value] : options_.headers) req.set(name, value);
    a.stage = "write";
    a.ec = RunOp(ioc, deadline, close, [&](auto done) {
      http::async_write(stream, req, [done](beast::error_code e, size_t) { done(e); });
    });
    if (a.ec) return a;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    a.stage = "read";
    a.ec = RunOp(ioc, deadline, close, [&](auto done) {
      http::async_read(stream, buffer, parser, [done](beast::error_code e, size_t) { done(e); });
    });
    if (a.ec) return a;
    a.status = static_cast<int>(parser.get().result_int());
    a.body = std::move(parser.get().body());
    close();
    return a;
  };

  std::string last;
  auto backoff = options_.initial_backoff;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    Attempt a = once();
    if (a.ec) {
      // Error texts come from Asio/OpenSSL and name the failure, never the request target.
      last = a.stage + " failed: " + a.ec.message();
      if (a.final_failure) return Status(Code::kUnavailable, options_.api_name + " " + last + " (not retried)");
    } else if (a.status >= 500 || a.status == 429) {
      last = "HTTP " + std::to_string(a.status);
    } else if (a.status >= 400) {
      std::string msg = options_.api_name + " answered HTTP " + std::to_string(a.status) + ": " + Scrub(a.body, access_token);
      Code code = a.status == 401 || a.status == 403 ? Code::kUnauthenticated
                  : a.status == 404                  ? Code::kNotFound
                                                     : Code::kInvalidArgument;
      return Status(code, std::move(msg), "attempt " + std::to_string(attempt));
    } else {
      HttpResponse r;
      r.status = a.status;
      r.body = std::move(a.body);
      r.attempts = attempt;
      return r;
    }
    if (attempt < options_.max_attempts) {
      if (options_.on_retry) options_.on_retry();
      options_.sleep(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
  return Status(Code::kUnavailable,
                options_.api_name + " unavailable after " + std::to_string(options_.max_attempts) + " attempts: " + last);
}

}  // namespace canon

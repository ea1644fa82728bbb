#include "tools/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace canon::tools {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

Result<HttpReply> HttpCall(const std::string& method, const std::string& url, const std::string& target,
                           const std::string& body, const std::map<std::string, std::string>& headers,
                           int timeout_ms) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return Status::Invalid("only http:// URLs are supported: '" + url + "'");
  std::string rest = url.substr(scheme.size());
  std::string base;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    base = rest.substr(slash);
    rest.resize(slash);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string host = rest, port = "80";
  if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || port.empty()) return Status::Invalid("bad URL '" + url + "'");

  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return Status::Invalid("bad HTTP method '" + method + "'");
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(resolver.resolve(host, port));
    http::request<http::string_body> req{verb, base + target, 11};
    req.set(http::field::host, rest);
    req.set(http::field::user_agent, "canonctl");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return HttpReply{static_cast<int>(res.result_int()), std::move(res.body())};
  } catch (const boost::system::system_error& e) {
    return Status::Unavailable(url + ": " + e.code().message());
  }
}

}  // namespace canon::tools

#include "daemon/app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "connectors/rule_dir.h"
#include "connectors/secrets.h"
#include "daemon/log.h"
#include "daemon/routes.h"
#include "store/migrate.h"
#include "store/queue_stats.h"

namespace canon::daemon {
namespace {

// Headers kept with the payload for the worker. Credentials are never stored.
bool KeepHeader(const std::string& lower) {
  return lower != "authorization" && lower != "cookie" && lower != "proxy-authorization";
}

// Fixed routes outside /admin/, and the label of requests no route takes.
constexpr const char* kFixedRoutes[] = {"/healthz", "/readyz", "/metrics", "/ingest/{source}",
                                        "/ingest/{source}/{token}"};
constexpr const char* kUnmatched = "(unmatched)";
// The scrape's queue counts stop here, and its statements stop after this long: a scrape's cost stays bounded
// however large a backlog grows.
constexpr long long kQueueCountCap = 100000;
constexpr int kScrapeStatementTimeoutMs = 2000;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

App::App(Config config, std::shared_ptr<spdlog::logger> log, AppOptions options)
    : config_(std::move(config)), log_(std::move(log)), options_(options) {}

App::~App() { FinishShutdown(); }

Status App::ReloadRules() {
  auto rules = LoadRuleDir(config_.rules_dir);
  Status secrets = rules.ok() ? CheckSourceSecrets(**rules, std::getenv) : rules.status();
  if (!secrets.ok()) {
    metrics_.rules_reloads.With({"failure"}).Inc();
    log_->error("rules reload refused, the previous rules stay in force: {}", secrets.ToString());
    return secrets;
  }
  rules_.Set(*rules);
  metrics_.rules_reloads.With({"success"}).Inc();
  metrics_.rules_info.SetOnly({(*rules)->version()}, 1);
  log_->info("rules loaded from {}: version {}, {} sources", config_.rules_dir, (*rules)->version(),
             (*rules)->sources().size());
  if (const std::string notice = SchemaNotice(config_.rules_dir); !notice.empty()) log_->warn("{}", notice);
  return Status::Ok();
}

Status App::Start(boost::asio::io_context& ioc) {
  if (Status s = ReloadRules(); !s.ok()) return s;
  if (options_.store_inbox) {
    auto admin = store::PgConn::Connect(config_.database);
    if (!admin.ok()) return admin.status();
    admin_ = std::move(*admin);
    if (config_.migrate_on_start) {
      auto m = store::Migrate(*admin_, config_.migrations_dir);
      if (!m.ok()) return m.status();
      for (const auto& v : m->applied) log_->info("migration applied: {}", v);
    }
    if (options_.run_workers && config_.workers > 0) {
      workers_ = std::make_unique<WorkerPool>(
          WorkerOptions{config_.database, static_cast<int>(config_.workers), static_cast<int>(config_.worker_batch),
                        static_cast<int>(config_.poll_interval_ms), ReconnectBackoff(config_)},
          rules_, log_, metrics_);
      if (Status s = workers_->Start(); !s.ok()) return s;
    }
    if (options_.run_workers && config_.watch_drop_folders) {
      drops_ = std::make_unique<DropWatcher>(config_.database, rules_, log_, metrics_, ReconnectBackoff(config_));
      if (Status s = drops_->Start(); !s.ok()) return s;
    }
    if (config_.max_inbox_backlog > 0) {
      backlog_ = std::make_unique<BacklogMonitor>(config_.database, config_.max_inbox_backlog, log_,
                                                  ReconnectBackoff(config_), metrics_);
      if (Status s = backlog_->Start(); !s.ok()) return s;
    }
    WorkerPool* w = workers_.get();
    auto committer = std::make_unique<GroupCommitter>(
        GroupCommitOptions{config_.database, static_cast<int>(config_.writer_connections),
                           static_cast<size_t>(config_.max_queue), static_cast<size_t>(config_.group_commit_max),
                           config_.max_commit_latency_ms, &overload_, ReconnectBackoff(config_), &metrics_},
        log_, [w] {
          if (w) w->Wake();
        });
    if (Status s = committer->Start(); !s.ok()) return s;
    committer_ = committer.get();
    sink_ = std::move(committer);
  } else {
    sink_ = std::make_unique<NullSink>();
  }
  AddRoutes();
  server_ = std::make_unique<HttpServer>(
      ioc, *this,
      HttpLimits{static_cast<uint64_t>(config_.max_body_bytes), static_cast<int>(config_.header_timeout_ms),
                 static_cast<int>(config_.read_timeout_ms), static_cast<int>(config_.write_timeout_ms)});
  auto port = server_->Listen(config_.ListenHost(), config_.ListenPort());
  if (!port.ok()) return port.status();
  port_ = *port;
  log_->info("canond listening on {}:{}", config_.ListenHost(), port_);
  if (config_.tokens.empty()) {
    log_->warn(
        "no API tokens configured ([[token]] or admin_token): the admin API answers only clients on "
        "loopback");
  } else {
    std::string names;
    for (const ApiToken& t : config_.tokens)
      names += (names.empty() ? "" : ", ") + t.name + " (" + RoleName(t.role) + ")";
    log_->info("admin API tokens: {}", names);
  }
  log_->info("GET /metrics {}",
             config_.metrics_token_sha256.empty() ? "needs no token" : "needs its bearer token");
  return Status::Ok();
}

void App::BeginShutdown() {
  if (server_) server_->Stop();
}

bool App::Drained() const { return in_flight_ == 0 && (!server_ || server_->open_connections() == 0); }

void App::FinishShutdown() {
  if (drops_) drops_->Stop();
  if (committer_) committer_->Stop();
  if (workers_) workers_->Stop();
  if (backlog_) backlog_->Stop();
}

std::string App::Wedged(std::chrono::milliseconds limit) const {
  std::string out;
  auto add = [&](const char* what, Heartbeats::Stuck s) {
    if (s.thread < 0) return;
    out += (out.empty() ? "" : "; ") + std::string(what) + " " + std::to_string(s.thread) + " busy for " +
           std::to_string(s.busy_for.count()) + " ms";
  };
  if (committer_) add("inbox writer", committer_->Stuck(limit));
  if (workers_) add("worker", workers_->Stuck(limit));
  return out;
}

std::vector<RouteInfo> ServiceRoutes() {
  std::vector<RouteInfo> out;
  for (auto [method, pattern] : {std::pair{http::verb::get, "/healthz"},
                                 {http::verb::get, "/readyz"},
                                 {http::verb::get, "/metrics"},
                                 {http::verb::post, "/ingest/{source}"},
                                 {http::verb::post, "/ingest/{source}/{token}"},
                                 {http::verb::get, "/ingest/{source}"}})
    out.push_back({method, pattern, true, Role::kViewer});
  return out;
}

// A route added here goes in ServiceRoutes() above too.
void App::Handle(Request&& req, const Peer& peer, Respond respond) {
  LogScope scope(LogContext::Request(std::string(req["X-Request-Id"])));  // set by the HTTP server: sent or made
  const size_t route = RouteOf(req);
  const auto start = std::chrono::steady_clock::now();
  Route(std::move(req), peer, [this, route, start, respond = std::move(respond)](Response res) {
    CountRequest(route, res.result_int(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    respond(std::move(res));
  });
}

void App::Refused(const Request& head, unsigned status) { CountRequest(RouteOf(head), status, std::nullopt); }

size_t App::RouteOf(const Request& req) const {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  std::string pattern = kUnmatched;
  constexpr std::string_view kIngest = "/ingest/";
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    pattern = std::string(path);
  } else if (path.substr(0, kIngest.size()) == kIngest) {
    pattern = path.find('/', kIngest.size()) == std::string_view::npos ? kFixedRoutes[3] : kFixedRoutes[4];
  } else if (const RouteInfo* r = path.substr(0, 7) == "/admin/" ? admin_routes_.Find(req) : nullptr) {
    pattern = r->pattern;
  }
  auto it = route_index_.find(pattern);
  return it != route_index_.end() ? it->second : route_index_.at(kUnmatched);
}

void App::CountRequest(size_t route, unsigned status, std::optional<double> seconds) {
  RouteMetrics& m = *route_metrics_[route];
  if (seconds) m.duration->Observe(*seconds);
  if (status < 100 || status > 599) status = 599;  // never happens: Beast writes only real codes
  std::atomic<Counter*>& slot = m.by_status[status - 100];
  Counter* c = slot.load(std::memory_order_acquire);
  if (!c) {
    c = &metrics_.http_requests.With({m.pattern, std::to_string(status)});
    slot.store(c, std::memory_order_release);
  }
  c->Inc();
}

void App::Route(Request&& req, const Peer& peer, Respond respond) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      return respond(JsonResponse(req, http::status::method_not_allowed, ErrorBody("method_not_allowed", "use GET")));
    return respond(JsonResponse(req, http::status::ok, "{\"status\":\"ok\"}"));
  }
  if (path == "/readyz") return respond(Ready(req));
  if (path == "/metrics") {
    if (!config_.metrics_token_sha256.empty()) {
      std::string_view bearer = BearerToken(req[http::field::authorization]);
      if (bearer.empty() || !SecretEquals(Sha256(bearer), config_.metrics_token_sha256)) {
        log_->warn("GET /metrics (request {}): 401, {}", req["X-Request-Id"],
                   bearer.empty() ? "no bearer token" : "wrong token");
        return respond(
            JsonResponse(req, http::status::unauthorized,
                         ErrorBody("unauthenticated", "/metrics needs Authorization: Bearer <token>")));
      }
    }
    // Source names are labels: shown to the metrics token's holder, or, with no token set, to loopback only.
    return respond(Metrics(req, !config_.metrics_token_sha256.empty() || peer.loopback));
  }
  if (path.substr(0, 7) == "/admin/" || path == "/admin")
    return Admin(std::move(req), peer, std::move(respond));
  constexpr std::string_view kIngest = "/ingest/";
  if (path.substr(0, kIngest.size()) == kIngest) {
    // /ingest/{source}[/{token}]: the token (auth = "url_token") is read in Ingest and never logged.
    std::string_view rest = path.substr(kIngest.size());
    std::string source(rest.substr(0, rest.find('/')));
    if (req.method() == http::verb::get) return Handshake(source, std::move(req), std::move(respond));
    if (req.method() != http::verb::post)
      return respond(JsonResponse(req, http::status::method_not_allowed,
                                  ErrorBody("method_not_allowed", "use POST to send records")));
    return Ingest(source, std::move(req), std::move(respond));
  }
  respond(JsonResponse(req, http::status::not_found, ErrorBody("not_found", "no such endpoint")));
}

void App::Admin(Request&& req, const Peer& peer, Respond respond) {
  const RouteInfo* route = admin_routes_.Find(req);
  const std::string rid(req["X-Request-Id"]);  // set by the HTTP server: sent (if safe) or made
  const std::string what =
      std::string(req.method_string()) + " " + (route ? route->pattern : "(no such route)");
  std::string name = "loopback";
  Role role = Role::kAdmin;
  if (!(route && route->is_public)) {
    if (config_.tokens.empty()) {
      if (!peer.loopback) {
        log_->warn("admin {} (request {}): 403, no API tokens are configured and the client is not on loopback", what,
                   rid);
        return respond(JsonResponse(
            req, http::status::forbidden,
            ErrorBody("forbidden", "no API tokens are configured: the admin API answers only on loopback")));
      }
    } else {
      std::string why;
      const ApiToken* token = Authenticate(config_.tokens, req[http::field::authorization], &why);
      if (!token) {
        log_->warn("admin {} (request {}): 401, {}", what, rid, why);
        return respond(
            JsonResponse(req, http::status::unauthorized,
                         ErrorBody("unauthenticated", "admin API needs Authorization: Bearer <token>")));
      }
      name = token->name;
      role = token->role;
    }
  }
  // Steward and admin requests that reach their handler are audited; a refusal (403 below) is logged, not audited.
  Respond handler_respond = respond;
  if (route && !route->is_public && route->role >= Role::kSteward && options_.store_inbox) {
    store::AuditEvent event{name,
                            RoleName(role),
                            std::string(req.method_string()),
                            route->pattern,
                            std::string(req.target().substr(0, req.target().find('?'))),
                            0,
                            std::string(req["X-Canon-Actor"]).substr(0, 200),
                            std::string(req["X-Request-Id"]).substr(0, 200)};
    handler_respond = [this, event = std::move(event), inner = respond](Response res) mutable {
      event.status = static_cast<int>(res.result_int());
      Audit(event);
      inner(std::move(res));
    };
  }
  switch (admin_routes_.Dispatch(std::move(req), handler_respond, role)) {
    case AdminRouter::Outcome::kHandled:
      return;
    case AdminRouter::Outcome::kForbidden:
      log_->warn("admin {} (request {}): 403, token '{}' has role {}, the route needs {}", what, rid, name, RoleName(role),
                 RoleName(route->role));
      return respond(JsonResponse(
          req, http::status::forbidden,
          ErrorBody("forbidden", std::string("this route needs the ") + RoleName(route->role) + " role")));
    case AdminRouter::Outcome::kNoRoute:
      break;
  }
  respond(JsonResponse(req, http::status::not_found, ErrorBody("not_found", "no such admin endpoint")));
}

void App::Audit(const store::AuditEvent& event) {
  std::lock_guard<std::mutex> lock(audit_mu_);
  Status s = audit_reconnect_.Ensure(audit_, config_.database);
  if (s.ok()) s = store::InsertAuditEvent(*audit_, event);
  if (!s.ok())
    log_->error("audit_event not written for {} {} (request {}) by token '{}' (status {}): {}", event.method,
                event.route, event.request_id, event.token_name, event.status, s.message());
}

std::string App::Secret(const SourceConfig& source, const char* option) const {
  std::string var = source.Option(option);
  if (var.empty()) return {};
  const char* v = std::getenv(var.c_str());
  return v ? v : "";
}

void App::Handshake(const std::string& source_name, Request&& req, Respond respond) {
  std::shared_ptr<const RuleSet> rules = rules_.Get();
  const SourceConfig* source = rules->FindSource(source_name);
  if (!source)
    return respond(JsonResponse(req, http::status::not_found,
                                ErrorBody("unknown_source", "no source named '" + source_name + "' in the rules")));
  const std::string kind = HandshakeKind(*source);
  if (kind.empty())
    return respond(JsonResponse(req, http::status::method_not_allowed,
                                ErrorBody("method_not_allowed", "use POST to send records")));
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  auto challenge = kind == "linkedin" ? AnswerLinkedInHandshake(query, Secret(*source, "secret_env"))
                                      : AnswerMetaHandshake(*source, query, Secret(*source, "verify_token_env"));
  if (!challenge.ok()) {
    Count(source_name, "handshake_refused");
    auto code = challenge.status().code() == Code::kUnauthenticated ? http::status::forbidden
                                                                     : http::status::bad_request;
    return respond(JsonResponse(req, code, ErrorBody("handshake_refused", challenge.status().message())));
  }
  Response res = JsonResponse(req, http::status::ok, *challenge);
  if (kind == "meta") res.set(http::field::content_type, "text/plain");  // Meta wants the bare challenge back
  respond(std::move(res));
}

void App::Ingest(const std::string& source_name, Request&& req, Respond respond) {
  std::shared_ptr<const RuleSet> rules = rules_.Get();
  const SourceConfig* source = rules->FindSource(source_name);
  if (!source) {
    Count("(unknown)", "unknown_source");  // not by name: arbitrary names must not grow the table
    return respond(JsonResponse(req, http::status::not_found,
                                ErrorBody("unknown_source", "no source named '" + source_name + "' in the rules")));
  }
  LogScope scope(LogContext::Source(source_name));
  if (source->kind == "csv") {
    Count(source_name, "not_a_webhook");
    return respond(JsonResponse(req, http::status::method_not_allowed,
                                ErrorBody("method_not_allowed", "source '" + source_name +
                                                                    "' is a CSV drop folder, not a webhook")));
  }
  std::string content_type(req[http::field::content_type]);
  std::vector<std::string> accepted = AcceptedMediaTypes(*source);
  std::string media = MediaType(content_type);
  if (!accepted.empty() && std::find(accepted.begin(), accepted.end(), media) == accepted.end()) {
    Count(source_name, "unsupported_media_type");
    std::string want;
    for (auto& a : accepted) want += (want.empty() ? "" : " or ") + a;
    return respond(JsonResponse(req, http::status::unsupported_media_type,
                                ErrorBody("unsupported_media_type", "source '" + source_name + "' takes " + want +
                                                                        ", not '" + media + "'")));
  }
  if (req.body().empty()) {
    Count(source_name, "empty_body");
    return respond(JsonResponse(req, http::status::bad_request, ErrorBody("empty_body", "the request body is empty")));
  }
  Payload payload;
  payload.body = req.body();
  payload.content_type = content_type;
  std::string headers = "{";
  for (const auto& f : req) {
    std::string name = Lower(std::string(f.name_string()));
    std::string value(f.value().data(), f.value().size());
    // Kept as text the inbox's jsonb takes: a header value that is not UTF-8 would fail the whole group's INSERT.
    if (KeepHeader(name))
      headers += (headers.size() > 1 ? "," : "") + store::JsonEscape(EscapeBytes(name)) + ":" +
                 store::JsonEscape(EscapeBytes(value));
    payload.headers[name] = std::move(value);
  }
  headers += "}";
  std::string_view target(req.target().data(), req.target().size());
  if (auto q = target.find('?'); q != std::string_view::npos) payload.query = std::string(target.substr(q + 1));
  std::string_view path = target.substr(0, target.find('?'));
  if (auto slash = path.find('/', std::string_view("/ingest/").size() + source_name.size());
      slash != std::string_view::npos)
    payload.url_token = std::string(path.substr(slash + 1));
  if (!payload.url_token.empty() && source->Option("auth") != "url_token") {
    Count("(unknown)", "unknown_source");  // a token for a source that takes none: no such endpoint
    return respond(JsonResponse(req, http::status::not_found, ErrorBody("not_found", "no such endpoint")));
  }

  // Authentication before a byte is stored: a forged payload is not kept.
  if (Status auth = VerifySignature(*source, payload, Secret(*source, "secret_env")); !auth.ok()) {
    Count(source_name, "unauthenticated");
    log_->warn("ingest {}: refused, {}", source_name, auth.message());
    return respond(JsonResponse(req, http::status::unauthorized, ErrorBody("unauthenticated", auth.message())));
  }

  store::InboxItem item;
  item.source = source_name;
  item.content_type = EscapeBytes(content_type);
  item.headers_json = std::move(headers);
  item.query = EscapeBytes(payload.query);
  item.delivery_key = DeliveryKey(*source, payload);
  item.restart_fetches = IsFetchKind(*source);
  // Shape check now, so the sender learns at once; the refused payload is still kept (dead_letter).
  Status shape;
  if (IsFetchKind(*source)) {
    shape = NotificationLeadIds(*source, payload.body).status();
  } else {
    // Poison text: refused here when no record of the payload is clean; else the worker dead-letters the poison
    // records at validation and writes the others.
    auto records = ParsePayload(*source, payload);
    shape = records.ok() ? CheckPayloadText(*records) : records.status();
  }
  if (!shape.ok()) {
    item.refused = true;
    item.refusal_stage = "intake";
    item.refusal_reason = shape.message();
    item.refusal_where = shape.where();
  }
  item.body = std::move(req.body());

  auto head = std::make_shared<Request>();
  head->version(req.version());
  head->keep_alive(req.keep_alive());
  // The workers (of every node) are behind: take no more until they catch up.
  if (backlog_ && backlog_->over()) {
    overload_.Count(Overload::kInboxBacklog, std::to_string(backlog_->pending()) + " pending inbox rows (max_inbox_backlog)");
    return respond(Unavailable(*head, source_name,
                               Status(Code::kUnavailable, "the inbox backlog is at its high-water mark; retry later",
                                      OverloadName(Overload::kInboxBacklog))));
  }
  ++in_flight_;
  Status s = sink_->Submit(std::move(item), [this, head, respond, shape, source_name,
                                          // shares the rule set's ownership: the source outlives the answer
                                          src = std::shared_ptr<const SourceConfig>(rules, source)](
                                             Result<store::InboxReceipt> r) {
    if (!r.ok()) {
      respond(Unavailable(*head, source_name, r.status()));
    } else if (!shape.ok()) {
      Count(source_name, "bad_payload");
      metrics_.dead_letters.With({"intake"}).Inc();
      std::string body = ErrorBody("bad_payload", shape.message(), shape.where());
      body.insert(body.size() - 1, ",\"id\":" + std::to_string(r->id));
      respond(JsonResponse(*head, http::status::bad_request, std::move(body)));
    } else {
      Count(source_name, "accepted");
      // A redelivery whose leads had failed is new work, not a duplicate of the failure.
      if (r->restarted > 0)
        log_->info("ingest {}: redelivery of inbox {} starts {} dead lead fetch(es) again", source_name, r->id,
                   r->restarted);
      IntakeReply reply = AcceptedReply(*src, r->id, r->duplicate && r->restarted == 0);
      respond(JsonResponse(*head, static_cast<http::status>(reply.status), std::move(reply.body)));
    }
    --in_flight_;
  });
  if (!s.ok()) {
    --in_flight_;
    respond(Unavailable(*head, source_name, s));
  }
}

Response App::Unavailable(const Request& head, const std::string& source, const Status& status) {
  Count(source, "unavailable");
  int retry_after = 1;
  for (Overload o : {Overload::kQueueFull, Overload::kCommitLatency, Overload::kInboxBacklog, Overload::kDatabase})
    if (status.where() == OverloadName(o)) retry_after = RetryAfterSeconds(o);
  Response res = JsonResponse(head, http::status::service_unavailable, ErrorBody("unavailable", status.message()));
  res.set(http::field::retry_after, std::to_string(retry_after));
  return res;
}

void App::AddRoutes() {
  admin_routes_.Add(http::verb::post, "/admin/rules/reload", Role::kAdmin,
                    [this](Request&& req, const PathParams&, Respond respond) {
                      Status s = ReloadRules();
                      if (!s.ok())
                        return respond(JsonResponse(req, http::status::unprocessable_entity,
                                                    ErrorBody("rules_invalid", s.message(), s.where())));
                      respond(JsonResponse(req, http::status::ok,
                                           "{\"status\":\"reloaded\",\"rules_version\":" +
                                               store::JsonEscape(rules_.Get()->version()) + "}"));
                    });
  admin_routes_.Add(
      http::verb::get, "/admin/rules", Role::kViewer,
      [this](Request&& req, const PathParams&, Respond respond) {
        respond(JsonResponse(req, http::status::ok,
                             "{\"rules_version\":" + store::JsonEscape(rules_.Get()->version()) + "}"));
      });
  admin_routes_.Add(http::verb::get, "/admin/routes", Role::kViewer,
                    [this](Request&& req, const PathParams&, Respond respond) {
                      std::string out = "{\"routes\":[";
                      for (const RouteInfo& r : admin_routes_.Routes()) {
                        if (out.back() != '[') out += ",";
                        out += "{\"method\":" + store::JsonEscape(std::string(http::to_string(r.method))) +
                               ",\"pattern\":" + store::JsonEscape(r.pattern) + ",\"role\":\"" +
                               (r.is_public ? "public" : RoleName(r.role)) + "\"}";
                      }
                      respond(JsonResponse(req, http::status::ok, out + "]}"));
                    });
  AddReportRoutes(*this, admin_routes_);
  AddQueueRoutes(*this, admin_routes_);
  AddImportRoutes(*this, admin_routes_);
  AddWebRoutes(*this, admin_routes_);
  AddEraseRoutes(*this, admin_routes_);

  std::vector<std::string> patterns(std::begin(kFixedRoutes), std::end(kFixedRoutes));
  for (const RouteInfo& r : admin_routes_.Routes()) patterns.push_back(r.pattern);
  patterns.push_back(kUnmatched);
  for (const std::string& p : patterns) {
    if (route_index_.count(p)) continue;  // one pattern, several methods
    auto m = std::make_unique<RouteMetrics>();
    m->pattern = p;
    m->duration = &metrics_.http_duration.With({p});
    route_index_[p] = route_metrics_.size();
    route_metrics_.push_back(std::move(m));
  }
}

store::PgConn* App::admin_conn() {
  if (!admin_ || !admin_reconnect_.Ensure(*admin_).ok()) return nullptr;
  return admin_.get();
}

Response App::Ready(const Request& req) {
  std::string problems;
  if (!rules_.Get()) problems += "rules not loaded; ";
  if (options_.store_inbox) {
    std::lock_guard<std::mutex> lock(admin_mu_);
    if (!admin_conn()) {
      problems += "database unreachable (" + std::to_string(admin_reconnect_.failures()) +
                  " failed reconnect attempts); ";
    } else {
      auto pending = store::PendingMigrations(*admin_, config_.migrations_dir);
      if (!pending.ok()) problems += "database check failed: " + pending.status().message() + "; ";
      else if (!pending->empty()) problems += std::to_string(pending->size()) + " migrations not applied; ";
    }
  }
  if (server_ && server_->stopping()) problems += "shutting down; ";
  if (!problems.empty())
    return JsonResponse(req, http::status::service_unavailable, ErrorBody("not_ready", problems));
  return JsonResponse(req, http::status::ok,
                      "{\"status\":\"ready\",\"rules_version\":" + store::JsonEscape(rules_.Get()->version()) + "}");
}

void App::Count(const std::string& source, const char* outcome) {
  (std::string_view(outcome) == "accepted" ? metrics_.intake_accepted : metrics_.intake_refused).With().Inc();
  metrics_.intake.With({source, outcome}).Inc();
}

void App::SampleGauges() {
  for (size_t i = 0; i < kOverloadReasons; ++i)
    metrics_.intake_overload.With({OverloadName(static_cast<Overload>(i))})
        .Mirror(static_cast<uint64_t>(overload_.Get(static_cast<Overload>(i))));
  metrics_.intake_commit_latency.With().Set(
      committer_ ? static_cast<double>(committer_->last_commit_latency_ms()) : 0);
  metrics_.inbox_backlog.With().Set(backlog_ ? static_cast<double>(backlog_->pending()) : 0);
  const HttpTimeouts t = server_ ? server_->timeouts() : HttpTimeouts{};
  metrics_.http_timeouts.With({"header"}).Mirror(static_cast<uint64_t>(t.header));
  metrics_.http_timeouts.With({"body"}).Mirror(static_cast<uint64_t>(t.body));
  metrics_.http_timeouts.With({"write"}).Mirror(static_cast<uint64_t>(t.write));
  metrics_.http_open_connections.With().Set(server_ ? static_cast<double>(server_->open_connections()) : 0);
  metrics_.intake_in_flight.With().Set(static_cast<double>(in_flight_.load()));
  const double queued = committer_ ? static_cast<double>(committer_->queued()) : 0;
  metrics_.intake_queued.With().Set(queued);
  metrics_.pg_waiting.With({"writer"}).Set(queued);
  metrics_.pg_connections.With({"writer"})
      .Set(committer_ ? static_cast<double>(config_.writer_connections) : 0);
  metrics_.pg_in_use.With({"writer"}).Set(committer_ ? committer_->busy() : 0);
  metrics_.pg_connections.With({"worker"}).Set(workers_ ? static_cast<double>(config_.workers) : 0);
  metrics_.pg_in_use.With({"worker"}).Set(workers_ ? workers_->busy() : 0);
  metrics_.pg_connections.With({"importer"}).Set(drops_ ? 1 : 0);
  metrics_.pg_in_use.With({"importer"}).Set(drops_ ? drops_->busy() : 0);
  metrics_.pg_connections.With({"admin"}).Set(admin_ ? 1 : 0);
  {
    std::lock_guard<std::mutex> lock(audit_mu_);
    metrics_.pg_connections.With({"audit"}).Set(audit_ ? 1 : 0);
  }
  if (!options_.store_inbox) return;
  std::lock_guard<std::mutex> lock(metrics_conn_mu_);
  auto read = [this]() -> Result<store::QueueStats> {
    if (Status s = metrics_reconnect_.Ensure(metrics_conn_, config_.database); !s.ok()) return s;
    return store::ReadQueueStats(*metrics_conn_, kQueueCountCap, kScrapeStatementTimeoutMs);
  };
  Result<store::QueueStats> q = read();
  metrics_.pg_connections.With({"metrics"}).Set(metrics_conn_ ? 1 : 0);
  metrics_.store_up.With().Set(q.ok() ? 1 : 0);
  if (!q.ok()) {
    log_->warn("GET /metrics: queue gauges not read: {}", q.status().message());
    return;
  }
  metrics_.inbox_pending.With().Set(static_cast<double>(q->inbox_pending));
  metrics_.inbox_oldest.With().Set(q->inbox_oldest_age_s);
  metrics_.review_queue.With({"pending"}).Set(static_cast<double>(q->review_pending));
  metrics_.review_queue.With({"deferred"}).Set(static_cast<double>(q->review_deferred));
  metrics_.review_oldest.With().Set(q->review_oldest_age_s);
}

Response App::Metrics(const Request& req, bool with_sources) {
  SampleGauges();
  Response res = JsonResponse(req, http::status::ok, metrics_.Write(with_sources));
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  return res;
}

}  // namespace canon::daemon

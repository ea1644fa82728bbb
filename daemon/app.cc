#include "daemon/app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "connectors/connector.h"
#include "connectors/hmac.h"
#include "connectors/rule_dir.h"
#include "connectors/secrets.h"
#include "daemon/routes.h"
#include "store/migrate.h"

namespace canon::daemon {
namespace {

std::string ErrorJson(const std::string& code, const std::string& message, const std::string& where = {}) {
  std::string out = "{\"error\":" + store::JsonEscape(code) + ",\"message\":" + store::JsonEscape(message);
  if (!where.empty()) out += ",\"where\":" + store::JsonEscape(where);
  return out + "}";
}

// Headers kept with the payload for the worker. Credentials are never stored.
bool KeepHeader(const std::string& lower) {
  return lower != "authorization" && lower != "cookie" && lower != "proxy-authorization";
}

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
    log_->error("rules reload refused, the previous rules stay in force: {}", secrets.ToString());
    return secrets;
  }
  rules_.Set(*rules);
  log_->info("rules loaded from {}: version {}, {} sources", config_.rules_dir, (*rules)->version(),
             (*rules)->sources().size());
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
                        static_cast<int>(config_.poll_interval_ms)},
          rules_, log_);
      if (Status s = workers_->Start(); !s.ok()) return s;
    }
    if (options_.run_workers && config_.watch_drop_folders) {
      drops_ = std::make_unique<DropWatcher>(config_.database, rules_, log_);
      if (Status s = drops_->Start(); !s.ok()) return s;
    }
    WorkerPool* w = workers_.get();
    auto committer = std::make_unique<GroupCommitter>(
        GroupCommitOptions{config_.database, static_cast<int>(config_.writer_connections),
                           static_cast<size_t>(config_.max_queue), static_cast<size_t>(config_.group_commit_max)},
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
      HttpLimits{static_cast<uint64_t>(config_.max_body_bytes), static_cast<int>(config_.read_timeout_ms)});
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
}

void App::Handle(Request&& req, const Peer& peer, Respond respond) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      return respond(JsonResponse(req, http::status::method_not_allowed, ErrorJson("method_not_allowed", "use GET")));
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
                         ErrorJson("unauthenticated", "/metrics needs Authorization: Bearer <token>")));
      }
    }
    return respond(Metrics(req));
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
                                  ErrorJson("method_not_allowed", "use POST to send records")));
    return Ingest(source, std::move(req), std::move(respond));
  }
  respond(JsonResponse(req, http::status::not_found, ErrorJson("not_found", "no such endpoint")));
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
            ErrorJson("forbidden", "no API tokens are configured: the admin API answers only on loopback")));
      }
    } else {
      std::string why;
      const ApiToken* token = Authenticate(config_.tokens, req[http::field::authorization], &why);
      if (!token) {
        log_->warn("admin {} (request {}): 401, {}", what, rid, why);
        return respond(
            JsonResponse(req, http::status::unauthorized,
                         ErrorJson("unauthenticated", "admin API needs Authorization: Bearer <token>")));
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
          ErrorJson("forbidden", std::string("this route needs the ") + RoleName(route->role) + " role")));
    case AdminRouter::Outcome::kNoRoute:
      break;
  }
  respond(JsonResponse(req, http::status::not_found, ErrorJson("not_found", "no such admin endpoint")));
}

void App::Audit(const store::AuditEvent& event) {
  std::lock_guard<std::mutex> lock(audit_mu_);
  Status s;
  if (!audit_) {
    auto conn = store::PgConn::Connect(config_.database);
    if (conn.ok())
      audit_ = std::move(*conn);
    else
      s = conn.status();
  }
  if (audit_) {
    s = audit_->EnsureConnected();
    if (s.ok()) s = store::InsertAuditEvent(*audit_, event);
  }
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
                                ErrorJson("unknown_source", "no source named '" + source_name + "' in the rules")));
  if (source->kind != "meta_leads")
    return respond(JsonResponse(req, http::status::method_not_allowed,
                                ErrorJson("method_not_allowed", "use POST to send records")));
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  auto challenge = AnswerMetaHandshake(*source, query, Secret(*source, "verify_token_env"));
  if (!challenge.ok()) {
    Count(source_name, "handshake_refused");
    auto code = challenge.status().code() == Code::kUnauthenticated ? http::status::forbidden
                                                                     : http::status::bad_request;
    return respond(JsonResponse(req, code, ErrorJson("handshake_refused", challenge.status().message())));
  }
  Response res = JsonResponse(req, http::status::ok, *challenge);
  res.set(http::field::content_type, "text/plain");
  respond(std::move(res));
}

void App::Ingest(const std::string& source_name, Request&& req, Respond respond) {
  std::shared_ptr<const RuleSet> rules = rules_.Get();
  const SourceConfig* source = rules->FindSource(source_name);
  if (!source) {
    Count("(unknown)", "unknown_source");  // not by name: arbitrary names must not grow the table
    return respond(JsonResponse(req, http::status::not_found,
                                ErrorJson("unknown_source", "no source named '" + source_name + "' in the rules")));
  }
  if (source->kind == "csv") {
    Count(source_name, "not_a_webhook");
    return respond(JsonResponse(req, http::status::method_not_allowed,
                                ErrorJson("method_not_allowed", "source '" + source_name +
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
                                ErrorJson("unsupported_media_type", "source '" + source_name + "' takes " + want +
                                                                        ", not '" + media + "'")));
  }
  if (req.body().empty()) {
    Count(source_name, "empty_body");
    return respond(JsonResponse(req, http::status::bad_request, ErrorJson("empty_body", "the request body is empty")));
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
    return respond(JsonResponse(req, http::status::not_found, ErrorJson("not_found", "no such endpoint")));
  }

  // Authentication before a byte is stored: a forged payload is not kept.
  if (Status auth = VerifySignature(*source, payload, Secret(*source, "secret_env")); !auth.ok()) {
    Count(source_name, "unauthenticated");
    log_->warn("ingest {}: refused, {}", source_name, auth.message());
    return respond(JsonResponse(req, http::status::unauthorized, ErrorJson("unauthenticated", auth.message())));
  }

  store::InboxItem item;
  item.source = source_name;
  item.content_type = EscapeBytes(content_type);
  item.headers_json = std::move(headers);
  item.query = EscapeBytes(payload.query);
  item.delivery_key = DeliveryKey(*source, payload);
  item.restart_fetches = source->kind == "meta_leads";
  // Shape check now, so the sender learns at once; the refused payload is still kept (dead_letter).
  Status shape = source->kind == "meta_leads" ? ParseMetaNotification(payload.body).status()
                                              : ParsePayload(*source, payload).status();
  if (!shape.ok()) {
    item.refused = true;
    item.refusal_stage = "intake";
    item.refusal_reason = shape.message();
    item.refusal_where = shape.where();
  }
  item.body = std::move(req.body());

  ++in_flight_;
  auto head = std::make_shared<Request>();
  head->version(req.version());
  head->keep_alive(req.keep_alive());
  Status s = sink_->Submit(std::move(item), [this, head, respond, shape, source_name,
                                          // shares the rule set's ownership: the source outlives the answer
                                          src = std::shared_ptr<const SourceConfig>(rules, source)](
                                             Result<store::InboxReceipt> r) {
    if (!r.ok()) {
      Count(source_name, "unavailable");
      Response res = JsonResponse(*head, http::status::service_unavailable,
                                  ErrorJson("unavailable", r.status().message()));
      res.set(http::field::retry_after, "1");
      respond(std::move(res));
    } else if (!shape.ok()) {
      Count(source_name, "bad_payload");
      std::string body = ErrorJson("bad_payload", shape.message(), shape.where());
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
    Count(source_name, "unavailable");
    Response res = JsonResponse(*head, http::status::service_unavailable, ErrorJson("unavailable", s.message()));
    res.set(http::field::retry_after, "1");
    respond(std::move(res));
  }
}

void App::AddRoutes() {
  admin_routes_.Add(http::verb::post, "/admin/rules/reload", Role::kAdmin,
                    [this](Request&& req, const PathParams&, Respond respond) {
                      Status s = ReloadRules();
                      if (!s.ok())
                        return respond(JsonResponse(req, http::status::unprocessable_entity,
                                                    ErrorJson("rules_invalid", s.message(), s.where())));
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
}

Response App::Ready(const Request& req) {
  std::string problems;
  if (!rules_.Get()) problems += "rules not loaded; ";
  if (options_.store_inbox) {
    std::lock_guard<std::mutex> lock(admin_mu_);
    if (!admin_ || !admin_->EnsureConnected().ok()) {
      problems += "database unreachable; ";
    } else {
      auto pending = store::PendingMigrations(*admin_, config_.migrations_dir);
      if (!pending.ok()) problems += "database check failed: " + pending.status().message() + "; ";
      else if (!pending->empty()) problems += std::to_string(pending->size()) + " migrations not applied; ";
    }
  }
  if (server_ && server_->stopping()) problems += "shutting down; ";
  if (!problems.empty())
    return JsonResponse(req, http::status::service_unavailable, ErrorJson("not_ready", problems));
  return JsonResponse(req, http::status::ok,
                      "{\"status\":\"ready\",\"rules_version\":" + store::JsonEscape(rules_.Get()->version()) + "}");
}

void App::Count(const std::string& source, const char* outcome) {
  if (std::string_view(outcome) == "accepted") ++accepted_;
  else ++refused_;
  std::lock_guard<std::mutex> lock(counts_mu_);
  ++counts_[{source, outcome}];
}

Response App::Metrics(const Request& req) {
  std::string body;
  {
    std::lock_guard<std::mutex> lock(counts_mu_);
    for (const auto& [key, n] : counts_)
      body += "canon_intake_total{source=\"" + key.first + "\",outcome=\"" + key.second + "\"} " +
              std::to_string(n) + "\n";
  }
  body += "canon_intake_accepted_total " + std::to_string(accepted_.load()) + "\n";
  body += "canon_intake_refused_total " + std::to_string(refused_.load()) + "\n";
  body += "canon_intake_in_flight " + std::to_string(in_flight_.load()) + "\n";
  if (committer_) body += "canon_intake_queued " + std::to_string(committer_->queued()) + "\n";
  if (workers_) {
    body += "canon_worker_processed_total " + std::to_string(workers_->processed()) + "\n";
    body += "canon_worker_failed_total " + std::to_string(workers_->failed()) + "\n";
    body += "canon_match_over_common_keys_total " + std::to_string(workers_->over_common_keys()) + "\n";
    body += "canon_worker_suppressed_total " + std::to_string(workers_->suppressed()) + "\n";
    body += "canon_fetch_leads_total " + std::to_string(workers_->fetched()) + "\n";
    body += "canon_fetch_failures_total " + std::to_string(workers_->fetch_failures()) + "\n";
    body += "canon_fetch_dead_letters_total " + std::to_string(workers_->fetch_dead()) + "\n";
  }
  Response res = JsonResponse(req, http::status::ok, std::move(body));
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  return res;
}

}  // namespace canon::daemon

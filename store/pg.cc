#include "store/pg.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "hygiene/pii_mask.h"

namespace canon::store {

namespace {
// Server NOTICEs ("relation already exists, skipping") are not errors; keep them off stderr.
void IgnoreNotice(void*, const char*) {}
}  // namespace

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& conninfo) {
  // Every session runs its prepared statements with their generic plan (plan_cache_mode), added to the caller's
  // own server options. The record writer's statements take arrays whose length changes every batch, so the
  // planner's default kept making a custom plan for each call: in a match probe, planning was about a quarter of
  // the server's CPU (perf) and the probe's median fell from 3.3 to 2.3 ms without it (bench/match_latency, 10k).
  std::string options = "-c plan_cache_mode=force_generic_plan";
  // A node cut off from the network mid-transaction must not hold its inbox rows' locks for hours: the server
  // probes an idle client socket after 30 s (every 10 s, 3 times) and ends a session idle inside a transaction
  // after a minute, so the rows go back to the queue and other nodes finish them; the client probes the server
  // the same way, so a worker waiting on a dead server fails and reconnects instead of hanging. A session caught
  // sending a result to a client that went away (a large result fills the socket, and the client no longer
  // acknowledges) is neither idle nor probed: the server gives up on it after a minute of unacknowledged data
  // (tcp_user_timeout) instead of TCP's retries (about 15 minutes), which held its rows' locks. The caller's own
  // conninfo and options win (they come after these). A connection attempt gives up after 10 s (connect_timeout):
  // a node cut off from the database's network would otherwise wait minutes for TCP to give up on each attempt,
  // and its reconnect backoff (daemon/reconnect.h) could not space anything.
  std::string server_defaults =
      "-c idle_in_transaction_session_timeout=60000 -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 "
      "-c tcp_keepalives_count=3 -c tcp_user_timeout=60000";
  std::vector<std::pair<const char*, const char*>> client_defaults = {
      {"keepalives", "1"},         {"keepalives_idle", "30"},    {"keepalives_interval", "10"},
      {"keepalives_count", "3"},   {"connect_timeout", "10"}};
  char* err = nullptr;
  if (PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &err)) {
    for (PQconninfoOption* o = parsed; o->keyword; ++o) {
      if (!o->val || !*o->val) continue;
      std::string_view key(o->keyword);
      if (key == "options") server_defaults += std::string(" ") + o->val;
      std::erase_if(client_defaults, [&](const auto& kv) { return key == kv.first; });
    }
    PQconninfoFree(parsed);
  }
  options = server_defaults + " " + options;
  if (err) PQfreemem(err);  // an unparsable conninfo: PQconnectdbParams reports it below
  std::vector<const char*> keys = {"dbname", "options"};
  std::vector<const char*> values = {conninfo.c_str(), options.c_str()};
  for (const auto& [k, v] : client_defaults) {
    keys.push_back(k);
    values.push_back(v);
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (PQstatus(c) == CONNECTION_OK) PQsetNoticeProcessor(c, IgnoreNotice, nullptr);
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::Unavailable("cannot connect to PostgreSQL: " + msg);
  }
  return std::unique_ptr<PgConn>(new PgConn(c, conninfo));
}

PgConn::~PgConn() { PQfinish(conn_); }

bool PgConn::Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

int PgConn::BackendPid() const { return PQbackendPID(conn_); }

Status PgConn::EnsureConnected() {
  if (Healthy()) return Status::Ok();
  PQreset(conn_);
  prepared_.clear();  // a new session has none of the old one's prepared statements
  writer_state_.reset();
  if (Healthy()) return Status::Ok();
  // libpq's reason (refused, timeout expired, the server shutting down): host and port, never row data.
  std::string why = PQerrorMessage(conn_);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return Status::Unavailable("PostgreSQL connection lost" + (why.empty() ? "" : ": " + why));
}

namespace {
// A server error as a Status that carries no row values: SQLSTATE (in `where`, as before) and the names the
// server reports in its fields (schema, table, column, data type, constraint), with the primary message made
// safe. DETAIL ("Key (email)=(ann@x.com) already exists", "Failing row contains (...)"), CONTEXT ("COPY t, line
// 3: ..."), HINT and the query text are dropped: they quote the data. The primary message is kept, except:
//   - class P0 (RAISE in a function or trigger): its text is whatever the function chose, values included;
//   - a quoted segment ("...") that is not one of the reported names becomes "…", and for data exceptions
//     (class 22: `invalid input syntax for type bigint: "ann@x.com"`) everything after the first ": " goes;
//   - class 42 (syntax, undefined object, privileges) quotes our own statement's names, never values: kept.
// MaskPii runs over the result as a last net.
std::string SafeServerMessage(const PGresult* r) {
  auto field = [r](int code) -> std::string {
    const char* v = PQresultErrorField(r, code);
    return v ? v : "";
  };
  const std::string state = field(PG_DIAG_SQLSTATE);
  const std::string klass = state.substr(0, 2);
  std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
  std::vector<std::pair<const char*, std::string>> names = {{"schema", field(PG_DIAG_SCHEMA_NAME)},
                                                            {"table", field(PG_DIAG_TABLE_NAME)},
                                                            {"column", field(PG_DIAG_COLUMN_NAME)},
                                                            {"type", field(PG_DIAG_DATATYPE_NAME)},
                                                            {"constraint", field(PG_DIAG_CONSTRAINT_NAME)}};
  if (klass == "P0") {
    primary = "an error raised by a database function or trigger";
  } else if (klass != "42") {
    if (klass == "22") {
      if (auto colon = primary.find(": "); colon != std::string::npos) primary.resize(colon);
    }
    std::string safe;
    size_t i = 0;
    while (i < primary.size()) {
      size_t open = primary.find('"', i);
      size_t close = open == std::string::npos ? open : primary.find('"', open + 1);
      if (close == std::string::npos) {
        safe += primary.substr(i);
        break;
      }
      std::string quoted = primary.substr(open + 1, close - open - 1);
      bool known = false;
      for (const auto& [label, name] : names) known = known || (!name.empty() && name == quoted);
      safe += primary.substr(i, open - i) + "\"" + (known ? quoted : "…") + "\"";
      i = close + 1;
    }
    primary = std::move(safe);
  }
  std::string out = primary.empty() ? "database error" : primary;
  std::string named;
  for (const auto& [label, name] : names)
    if (!name.empty()) named += (named.empty() ? "" : ", ") + std::string(label) + " " + name;
  if (!named.empty()) out += " (" + named + ")";
  return MaskPii(out);
}

Status ResultStatus(PGconn* conn, PGresult* r) {
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg;
  if (state) {
    msg = SafeServerMessage(r);
  } else {
    // No server error fields: a client-side failure (connection lost, out of memory). libpq's text then names
    // the failure; its first line only, masked, in case it repeats a server error it holds.
    msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    msg = MaskPii(msg.substr(0, msg.find('\n')));
    while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  }
  Code code = PQstatus(conn) == CONNECTION_OK ? Code::kInternal : Code::kUnavailable;
  return Status(code, msg, state ? std::string("sqlstate ") + state : std::string());
}

// A prepared statement whose result columns a schema change altered fails with "cached plan must not change
// result type" (SQLSTATE 0A000).
bool StalePlan(const Status& s) { return s.where() == "sqlstate 0A000"; }

// libpq's view of a parameter list. Text parameters must be NUL-terminated for libpq; the copies live here.
struct WireParams {
  explicit WireParams(const std::vector<Param>& params)
      : values(params.size()), lengths(params.size()), formats(params.size()), copies(params.size()) {
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].null()) continue;
      std::string_view v = params[i].data();
      if (params[i].binary()) {
        values[i] = v.data();
        lengths[i] = static_cast<int>(v.size());
        formats[i] = 1;
      } else if (params[i].terminated()) {
        values[i] = v.data();
      } else {
        copies[i] = std::string(v);
        values[i] = copies[i].c_str();
      }
    }
  }
  int count() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<std::string> copies;
};

}  // namespace

std::string PgConn::PreparedName(const std::string& sql, size_t param_count) {
  auto now = std::chrono::steady_clock::now();
  unsigned long replan_at = Prepared{}.replan_at;
  if (auto it = prepared_.find(sql); it != prepared_.end()) {
    Prepared& p = it->second;
    if (++p.runs < p.replan_at && now - p.at < kReplanAfter) return p.name;
    replan_at = std::min(p.replan_at * 2, kReplanEvery);
    DropPrepared(sql);
  }
  if (prepared_.size() >= kMaxPrepared) return "";
  std::string name = "canon_" + std::to_string(++prepared_count_);  // never reused, even after a DEALLOCATE
  PgResult r(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(param_count), nullptr));
  if (!ResultStatus(conn_, r.get()).ok()) return "";
  prepared_.emplace(sql, Prepared{name, 0, replan_at, now});
  return name;
}

void PgConn::DropPrepared(const std::string& sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) return;
  PQclear(PQexec(conn_, ("DEALLOCATE " + it->second.name).c_str()));
  prepared_.erase(it);
}

Result<PgResult> PgConn::Exec(const std::string& sql, const std::vector<Param>& params) {
  WireParams w(params);
  const std::string name = PreparedName(sql, params.size());
  PgResult r(name.empty() ? PQexecParams(conn_, sql.c_str(), w.count(), nullptr, w.values.data(), w.lengths.data(),
                                         w.formats.data(), 0)
                          : PQexecPrepared(conn_, name.c_str(), w.count(), w.values.data(), w.lengths.data(),
                                           w.formats.data(), 0));
  Status s = ResultStatus(conn_, r.get());
  if (!s.ok()) {
    if (!name.empty() && StalePlan(s)) DropPrepared(sql);
    return s;
  }
  return r;
}

Result<std::vector<PgResult>> PgConn::ExecPipeline(const std::vector<Statement>& statements) {
  std::vector<PgResult> out;
  if (statements.empty()) return out;
  if (statements.size() == 1) {
    auto r = Exec(statements[0].sql, statements[0].params);
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
    return out;
  }
  // Statements are prepared (the first time) before the pipeline starts: one round trip each, once.
  std::vector<std::string> names;
  for (const auto& st : statements) names.push_back(PreparedName(st.sql, st.params.size()));
  if (PQenterPipelineMode(conn_) != 1) return Status::Internal("cannot enter pipeline mode");
  Status first_error;
  std::vector<size_t> stale;
  size_t sent = 0;
  for (const auto& st : statements) {
    WireParams w(st.params);
    const std::string& name = names[sent];
    if ((name.empty() ? PQsendQueryParams(conn_, st.sql.c_str(), w.count(), nullptr, w.values.data(),
                                          w.lengths.data(), w.formats.data(), 0)
                      : PQsendQueryPrepared(conn_, name.c_str(), w.count(), w.values.data(), w.lengths.data(),
                                            w.formats.data(), 0)) != 1) {
      first_error = ResultStatus(conn_, nullptr);
      break;
    }
    ++sent;
  }
  if (PQpipelineSync(conn_) != 1 && first_error.ok()) first_error = ResultStatus(conn_, nullptr);
  // Every sent statement yields its result then NULL; after an error the rest come as PGRES_PIPELINE_ABORTED.
  // The sync point ends the pipeline; all of it is read, whatever failed, so the connection stays usable.
  for (size_t i = 0; i < sent; ++i) {
    PgResult r(PQgetResult(conn_));
    if (!r.get()) {
      if (first_error.ok()) first_error = ResultStatus(conn_, nullptr);
      break;
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    if (!first_error.ok()) continue;
    if (PQresultStatus(r.get()) == PGRES_PIPELINE_ABORTED) {
      first_error = Status::Internal("pipeline aborted");
      continue;
    }
    Status s = ResultStatus(conn_, r.get());
    if (!s.ok()) {
      first_error = s;
      if (!names[i].empty() && StalePlan(s)) stale.push_back(i);
    } else {
      out.push_back(std::move(r));
    }
  }
  // The sync point comes after the NULLs that close the statements; bounded, so a broken connection cannot spin.
  for (size_t spins = 0; spins < 2 * statements.size() + 8; ++spins) {
    PGresult* r = PQgetResult(conn_);
    if (!r) {
      if (PQstatus(conn_) != CONNECTION_OK) break;
      continue;
    }
    bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync) break;
  }
  PQexitPipelineMode(conn_);
  for (size_t i : stale) DropPrepared(statements[i].sql);
  if (!first_error.ok()) return first_error;
  return out;
}

Status PgConn::ExecScript(const std::string& sql) {
  PgResult r(PQexec(conn_, sql.c_str()));
  return ResultStatus(conn_, r.get());
}

Tx::~Tx() {
  if (open_) c_.Exec("ROLLBACK");
}

Status Tx::Begin() {
  auto r = c_.Exec("BEGIN");
  if (!r.ok()) return r.status();
  open_ = true;
  return Status::Ok();
}

Status Tx::BeginAsyncCommit() {
  auto r = c_.ExecPipeline({{"BEGIN", {}}, {"SET LOCAL synchronous_commit = off", {}}});
  if (!r.ok()) {
    c_.Exec("ROLLBACK");  // BEGIN may have run
    return r.status();
  }
  open_ = true;
  return Status::Ok();
}

Status Tx::Commit() {
  auto r = c_.Exec("COMMIT");
  open_ = false;
  return r.ok() ? Status::Ok() : r.status();
}

namespace {

// One element of a text[] literal, quoted: runs without '"' or '\\' are appended whole.
void AppendArrayElement(std::string* out, std::string_view v) {
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '"' || v[i] == '\\') {
      out->append(v.data() + start, i - start);
      out->push_back('\\');
      start = i;  // the character itself goes out with the next run
    }
  }
  out->append(v.data() + start, v.size() - start);
  out->push_back('"');
}

}  // namespace

std::string TextArray(const std::vector<std::string>& values) {
  size_t size = 2;
  for (const auto& v : values) size += v.size() + 3;
  std::string out;
  out.reserve(size + size / 8);
  out.push_back('{');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    AppendArrayElement(&out, values[i]);
  }
  out.push_back('}');
  return out;
}

std::string TextArray(const std::vector<std::optional<std::string>>& values) {
  size_t size = 2;
  for (const auto& v : values) size += (v ? v->size() : 1) + 3;
  std::string out;
  out.reserve(size + size / 8);
  out.push_back('{');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    if (!values[i]) out += "NULL";
    else AppendArrayElement(&out, *values[i]);
  }
  out.push_back('}');
  return out;
}

namespace {

// array_send's layout: ndim, has-nulls flag, element type OID, then per dimension its length and lower bound (1),
// then per element a length (-1: NULL) and the element's binary form; all integers big-endian.
constexpr uint32_t kTextOid = 25, kInt8Oid = 20, kBoolOid = 16, kByteaOid = 17;

void PutU32(std::string* out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out->append(b, 4);
}

void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v >> 32));
  PutU32(out, static_cast<uint32_t>(v));
}

std::string ArrayHeader(size_t n, bool has_nulls, uint32_t oid, size_t payload) {
  std::string out;
  out.reserve(20 + payload);
  PutU32(&out, n ? 1 : 0);
  PutU32(&out, has_nulls ? 1 : 0);
  PutU32(&out, oid);
  if (n) {
    PutU32(&out, static_cast<uint32_t>(n));
    PutU32(&out, 1);
  }
  return out;
}

// An array of byte strings (std::string or std::string_view, no NULLs) whose elements' binary form is their bytes:
// text[] or bytea[] by `oid`.
template <typename Bytes>
Param ByteStringArray(const std::vector<Bytes>& values, uint32_t oid) {
  size_t payload = 0;
  for (const auto& v : values) payload += 4 + v.size();
  std::string out = ArrayHeader(values.size(), false, oid, payload);
  for (const auto& v : values) {
    PutU32(&out, static_cast<uint32_t>(v.size()));
    out += v;
  }
  return Param::Binary(std::move(out));
}

// text[] of optional values (std::optional<std::string> or <std::string_view>): an empty one is a NULL element.
template <typename Opt>
Param OptionalTextArray(const std::vector<Opt>& values) {
  size_t payload = 0;
  bool nulls = false;
  for (const auto& v : values) {
    payload += 4 + (v ? v->size() : 0);
    nulls = nulls || !v;
  }
  std::string out = ArrayHeader(values.size(), nulls, kTextOid, payload);
  for (const auto& v : values) {
    if (!v) {
      PutU32(&out, 0xFFFFFFFFu);
      continue;
    }
    PutU32(&out, static_cast<uint32_t>(v->size()));
    out += *v;
  }
  return Param::Binary(std::move(out));
}

}  // namespace

Param TextArrayParam(const std::vector<std::string>& values) { return ByteStringArray(values, kTextOid); }

Param TextArrayParam(const std::vector<std::optional<std::string>>& values) { return OptionalTextArray(values); }

Param TextViewArrayParam(const std::vector<std::optional<std::string_view>>& values) {
  return OptionalTextArray(values);
}

Param ByteaArrayParam(const std::vector<std::string_view>& values) { return ByteStringArray(values, kByteaOid); }

Param IntArrayParam(const std::vector<long long>& values) {
  std::string out = ArrayHeader(values.size(), false, kInt8Oid, values.size() * 12);
  for (long long v : values) {
    PutU32(&out, 8);
    PutU64(&out, static_cast<uint64_t>(v));
  }
  return Param::Binary(std::move(out));
}

Param BoolArrayParam(const std::vector<bool>& values) {
  std::string out = ArrayHeader(values.size(), false, kBoolOid, values.size() * 5);
  for (bool v : values) {
    PutU32(&out, 1);
    out.push_back(v ? 1 : 0);
  }
  return Param::Binary(std::move(out));
}

std::string IntArray(const std::vector<long long>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(values[i]);
  }
  out.push_back('}');
  return out;
}

std::vector<long long> ParseIntArray(std::string_view text) {
  std::vector<long long> out;
  long long v = 0;
  bool in = false, neg = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      in = true;
    } else if (c == '-') {
      neg = true;
    } else {
      if (in) out.push_back(neg ? -v : v);
      v = 0;
      in = neg = false;
    }
  }
  if (in) out.push_back(neg ? -v : v);
  return out;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default: {
        static const char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(&out, s);
  return out;
}

}  // namespace canon::store

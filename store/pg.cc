#include "store/pg.h"

#include <cstdio>

namespace canon::store {

namespace {
// Server NOTICEs ("relation already exists, skipping") are not errors; keep them off stderr.
void IgnoreNotice(void*, const char*) {}
}  // namespace

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
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

Status PgConn::EnsureConnected() {
  if (Healthy()) return Status::Ok();
  PQreset(conn_);
  if (Healthy()) return Status::Ok();
  return Status::Unavailable("PostgreSQL connection lost");
}

namespace {
Status ResultStatus(PGconn* conn, PGresult* r) {
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  Code code = PQstatus(conn) == CONNECTION_OK ? Code::kInternal : Code::kUnavailable;
  return Status(code, msg, state ? std::string("sqlstate ") + state : std::string());
}
}  // namespace

Result<PgResult> PgConn::Exec(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  // Text parameters must be NUL-terminated for libpq; keep copies alive for the call.
  std::vector<std::string> copies(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].null()) {
      values[i] = nullptr;
      continue;
    }
    std::string_view v = params[i].data();
    if (params[i].binary()) {
      values[i] = v.data();
      lengths[i] = static_cast<int>(v.size());
      formats[i] = 1;
    } else {
      copies[i] = std::string(v);
      values[i] = copies[i].c_str();
    }
  }
  PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                          lengths.data(), formats.data(), 0));
  Status s = ResultStatus(conn_, r.get());
  if (!s.ok()) return s;
  return r;
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

Status Tx::Commit() {
  auto r = c_.Exec("COMMIT");
  open_ = false;
  return r.ok() ? Status::Ok() : r.status();
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string TextArray(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out.push_back('"');
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
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

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace canon::store

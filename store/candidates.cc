#include "store/candidates.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace canon::store {

namespace {

// SHA-256 fetched once per process, a digest context per thread: OpenSSL 3's one-shot SHA256() looks the algorithm
// up in its provider tables on every call (libcrypto was 3.9% of canond's CPU in bench_pipeline, ~4 hashes per key
// per batch).
struct Sha256 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ~Sha256() { EVP_MD_free(md); }
};

struct Sha256Ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Sha256Ctx() { EVP_MD_CTX_free(ctx); }
};

long long KeyHashUncached(std::string_view key) {
  static const Sha256 sha;
  thread_local Sha256Ctx local;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!sha.md || !local.ctx || !EVP_DigestInit_ex(local.ctx, sha.md, nullptr) ||
      !EVP_DigestUpdate(local.ctx, key.data(), key.size()) || !EVP_DigestFinal_ex(local.ctx, md, &len) ||
      len != SHA256_DIGEST_LENGTH)
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), md);  // the same digest, slower
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | md[i];
  return static_cast<long long>(h);  // two's complement, as PostgreSQL's bit(64)::bigint reads it
}

// Hashes per thread by key text: a key held by many records (a common name's keys) is hashed once. The record
// writer hashes each key once, in PrepareWrite (WritePrep::key_hashes), and passes the hashes on; it had looked
// each key up here about four times a batch (the holders' lookup and its reading, the key locks, the new keys'
// rows). Emptied when full, so it holds at most kKeyHashCacheSize keys (about 3 MB).
constexpr size_t kKeyHashCacheSize = 32768;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

long long KeyHash(std::string_view key) {
  thread_local std::unordered_map<std::string, long long, StringHash, std::equal_to<>> cache;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  if (cache.size() >= kKeyHashCacheSize) cache.clear();
  long long h = KeyHashUncached(key);
  cache.emplace(key, h);
  return h;
}

std::vector<long long> KeyHashes(const std::vector<std::string>& keys) {
  std::vector<long long> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(KeyHash(k));
  return out;
}

std::string MemberCopiesDifferingSql() {
  // The JSON sections by value: the writer's batch copies them as it sent them, which is the same JSON as the
  // record's, not the same text as PostgreSQL renders it.
  return "SELECT count(*) FROM entity_member e JOIN source_record s ON s.id = e.source_record_id WHERE "
         "(e.source, e.fingerprint, e.is_test, e.received_at, e.fields::jsonb, e.keys::jsonb, e.flags::jsonb) "
         "IS DISTINCT FROM (s.source, s.fingerprint, s.is_test, s.received_at, "
         "coalesce(s.normalized -> 'fields', '{}'), coalesce(s.normalized -> 'keys', '{}'), "
         "coalesce(s.normalized -> 'flags', '[]'))";
}

Statement KeyHoldersStatement(const std::vector<long long>& key_hashes, const std::vector<long long>& limits) {
  // The primary key (key_hash, contact_id) gives each key's holders in id order; the LIMIT keeps a key held by a
  // million entities cheap. One row per holder (a key nobody holds gives none): no array is built and printed per
  // key, and most keys of new people are held by nobody.
  // In hash order: each descent then starts near where the last one ended, in pages just read (3.66 against 3.90 us
  // a key, psql, 460,000 keys in batches of 1,150, half held by nobody). The rows are read back by hash.
  std::vector<std::pair<long long, long long>> by_hash;
  by_hash.reserve(key_hashes.size());
  for (size_t i = 0; i < key_hashes.size(); ++i) by_hash.emplace_back(key_hashes[i], limits[i]);
  std::sort(by_hash.begin(), by_hash.end());
  std::vector<long long> hashes, lims;
  hashes.reserve(by_hash.size());
  lims.reserve(by_hash.size());
  for (const auto& [h, lim] : by_hash) {
    hashes.push_back(h);
    lims.push_back(lim);
  }
  return {"SELECT u.k, m.contact_id FROM unnest($1::bigint[], $2::bigint[]) AS u(k, lim), "
          "LATERAL (SELECT contact_id FROM match_key WHERE key_hash = u.k ORDER BY contact_id LIMIT u.lim) m",
          {IntArrayParam(hashes), IntArrayParam(lims)}};
}

std::vector<std::vector<long long>> ParseKeyHolders(const PgResult& r, const std::vector<long long>& hashes) {
  // Each hash back to its index (the statement sent them in hash order; the rows are not assumed to follow it).
  std::vector<std::pair<long long, size_t>> at;
  at.reserve(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) at.emplace_back(hashes[i], i);
  std::sort(at.begin(), at.end());
  std::vector<std::vector<long long>> out(hashes.size());
  for (int i = 0; i < r.rows(); ++i) {
    const long long h = r.Int(i, 0);
    auto it = std::lower_bound(at.begin(), at.end(), std::make_pair(h, size_t{0}));
    for (; it != at.end() && it->first == h; ++it) out[it->second].push_back(r.Int(i, 1));
  }
  for (auto& ids : out) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  return out;
}

WriterState& WriterState::For(PgConn& conn) {
  std::shared_ptr<void>& state = conn.writer_state();
  if (!state) state = std::make_shared<WriterState>();
  return *static_cast<WriterState*>(state.get());
}

void OverCommonMemo::Note(long long key_hash, size_t held, Clock::time_point now) {
  if (seen_.size() >= kMaxKeys && !seen_.count(key_hash)) seen_.clear();
  seen_[key_hash] = Seen{held, now};
}

bool OverCommonMemo::Over(long long key_hash, size_t cap, Clock::time_point now) const {
  auto it = seen_.find(key_hash);
  return it != seen_.end() && it->second.held > cap && now - it->second.at < kTtl;
}

namespace {

// One JSON text of a member row, parsed in place: copied into a buffer the cell keeps (simdjson reads past the
// end), its strings valid in the cell's parser until its next text.
class JsonCell {
 public:
  simdjson::ondemand::document* Parse(std::string_view text) {
    buf_.assign(text);
    buf_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    if (parser_.iterate(simdjson::padded_string_view(buf_.data(), text.size(), buf_.size())).get(doc_)) return nullptr;
    return &doc_;
  }

 private:
  std::string buf_;
  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document doc_;
};

// Each entry of a flat JSON object of strings (normalized "fields" / "keys", which the writer builds), as
// visit(key, value).
template <class Visit>
Status ForEachObjectString(JsonCell& cell, std::string_view text, Visit visit) {
  simdjson::ondemand::document* doc = cell.Parse(text);
  if (!doc) return Status::Internal("stored normalized JSON does not parse");
  simdjson::ondemand::object obj;
  if (doc->get_object().get(obj)) return Status::Internal("stored normalized JSON is not an object");
  for (auto field : obj) {
    std::string_view key, value;
    if (field.unescaped_key().get(key) || field.value().get_string().get(value))
      return Status::Internal("stored normalized JSON holds a non-string value");
    visit(key, value);
  }
  return Status::Ok();
}

// Each string of a JSON array (normalized "flags"), as visit(value).
template <class Visit>
Status ForEachArrayString(JsonCell& cell, std::string_view text, Visit visit) {
  simdjson::ondemand::document* doc = cell.Parse(text);
  if (!doc) return Status::Internal("stored normalized flags do not parse");
  simdjson::ondemand::array arr;
  if (doc->get_array().get(arr)) return Status::Internal("stored normalized flags are not an array");
  for (auto el : arr) {
    std::string_view value;
    if (el.get_string().get(value)) return Status::Internal("stored normalized flags hold a non-string value");
    visit(value);
  }
  return Status::Ok();
}

// A member row's first four columns (contact, record id, source, fingerprint) and its is_test column.
void ReadHead(const PgResult& r, int row, int is_test_col, MemberHead* m) {
  m->contact_id = r.Int(row, 0);
  m->id = r.Int(row, 1);
  m->source = r.Get(row, 2);
  m->fingerprint = r.Get(row, 3);
  m->is_test = r.Get(row, is_test_col) == "t";
}

// Members of `contacts`, newest `newest_per_contact` of each (0: all), not of `exclude_source`, by contact then
// record id. Columns: contact id, record id, source, fingerprint, [the record's received_at as epoch seconds, when
// `received_at`,] is_test, then the normalized fields, keys and flags as JSON text.
Statement MembersQuery(bool received_at, const std::vector<long long>& contacts, int newest_per_contact,
                       const std::string& exclude_source) {
  // From entity_member alone: each member row carries its record's match form (kMemberFormColumns).
  return {std::string("SELECT e.contact_id, e.source_record_id, e.source, e.fingerprint, ") +
              (received_at ? "extract(epoch FROM e.received_at)::float8, " : "") +
              "e.is_test, e.fields, e.keys, e.flags "
              "FROM (SELECT contact_id, source_record_id, " + kMemberFormColumns +
              ", row_number() OVER (PARTITION BY contact_id ORDER BY source_record_id DESC) AS nth "
              "      FROM entity_member WHERE contact_id = ANY($1::bigint[]) AND ($3 = '' OR source <> $3)) e "
              "WHERE ($2::int = 0 OR e.nth <= $2::int) ORDER BY e.contact_id, e.source_record_id",
          {IntArrayParam(contacts), std::to_string(newest_per_contact), exclude_source}};
}

}  // namespace

Statement MembersStatement(const std::vector<long long>& contacts, int newest_per_contact,
                           const std::string& exclude_source) {
  // One row per member; its normalized fields and keys come as JSON text and are parsed here (cheaper for the
  // server than expanding them into rows).
  return MembersQuery(true, contacts, newest_per_contact, exclude_source);
}

Status ParseMembers(const PgResult& r, const std::function<void(const Member&)>& visit) {
  JsonCell cell;  // each text's values are copied out before the next is parsed
  Member m;
  for (int i = 0; i < r.rows(); ++i) {
    ReadHead(r, i, 5, &m);
    m.received_at = std::stod(r.Str(i, 4));
    m.normalized.fields.clear();
    m.normalized.keys.clear();
    m.normalized.flags.clear();
    auto into = [](std::map<std::string, std::string>& map) {
      return [&map](std::string_view k, std::string_view v) { map[std::string(k)] = std::string(v); };
    };
    if (Status s = ForEachObjectString(cell, r.Get(i, 6), into(m.normalized.fields)); !s.ok()) return s;
    if (Status s = ForEachObjectString(cell, r.Get(i, 7), into(m.normalized.keys)); !s.ok()) return s;
    // The e-mail's flags (role mailbox, free-mail) decide whether it is a shared contact point or a work domain.
    Status s = ForEachArrayString(cell, r.Get(i, 8), [&m](std::string_view f) { m.normalized.flags.emplace_back(f); });
    if (!s.ok()) return s;
    visit(m);
  }
  return Status::Ok();
}

Status ForEachMember(PgConn& c, const std::vector<long long>& contacts, int newest_per_contact,
                     const std::string& exclude_source, const std::function<void(const Member&)>& visit) {
  if (contacts.empty()) return Status::Ok();
  Statement st = MembersStatement(contacts, newest_per_contact, exclude_source);
  auto r = c.Exec(st.sql, st.params);
  if (!r.ok()) return r.status();
  return ParseMembers(*r, visit);
}

Result<std::vector<Member>> LoadMembers(PgConn& c, const std::vector<long long>& contacts, int newest_per_contact,
                                        const std::string& exclude_source) {
  std::vector<Member> out;
  Status s = ForEachMember(c, contacts, newest_per_contact, exclude_source,
                           [&out](const Member& m) { out.push_back(m); });
  if (!s.ok()) return s;
  return out;
}

Statement MatchMembersStatement(const std::vector<long long>& contacts, int newest_per_contact,
                                const std::string& exclude_source) {
  // The same three JSON texts as MembersStatement (cheaper for the server than reading each value by its path:
  // with 1,000,000 records stored, 17 `#>>` columns made this statement about 15% slower per member).
  return MembersQuery(false, contacts, newest_per_contact, exclude_source);
}

Status ParseMatchMembers(const PgResult& r, const std::function<void(MatchMember&)>& visit) {
  const MatchInputSources& names = MatchInputSourceNames();
  int email_key = -1;
  for (size_t k = 0; k < names.keys.size(); ++k)
    if (names.keys[k] == "email_key") email_key = static_cast<int>(k);
  std::vector<std::string_view> fields(names.fields.size()), keys(names.keys.size());
  // A value whose name is in `wanted` into `out`, by the name's index; others are skipped.
  auto pick = [](const std::vector<std::string>& wanted, std::vector<std::string_view>& out) {
    std::fill(out.begin(), out.end(), std::string_view());
    return [&wanted, &out](std::string_view name, std::string_view value) {
      for (size_t i = 0; i < wanted.size(); ++i)
        if (wanted[i] == name) out[i] = value;
    };
  };
  JsonCell field_cell, key_cell, flag_cell;  // the picked values point into the first two until the next row
  MatchMember m;
  for (int i = 0; i < r.rows(); ++i) {
    ReadHead(r, i, 4, &m);
    if (Status s = ForEachObjectString(field_cell, r.Get(i, 5), pick(names.fields, fields)); !s.ok()) return s;
    if (Status s = ForEachObjectString(key_cell, r.Get(i, 6), pick(names.keys, keys)); !s.ok()) return s;
    uint32_t flags = 0;
    Status s = ForEachArrayString(flag_cell, r.Get(i, 7), [&](std::string_view flag) {
      for (size_t g = 0; g < names.flags.size(); ++g)
        if (names.flags[g] == flag) flags |= uint32_t{1} << g;
    });
    if (!s.ok()) return s;
    m.email_key = email_key >= 0 ? std::string(keys[email_key]) : std::string();
    m.input = MatchInputFromValues(fields, keys, flags, std::to_string(m.id));
    visit(m);
  }
  return Status::Ok();
}

Statement RejectedStatement(const std::vector<std::string>& fps) {
  return {"SELECT fp_a, fp_b FROM rejected_pair WHERE fp_a = ANY($1::text[]) OR fp_b = ANY($1::text[])",
          {TextArrayParam(fps)}};
}

RejectedMap ParseRejected(const PgResult& r) {
  RejectedMap out;
  for (int i = 0; i < r.rows(); ++i) {
    out[r.Str(i, 0)].insert(r.Str(i, 1));
    out[r.Str(i, 1)].insert(r.Str(i, 0));
  }
  return out;
}

Result<RejectedMap> RejectedAmong(PgConn& c, const std::vector<std::string>& fps) {
  if (fps.empty()) return RejectedMap{};
  Statement st = RejectedStatement(fps);
  auto r = c.Exec(st.sql, st.params);
  if (!r.ok()) return r.status();
  return ParseRejected(*r);
}

SurvivorMember ToSurvivorMember(const Member& m, const FieldSchema& schema) {
  SurvivorMember s;
  s.id = m.id;
  s.source = m.source;
  s.received_at = m.received_at;
  s.fields_ref = &m.normalized.fields;
  s.unvalidated = UnvalidatedFields(m.normalized, schema);
  return s;
}

}  // namespace canon::store

#include "store/entities.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "hygiene/blocking.h"
#include "hygiene/clusterer.h"
#include "hygiene/compare.h"
#include "hygiene/match_model.h"
#include "hygiene/survivorship.h"
#include "store/candidates.h"
#include "store/reports.h"
#include "store/review.h"

namespace canon::store {
namespace {

void AppendMapJson(std::string* out, const std::map<std::string, std::string>& m) {
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, k);
    out->push_back(':');
    AppendJsonString(out, v);
  }
  out->push_back('}');
}

std::string MapJson(const std::map<std::string, std::string>& m) {
  std::string out;
  AppendMapJson(&out, m);
  return out;
}

// The normalized record as the JSON source_record stores; `prep`, when given, learns where its sections are.
std::string NormalizedJson(const NormalizedRecord& n, WritePrep* prep = nullptr) {
  size_t size = 64;
  for (const auto& [k, v] : n.fields) size += k.size() + v.size() + 6;
  for (const auto& [k, v] : n.keys) size += k.size() + v.size() + 6;
  std::string out;
  out.reserve(size + size / 8);
  size_t at[6];
  out += "{\"fields\":";
  at[0] = out.size();
  AppendMapJson(&out, n.fields);
  at[1] = out.size();
  out += ",\"keys\":";
  at[2] = out.size();
  AppendMapJson(&out, n.keys);
  at[3] = out.size();
  out += ",\"flags\":";
  at[4] = out.size();
  out.push_back('[');
  for (size_t i = 0; i < n.flags.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, n.flags[i]);
  }
  out.push_back(']');
  at[5] = out.size();
  if (prep) {
    prep->fields_at[0] = at[0], prep->fields_at[1] = at[1];
    prep->keys_at[0] = at[2], prep->keys_at[1] = at[3];
    prep->flags_at[0] = at[4], prep->flags_at[1] = at[5];
  }
  out += ",\"quarantined\":[";
  for (size_t i = 0; i < n.quarantined.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"field\":";
    AppendJsonString(&out, n.quarantined[i].field);
    out += ",\"value\":";
    AppendJsonString(&out, n.quarantined[i].value);
    out += ",\"reason\":";
    AppendJsonString(&out, n.quarantined[i].reason);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string Num(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", d);
  return buf;
}

// The waterfall a steward reads: prior, then each field's level, weight and both values.
std::string ExplanationJson(const Explanation& e, long long record, long long other_record) {
  std::string out = "{\"total\":" + Num(e.total) + ",\"prior\":" + Num(e.prior) +
                    ",\"record\":" + std::to_string(record) + ",\"other_record\":" + std::to_string(other_record) +
                    ",\"text\":" + JsonEscape(e.ToString()) + ",\"capped\":" + (e.capped ? "true" : "false") +
                    ",\"shared_contact\":" + (e.shared_contact ? "true" : "false") + ",\"fields\":[";
  for (size_t i = 0; i < e.fields.size(); ++i) {
    const auto& f = e.fields[i];
    out += (i ? "," : "");
    out += "{\"field\":" + JsonEscape(f.field) + ",\"level\":" + JsonEscape(f.level) + ",\"weight\":" +
           Num(f.weight) + ",\"a\":" + JsonEscape(f.value_a) + ",\"b\":" + JsonEscape(f.value_b) +
           ",\"tf_adjusted\":" + (f.tf_adjusted ? "true" : "false") + ",\"note\":" + JsonEscape(f.note) + "}";
  }
  return out + "]}";
}

// Follows merged_into to the live contact and locks it (FOR UPDATE), so a join racing a steward's merge lands on
// the survivor.
Result<long long> LockLive(PgConn& c, long long id) {
  for (int hops = 0; hops < 64; ++hops) {
    auto r = c.Exec("SELECT merged_into FROM contact WHERE id = $1 FOR UPDATE", {std::to_string(id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::NotFound("contact " + std::to_string(id) + " does not exist");
    if (r->IsNull(0, 0)) return id;
    id = r->Int(0, 0);
  }
  return Status::Internal("merged_into chain too long");
}

Status InsertKeys(PgConn& c, long long contact, const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  auto mk = c.Exec(
      "INSERT INTO match_key (key_hash, contact_id) SELECT k, $2 FROM unnest($1::bigint[]) AS k "
      "ON CONFLICT DO NOTHING",
      {IntArrayParam(KeyHashes(keys)), std::to_string(contact)});
  return mk.ok() ? Status::Ok() : mk.status();
}

// Term frequencies of the values being compared, from term_count (exact counts, see migration 005). Not used for a
// field held by fewer than kTfMinRecords records: shares estimated on a handful of records would turn every name
// into a "common" one.
// Members of one candidate entity scored against a record: the newest ones (an entity's recent records carry its
// current values; an entity of thousands of records would otherwise make every join load all of them).
constexpr int kMembersPerCandidate = 50;
constexpr long long kTfMinRecords = 1000;

// The term counts a batch needs, those the session's cache holds, and the statement that reads the others. Counts
// go by TermCountCache::Key (field name, NUL, value), one string per pair.
struct TfLookup {
  struct Want {
    MatchField field;
    std::string value;  // case-folded; "" is the field's total
    std::string key;    // TermCountCache::Key(MatchFieldName(field), value)
  };
  std::vector<Want> wanted;
  std::unordered_map<std::string, long long> counts;  // by key: from the cache here, then from the query's rows
  std::optional<Statement> query;
};

// `inputs`: every record whose tf values the batch compares. `cache`: counts read under the batch's epoch.
TfLookup PlanTermFrequencies(const MatchModel& model, const std::vector<const MatchInput*>& inputs,
                             const TermCountCache& cache) {
  TfLookup out;
  const std::vector<MatchField>& tf_fields = model.TfFields();
  out.wanted.reserve((inputs.size() + 1) * tf_fields.size());
  std::unordered_set<std::string> seen;
  seen.reserve(inputs.size() * tf_fields.size());
  for (MatchField f : tf_fields) {
    const std::string name = MatchFieldName(f);
    for (const MatchInput* in : inputs) {
      if (in->Get(f).empty()) continue;
      std::string value = EncodeUtf8(FoldCase(in->Get(f)));
      std::string key = TermCountCache::Key(name, value);
      if (seen.insert(key).second) out.wanted.push_back({f, std::move(value), std::move(key)});
    }
  }
  if (out.wanted.empty()) return out;
  // Each field's total is its '' row.
  for (MatchField f : tf_fields) out.wanted.push_back({f, "", TermCountCache::Key(MatchFieldName(f), "")});
  std::vector<std::string> fields, values;
  for (const auto& w : out.wanted) {
    if (const long long* n = cache.Find(w.key)) {
      out.counts.emplace(w.key, *n);
      continue;
    }
    fields.push_back(MatchFieldName(w.field));
    values.push_back(w.value);
  }
  if (fields.empty()) return out;
  // One row per asked pair (a value nobody has: 0).
  out.query = Statement{
      "SELECT x.f, x.v, coalesce(sum(t.n), 0)::bigint FROM unnest($1::text[], $2::text[]) AS x(f, v) "
      "LEFT JOIN term_count t ON t.field = x.f AND t.value = x.v GROUP BY x.f, x.v",
      {TextArrayParam(fields), TextArrayParam(values)}};
  return out;
}

// Sets, from the cached counts and the result of `lookup`'s query (when it had one), the frequencies of the
// fields held by at least kTfMinRecords records; the counts read go into `cache`.
void FinishTermFrequencies(TfLookup& lookup, const PgResult* result, TermCountCache* cache, TermFrequencies* tf,
                           bool* used) {
  *used = false;
  std::unordered_map<std::string, long long>& counts = lookup.counts;
  if (result)
    for (int i = 0; i < result->rows(); ++i) {
      std::string key = TermCountCache::Key(result->Str(i, 0), result->Str(i, 1));
      const long long n = result->Int(i, 2);
      cache->Put(key, n);
      counts[std::move(key)] = n;
    }
  std::array<long long, kMatchFieldCount> total{};  // each field's '' row (0: not read)
  for (const auto& w : lookup.wanted)
    if (w.value.empty())
      if (auto it = counts.find(w.key); it != counts.end()) total[static_cast<size_t>(w.field)] = it->second;
  for (const auto& w : lookup.wanted) {
    const long long all = total[static_cast<size_t>(w.field)];
    if (w.value.empty() || all < kTfMinRecords) continue;
    auto it = counts.find(w.key);
    const long long n = std::max<long long>(1, it == counts.end() ? 0 : it->second);
    tf->Set(w.field, w.value, static_cast<double>(n) / static_cast<double>(all));
    *used = true;
  }
}

std::string LineageJson(const Survivor& s) {
  std::string lineage;
  lineage.reserve(2 + s.lineage.size() * 32);
  lineage.push_back('{');
  for (const auto& [col, id] : s.lineage) {
    if (lineage.size() > 1) lineage.push_back(',');
    AppendJsonString(&lineage, col);
    lineage.push_back(':');
    lineage += std::to_string(id);
  }
  lineage.push_back('}');
  return lineage;
}

// Column arrays for an unnest() over contact rows: id, original_source, latest_source, lineage, then every
// ContactColumns() column (NULL when the survivor has no value).
struct ContactRows {
  std::vector<long long> ids;
  std::vector<std::string> original, latest, lineage;
  std::vector<bool> is_test;
  std::vector<std::vector<std::optional<std::string>>> columns = std::vector<std::vector<std::optional<std::string>>>(
      ContactColumns().size());

  void Add(long long id, const Survivor& s, bool test) {
    ids.push_back(id);
    original.push_back(s.original_source);
    latest.push_back(s.latest_source);
    lineage.push_back(LineageJson(s));
    is_test.push_back(test);
    // The columns in name order beside the survivor's (sorted) values: one walk, not a map lookup per column.
    static const std::vector<size_t> kByName = [] {
      std::vector<size_t> order(ContactColumns().size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(),
                [](size_t a, size_t b) { return ContactColumns()[a] < ContactColumns()[b]; });
      return order;
    }();
    auto it = s.values.begin();
    for (size_t column : kByName) {
      const std::string& name = ContactColumns()[column];
      while (it != s.values.end() && it->first < name) ++it;
      if (it != s.values.end() && it->first == name) columns[column].emplace_back(it->second);
      else columns[column].emplace_back(std::nullopt);
    }
  }
  // The columns as parameters, `unnests` the select list that reads them (", unnest($6::text[]) AS c0, ...") and
  // `names` their names (", c0, ..."). Arrays unnested in a select list are read in step; `FROM unnest(a, b, ...)`
  // would copy each of its 60-odd arrays into a tuplestore first (11.3 against 7.5 µs a row for the contact INSERT,
  // measured on the server alone).
  void Bind(std::vector<Param>* params, std::string* unnests, std::string* names) const {
    for (size_t i = 0; i < columns.size(); ++i) {
      params->push_back(TextArrayParam(columns[i]));
      *unnests += ", unnest($" + std::to_string(params->size()) + "::text[]) AS c" + std::to_string(i);
      *names += ", c" + std::to_string(i);
    }
  }
};

}  // namespace

const std::vector<std::string>& ContactColumns() {
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> c = {
        "email", "phone", "phone_ext", "first_name", "last_name", "full_name", "honorific", "suffix",
        "job_title", "company", "company_domain", "website", "country", "region", "city", "postal_code",
        "street", "street_2", "birth_date", "external_id", "lead_source", "lifecycle_stage", "consent", "owner",
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid",
        "channel"};
    // The first and the latest touch (migration 010; survivorship.toml [touch]).
    for (const char* prefix : {"original_", "latest_"})
      for (const char* f : {"lead_source", "channel", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                            "utm_content", "gclid", "fbclid", "msclkid", "referrer", "page_url"})
        c.push_back(std::string(prefix) + f);
    return c;
  }();
  return kColumns;
}

Status LockKeys(PgConn& c, const std::vector<std::string>& keys) { return LockKeyHashes(c, KeyHashes(keys)); }

Status LockKeyHashes(PgConn& c, std::vector<long long> locks) {
  // The key's match_key hash is its lock (a collision only serializes two batches that need not wait).
  std::sort(locks.begin(), locks.end());
  locks.erase(std::unique(locks.begin(), locks.end()), locks.end());
  if (locks.empty()) return Status::Ok();
  // One round trip for the whole batch; ORDER BY keeps the lock order the same for every locker.
  auto r = c.Exec("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k ORDER BY k", {IntArrayParam(locks)});
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<bool>> TryLockKeys(PgConn& c, const std::vector<std::string>& keys) {
  return TryLockKeyHashes(c, KeyHashes(keys));
}

Result<std::vector<bool>> TryLockKeyHashes(PgConn& c, const std::vector<long long>& keys) {
  std::vector<bool> held(keys.size(), false);
  if (keys.empty()) return held;
  auto r = c.Exec("SELECT pg_try_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS u(k, i) ORDER BY i",
                  {IntArrayParam(keys)});
  if (!r.ok()) return r.status();
  if (r->rows() != static_cast<int>(keys.size()))
    return Status::Internal("key try-lock returned " + std::to_string(r->rows()) + " rows for " +
                            std::to_string(keys.size()) + " keys");
  for (int i = 0; i < r->rows(); ++i) held[static_cast<size_t>(i)] = r->Get(i, 0) == "t";
  return held;
}

std::vector<std::pair<std::string, std::string>> TermCountRows(const MatchModel& model, const MatchInput& in) {
  std::vector<std::pair<std::string, std::string>> out;
  for (MatchField f : model.TfFields())
    if (!in.Get(f).empty()) {
      out.emplace_back(MatchFieldName(f), EncodeUtf8(FoldCase(in.Get(f))));
      out.emplace_back(MatchFieldName(f), "");
    }
  return out;
}

namespace {

// StoreKeys, given the record's MatchInput when the rules have a match model (MatchInputFromNormalized(n, "")).
std::vector<std::string> StoreKeysOf(const NormalizedRecord& n, const MatchInput* input, const RuleSet& rules) {
  std::vector<std::string> keys;
  auto it = n.keys.find("email_key");
  if (it != n.keys.end() && !it->second.empty()) keys.push_back("email:" + it->second);
  if (const MatchConfig* mc = rules.match()) {
    for (auto& k : BlockingKeys(*input, mc->blocking))
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace

std::vector<std::string> StoreKeys(const NormalizedRecord& n, const RuleSet& rules) {
  if (!rules.match()) return StoreKeysOf(n, nullptr, rules);
  const MatchInput input = MatchInputFromNormalized(n, "");
  return StoreKeysOf(n, &input, rules);
}

Result<std::map<long long, Survivor>> ComputeSurvivors(PgConn& c, const std::vector<long long>& contacts,
                                                       const RuleSet& rules) {
  std::map<long long, Survivor> out;
  if (contacts.empty()) return out;
  auto members = LoadMembers(c, contacts);
  if (!members.ok()) return members.status();
  for (size_t i = 0; i < members->size();) {
    long long contact = (*members)[i].contact_id;
    std::vector<SurvivorMember> sm;
    for (; i < members->size() && (*members)[i].contact_id == contact; ++i)
      sm.push_back(ToSurvivorMember((*members)[i], rules.fields()));
    out.emplace(contact, Recompute(rules.survivorship(), sm, ContactColumns()));
  }
  return out;
}

namespace {

// RecomputeContacts once the caller holds the contacts' row locks (sorted, distinct, not empty).
Status RecomputeLockedContacts(PgConn& c, const std::vector<long long>& contacts, const RuleSet& rules) {
  auto survivors = ComputeSurvivors(c, contacts, rules);
  if (!survivors.ok()) return survivors.status();
  ContactRows rows;
  for (const auto& [contact, s] : *survivors) rows.Add(contact, s, false);
  if (rows.ids.empty()) return Status::Ok();
  // original_source is set once (coalesce) and never rewritten; latest_source follows the newest member.
  std::vector<Param> params = {IntArrayParam(rows.ids), TextArrayParam(rows.original), TextArrayParam(rows.latest),
                               TextArrayParam(rows.lineage)};
  std::string unnests, names, sets;
  rows.Bind(&params, &unnests, &names);
  for (size_t i = 0; i < ContactColumns().size(); ++i)
    sets += ", " + ContactColumns()[i] + " = u.c" + std::to_string(i);
  auto up = c.Exec(
      "UPDATE contact ct SET original_source = coalesce(ct.original_source, nullif(u.os, '')), "
      "latest_source = nullif(u.ls, ''), lineage = u.lin::jsonb, updated_at = now()" + sets +
      " FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::text[]) AS os, unnest($3::text[]) AS ls, "
      "unnest($4::text[]) AS lin" + unnests + ") AS u WHERE ct.id = u.id",
      params);
  return up.ok() ? Status::Ok() : up.status();
}

}  // namespace

Status RecomputeContacts(PgConn& c, std::vector<long long> contacts, const RuleSet& rules) {
  std::sort(contacts.begin(), contacts.end());
  contacts.erase(std::unique(contacts.begin(), contacts.end()), contacts.end());
  if (contacts.empty()) return Status::Ok();
  // Row locks in id order (the order stewards' merges take them too), then every member of every contact.
  auto lock = c.Exec("SELECT id FROM contact WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                     {IntArrayParam(contacts)});
  if (!lock.ok()) return lock.status();
  return RecomputeLockedContacts(c, contacts, rules);
}

Status RecomputeContact(PgConn& c, long long contact, const RuleSet& rules) {
  auto live = LockLive(c, contact);
  if (!live.ok()) return live.status();
  return RecomputeContacts(c, {*live}, rules);
}

Status RebuildKeys(PgConn& c, long long contact, const RuleSet& rules) {
  auto members = LoadMembers(c, {contact});
  if (!members.ok()) return members.status();
  auto del = c.Exec("DELETE FROM match_key WHERE contact_id = $1", {std::to_string(contact)});
  if (!del.ok()) return del.status();
  std::vector<std::string> keys;
  for (const auto& m : *members)
    for (auto& k : StoreKeys(m.normalized, rules)) keys.push_back(std::move(k));
  return InsertKeys(c, contact, keys);
}

namespace {

// One record or member the batch compares: loaded members of candidate entities first, then the batch's records.
struct PoolEntry {
  long long record = 0;  // source_record id
  std::string fingerprint;
  std::string email_key;
  bool is_test = false;
  std::string source;
  MatchInput input;
  PreparedRecord prepared;
};

// The batch's view of entities: members (pool indexes) and merges (union-find to the survivor).
struct Entities {
  std::map<long long, std::vector<size_t>> members;
  std::map<long long, long long> parent;
  std::set<long long> created;  // made by this batch (not yet in the contact table)

  long long Find(long long id) {
    auto it = parent.find(id);
    while (it != parent.end() && it->second != id) {
      id = it->second;
      it = parent.find(id);
    }
    return id;
  }
};

}  // namespace

WritePrep PrepareWrite(const Record& r, const NormalizedRecord& nr, const RuleSet& rules) {
  WritePrep p;
  p.raw_json = "{\"fields\":" + MapJson(r.fields) + ",\"extra\":" + MapJson(r.extra) + "}";
  p.normalized_json = NormalizedJson(nr, &p);
  // The record's MatchInput once, for its keys and for the writer's scoring.
  if (rules.match()) p.input = MatchInputFromNormalized(nr, "");
  p.keys = StoreKeysOf(nr, &p.input, rules);
  p.key_hashes = KeyHashes(p.keys);
  return p;
}

Result<std::vector<WriteOutcome>> WriteBatch(PgConn& c, const std::vector<WriteItem>& items, const RuleSet& rules) {
  std::vector<WriteOutcome> out(items.size());
  const size_t n = items.size();
  if (n == 0) return out;
  const MatchConfig* mc = rules.match();
  std::vector<WritePrep> own;
  std::vector<WritePrep*> prep(n);
  for (size_t i = 0; i < n; ++i) {
    if (items[i].prep) {
      prep[i] = items[i].prep;
      continue;
    }
    if (own.empty()) own.reserve(n);
    prep[i] = &own.emplace_back(PrepareWrite(*items[i].raw, *items[i].normalized, rules));
  }

  // 1. In one round trip, statements that do not depend on each other's results: ids for every contact the
  // batch may create, the source records (2), their term-frequency rows (3) and the holders of their keys (4).
  std::vector<Statement> batch_a;
  batch_a.push_back({"SELECT nextval('contact_id_seq') FROM generate_series(1, $1)", {std::to_string(n)}});
  // The sections of each record's normalized JSON that its member row copies (kMemberFormColumns), as sent.
  std::vector<std::string> form_fields(n), form_keys(n), form_flags(n);
  // Quarantined values, for the last round trip (they need the source records' ids).
  std::vector<long long> q_item;
  std::vector<std::string> q_source, q_field, q_value, q_reason;
  {
    std::vector<long long> inbox, index, ids;
    std::vector<std::string> source, delivery, raw, norm, version, received;
    std::vector<bool> test;
    for (size_t i = 0; i < n; ++i) {
      const Record& r = *items[i].raw;
      const NormalizedRecord& nr = *items[i].normalized;
      const WritePrep& w = *prep[i];
      auto section = [&w](const size_t* at) { return w.normalized_json.substr(at[0], at[1] - at[0]); };
      form_fields[i] = section(w.fields_at);
      form_keys[i] = section(w.keys_at);
      form_flags[i] = section(w.flags_at);
      inbox.push_back(items[i].meta.inbox_id);
      index.push_back(r.index);
      source.push_back(r.source);
      delivery.push_back(r.delivery_key);
      test.push_back(r.is_test);
      raw.push_back(std::move(prep[i]->raw_json));
      norm.push_back(std::move(prep[i]->normalized_json));
      version.push_back(nr.rules_version);
      received.push_back(items[i].meta.received_at);
      ids.push_back(items[i].record_id);
      // A test lead's values are not the business's data: no quarantine report counts them.
      if (r.is_test) continue;
      for (const auto& q : nr.quarantined) {
        q_item.push_back(static_cast<long long>(i));
        q_source.push_back(r.source);
        q_field.push_back(q.field);
        q_value.push_back(q.value);
        q_reason.push_back(q.reason);
      }
    }
    // 2. The source records take their ids from the sequence row by row in batch order (unnest in a select list
    // yields the arrays in step and in order; in a select list, not FROM unnest(a, b, ...), which would first copy
    // every array, the records' JSON too, into a tuplestore of its own), so a higher id is a newer record for
    // survivorship.
    batch_a.push_back(
        {"INSERT INTO source_record (id, inbox_id, source, record_index, delivery_key, is_test, raw, normalized, "
         "rules_version, received_at) "
         "SELECT coalesce(nullif(rid, 0), nextval('source_record_id_seq')), nullif(inbox, 0), src, idx, "
         "       nullif(dk, ''), t, raw::jsonb, norm::jsonb, rv, coalesce(nullif(ra, '')::timestamptz, now()) "
         "FROM (SELECT unnest($1::bigint[]) AS inbox, unnest($2::text[]) AS src, unnest($3::bigint[]) AS idx, "
         "             unnest($4::text[]) AS dk, unnest($5::bool[]) AS t, unnest($6::text[]) AS raw, "
         "             unnest($7::text[]) AS norm, unnest($8::text[]) AS rv, unnest($9::text[]) AS ra, "
         "             unnest($10::bigint[]) AS rid) AS u "
         "RETURNING id, fingerprint",
         {IntArrayParam(inbox), TextArrayParam(source), IntArrayParam(index), TextArrayParam(delivery),
          BoolArrayParam(test), TextArrayParam(raw), TextArrayParam(norm), TextArrayParam(version),
          TextArrayParam(received), IntArrayParam(ids)}});
  }

  // 3. Keys and term counts (a delta row; '' counts the records that have the field).
  std::vector<std::vector<std::string>> keys(n);
  std::vector<std::vector<long long>> hashes(n);  // KeyHash of each of keys[i], hashed once by PrepareWrite
  std::vector<MatchInput> inputs(n);  // their ids are set once the source records have theirs
  {
    std::unordered_map<std::string, long long> terms;  // by TermCountCache::Key(field, value)
    for (size_t i = 0; i < n; ++i) {
      // A vendor's test lead is kept as a source record for audit only: no keys, no term counts, no contact.
      if (items[i].raw->is_test) continue;
      keys[i] = std::move(prep[i]->keys);
      hashes[i] = std::move(prep[i]->key_hashes);
      if (hashes[i].size() != keys[i].size()) hashes[i] = KeyHashes(keys[i]);
      if (!mc) continue;
      inputs[i] = std::move(prep[i]->input);
      for (const auto& [field, value] : TermCountRows(*mc->model, inputs[i]))
        ++terms[TermCountCache::Key(field, value)];
    }
    if (!terms.empty()) {
      // One delta row for the batch, committed with its records; FoldTermCounts (store/term_counts.h) adds it to
      // term_count.
      std::vector<std::string> t_field, t_value;
      std::vector<long long> t_n;
      t_field.reserve(terms.size());
      t_value.reserve(terms.size());
      t_n.reserve(terms.size());
      for (const auto& [key, count] : terms) {
        const size_t nul = key.find('\0');
        t_field.push_back(key.substr(0, nul));
        t_value.push_back(key.substr(nul + 1));
        t_n.push_back(count);
      }
      batch_a.push_back({"INSERT INTO term_delta (fields, vals, ns) VALUES ($1::text[], $2::text[], $3::bigint[])",
                         {TextArrayParam(t_field), TextArrayParam(t_value), IntArrayParam(t_n)}});
    }
  }
  // 4. Candidates: the holders of every key of the batch (in the pipeline above), then the members of every
  // candidate entity, the rejected pairs of the batch's fingerprints and the term frequencies (one round trip).
  // Each key's cap is its blocking rule's (BlockingRules::CapFor); the lookup reads one holder past it. Without a
  // match model every key is followed (kNoCap).
  constexpr size_t kNoCap = 1000000;
  const size_t max_cand = mc ? mc->blocking.max_candidates : 1;
  // The batch's distinct keys by hash, as match_key files them (BatchKey), and each record's keys as indexes into
  // them: the lookups, counts and holders below go by index, not by a key's text (maps keyed by the texts were 7%
  // of the import's CPU).
  struct BatchKey {
    long long hash;
    const std::string* text;  // into keys[]: for the over-common report
    size_t cap;
  };
  std::vector<BatchKey> bkeys;
  std::vector<std::vector<uint32_t>> kidx(n);
  {
    std::vector<std::pair<long long, const std::string*>> all;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < keys[i].size(); ++j) all.emplace_back(hashes[i][j], &keys[i][j]);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : *a.second < *b.second;
    });
    for (const auto& [h, text] : all)
      if (bkeys.empty() || bkeys.back().hash != h)
        bkeys.push_back({h, text, mc ? mc->blocking.CapFor(*text) : kNoCap});
    auto index_of = [&bkeys](long long h) {
      return static_cast<uint32_t>(std::lower_bound(bkeys.begin(), bkeys.end(), h, [](const BatchKey& k, long long v) {
                                     return k.hash < v;
                                   }) - bkeys.begin());
    };
    for (size_t i = 0; i < n; ++i) {
      kidx[i].reserve(hashes[i].size());
      for (long long h : hashes[i]) {
        const uint32_t k = index_of(h);
        if (std::find(kidx[i].begin(), kidx[i].end(), k) == kidx[i].end()) kidx[i].push_back(k);
      }
    }
  }
  // Keys this session saw over their cap in the last minute are not looked up again (OverCommonMemo): they are
  // over-common now as they were then, unless a merge or an erasure took holders away since.
  WriterState& state = WriterState::For(c);
  OverCommonMemo& memo = state.over_common;
  const auto now = OverCommonMemo::Clock::now();
  std::vector<char> known_over(bkeys.size(), 0);
  std::vector<long long> lookup_hashes, limits;
  std::vector<uint32_t> lookup_at;  // the BatchKey of each looked-up hash
  lookup_hashes.reserve(bkeys.size());
  limits.reserve(bkeys.size());
  lookup_at.reserve(bkeys.size());
  for (uint32_t k = 0; k < bkeys.size(); ++k) {
    if (mc && memo.Over(bkeys[k].hash, bkeys[k].cap, now)) {
      known_over[k] = 1;
    } else {
      lookup_hashes.push_back(bkeys[k].hash);
      limits.push_back(static_cast<long long>(bkeys[k].cap) + 1);
      lookup_at.push_back(k);
    }
  }
  // The term counts' epoch, before any count is read (TermCountCache).
  std::optional<size_t> epoch_at;
  if (mc) {
    epoch_at = batch_a.size();
    batch_a.push_back({TermCountCache::EpochSql(), {}});
  }
  const bool any_keys = !lookup_hashes.empty();
  if (any_keys) batch_a.push_back(KeyHoldersStatement(lookup_hashes, limits));
  auto done_a = c.ExecPipeline(batch_a);
  if (!done_a.ok()) return done_a.status();
  if (epoch_at) state.term_counts.AtEpoch((*done_a)[*epoch_at].Int(0, 0));
  std::vector<long long> record_ids, contact_pool;
  for (int i = 0; i < (*done_a)[0].rows(); ++i) contact_pool.push_back((*done_a)[0].Int(i, 0));
  std::sort(contact_pool.begin(), contact_pool.end());
  {
    const PgResult& sr = (*done_a)[1];
    std::map<long long, std::string> fps;
    for (int i = 0; i < sr.rows(); ++i) fps[sr.Int(i, 0)] = sr.Str(i, 1);
    if (fps.size() != n) return Status::Internal("source record insert returned " + std::to_string(fps.size()) +
                                                 " rows for " + std::to_string(n) + " records");
    for (const auto& [id, fp] : fps) record_ids.push_back(id);  // ascending: batch order
    for (size_t i = 0; i < n; ++i) {
      out[i].source_record_id = record_ids[i];
      out[i].fingerprint = fps[record_ids[i]];
    }
  }
  if (mc)
    for (size_t i = 0; i < n; ++i) inputs[i].id = std::to_string(record_ids[i]);
  // holders[k]: the stored holders of bkeys[k] (none for a key nobody holds or one known over its cap).
  std::vector<std::vector<long long>> holders(bkeys.size());
  if (any_keys) {
    std::vector<std::vector<long long>> read = ParseKeyHolders(done_a->back(), lookup_hashes);
    for (size_t j = 0; j < read.size(); ++j) holders[lookup_at[j]] = std::move(read[j]);
  }
  std::set<long long> db_candidates;
  for (uint32_t k = 0; k < bkeys.size(); ++k) {
    const auto& hs = holders[k];
    if (hs.empty()) continue;
    if (hs.size() <= bkeys[k].cap)
      db_candidates.insert(hs.begin(), hs.end());
    else if (mc)
      memo.Note(bkeys[k].hash, hs.size(), now);
  }
  // Records that share a key with a stored entity or with another record of the batch: only they are scored
  // (a record with no candidate is never compared).
  std::vector<int> in_batch(bkeys.size(), 0);
  for (const auto& ks : kidx)
    for (uint32_t k : ks) ++in_batch[k];
  std::vector<bool> compared(n, false);
  for (size_t i = 0; i < n; ++i)
    for (uint32_t k : kidx[i])
      if (in_batch[k] > 1 || (!holders[k].empty() && holders[k].size() <= bkeys[k].cap)) compared[i] = true;
  // Term frequencies: only the batch's own values, of the records scored. The adjustment applies to exact
  // agreements only, and a member that agrees exactly with a record has the record's value, so it gets the same
  // frequency in Prepare; members' other values are not asked for (at 1,000,000 entities they made this the
  // writer's most expensive query: 362 buffer reads a probe for the values of every loaded member). Member
  // against member (the clusterer's also_merge check) then scores an exact agreement on a value no record of the
  // batch has with the rule file's unadjusted weight. A batch that meets no stored entity compares its records
  // among themselves without the adjustment.
  TfLookup tf_lookup;
  if (mc && !db_candidates.empty()) {
    std::vector<const MatchInput*> tf_inputs;
    for (size_t i = 0; i < n; ++i)
      if (compared[i]) tf_inputs.push_back(&inputs[i]);
    if (!tf_inputs.empty()) tf_lookup = PlanTermFrequencies(*mc->model, tf_inputs, state.term_counts);
  }
  // The candidates' members, the rejected pairs of the batch's fingerprints and the term counts: one round trip.
  std::vector<PoolEntry> pool;
  Entities ents;
  RejectedMap rejected;
  const PgResult* tf_result = nullptr;
  std::vector<PgResult> done_b;
  if (!db_candidates.empty()) {
    std::vector<std::string> fps;
    for (const auto& o : out) fps.push_back(o.fingerprint);
    // Steward edits are corrections to an entity, not people: records are never scored against them.
    std::vector<Statement> batch_b = {
        MatchMembersStatement(std::vector<long long>(db_candidates.begin(), db_candidates.end()),
                              kMembersPerCandidate, rules.survivorship().steward_source),
        RejectedStatement(fps)};
    if (tf_lookup.query) batch_b.push_back(std::move(*tf_lookup.query));
    auto done = c.ExecPipeline(batch_b);
    if (!done.ok()) return done.status();
    done_b = std::move(*done);
    // Candidate members arrive as their match inputs (no member's field maps are built). The pool is sized once:
    // an entry holds an input and a prepared form, and growing moved every entry's strings (2% of the import).
    pool.reserve(static_cast<size_t>(done_b[0].rows()) + n);
    Status s = ParseMatchMembers(done_b[0], [&](MatchMember& m) {
      PoolEntry& e = pool.emplace_back();
      e.record = m.id;
      e.fingerprint = std::move(m.fingerprint);
      e.is_test = m.is_test;
      e.source = std::move(m.source);
      e.email_key = std::move(m.email_key);
      if (mc) e.input = std::move(m.input);
      ents.members[m.contact_id].push_back(pool.size() - 1);
    });
    if (!s.ok()) return s;
    rejected = ParseRejected(done_b[1]);
    if (done_b.size() > 2) tf_result = &done_b[2];
  }
  const size_t base = pool.size();  // pool[base + i] is record i of the batch
  pool.resize(base + n);
  for (size_t i = 0; i < n; ++i) {
    PoolEntry& e = pool[base + i];
    e.record = record_ids[i];
    e.fingerprint = out[i].fingerprint;
    e.is_test = items[i].raw->is_test;
    e.source = items[i].raw->source;
    auto ek = items[i].normalized->keys.find("email_key");
    if (ek != items[i].normalized->keys.end()) e.email_key = ek->second;
    e.input = std::move(inputs[i]);
  }
  if (mc) {
    TermFrequencies tf;
    bool use_tf = false;
    // A batch whose candidates all turned out to be steward edits (no member loaded) uses no adjustment.
    if (base > 0) FinishTermFrequencies(tf_lookup, tf_result, &state.term_counts, &tf, &use_tf);
    // Prepared forms only for what is scored; the inputs are not needed after it.
    for (size_t p = 0; p < pool.size(); ++p) {
      if (p < base || compared[p - base]) pool[p].prepared = mc->model->Prepare(pool[p].input, use_tf ? &tf : nullptr);
      pool[p].input = MatchInput();
    }
  }

  // 5. Decisions, record by record in batch order, in memory. Entities created or joined earlier in the batch are
  // candidates of later records through the batch's own key index.
  std::vector<std::vector<long long>> batch_holders(bkeys.size());  // by BatchKey: entities of this batch
  size_t next_contact = 0;
  struct Review {
    size_t record;
    long long proposed, member;
    std::string explanation;
  };
  std::vector<Review> reviews;
  std::vector<std::pair<long long, long long>> db_merges;  // (survivor, loser), both already in the store
  std::vector<long long> contact_of(n);
  for (size_t i = 0; i < n; ++i) {
    WriteOutcome& o = out[i];
    PoolEntry& rec = pool[base + i];
    if (rec.is_test) {
      o.decision = "test";  // contact_of[i] stays 0
      continue;
    }
    o.decision = "new";
    // Candidate entities by the number of keys they share with the record, then by id.
    std::map<long long, int> shared;
    for (uint32_t k : kidx[i]) {
      if (known_over[k]) {  // over its cap in the store alone
        o.over_common_keys.push_back(*bkeys[k].text);
        continue;
      }
      std::set<long long> here;
      const size_t held = holders[k].size() + batch_holders[k].size();
      for (long long h : holders[k]) here.insert(ents.Find(h));
      for (long long h : batch_holders[k]) here.insert(ents.Find(h));
      if (held > bkeys[k].cap) {
        o.over_common_keys.push_back(*bkeys[k].text);
        continue;
      }
      for (long long e : here) ++shared[e];
    }
    std::vector<std::pair<int, long long>> ranked;
    for (const auto& [e, cnt] : shared) ranked.emplace_back(-cnt, e);
    std::sort(ranked.begin(), ranked.end());
    if (ranked.size() > max_cand) ranked.resize(max_cand);

    // Entities holding a member a steward declared different from this record, or of the other test-ness
    // (vendor test leads and real people never share an entity), are not candidates.
    const std::set<std::string>* rejected_fps = nullptr;
    if (auto it = rejected.find(rec.fingerprint); it != rejected.end()) rejected_fps = &it->second;
    std::vector<CandidateEntity> cands;
    long long contact = 0;
    for (const auto& [neg, e] : ranked) {
      const auto& mem = ents.members[e];
      bool excluded = false;
      for (size_t p : mem)
        if ((rejected_fps && rejected_fps->count(pool[p].fingerprint)) || pool[p].is_test != rec.is_test)
          excluded = true;
      if (excluded || mem.empty()) continue;
      CandidateEntity ce{e, {}};
      for (size_t p : mem) {
        ce.members.push_back(&pool[p].prepared);
        // A shared exact e-mail key joins deterministically (an e-mail address identifies a CRM contact), and so
        // does the same normalized record again (a re-sent lead). Lowest contact id first: stable across workers.
        // Not when the address is a role mailbox or the given names conflict: then it is a shared contact point.
        bool same_email = !rec.email_key.empty() && pool[p].email_key == rec.email_key &&
                          !(mc && mc->model && mc->model->EmailShared(rec.prepared, pool[p].prepared));
        if ((same_email || pool[p].fingerprint == rec.fingerprint) && (contact == 0 || e < contact)) contact = e;
      }
      cands.push_back(std::move(ce));
    }
    if (contact) o.decision = "merge";
    if (contact == 0 && mc && !cands.empty()) {
      Resolution res = Resolve(*mc->model, rec.prepared, cands);
      if (res.entity) o.weight = res.weight;
      if (res.decision == Decision::kMerge) {
        contact = res.entity;
        o.decision = "merge";
        // Other entities that match the chosen one on their own evidence (not through this record) join it.
        for (long long other : res.also_merge) {
          long long a = ents.Find(contact), b = ents.Find(other);
          if (a == b) continue;
          // The survivor: an entity already in the store before one of this batch, then the lower id.
          bool a_new = ents.created.count(a), b_new = ents.created.count(b);
          long long survivor = a_new != b_new ? (a_new ? b : a) : std::min(a, b);
          long long loser = survivor == a ? b : a;
          ents.parent[loser] = survivor;
          auto& sm = ents.members[survivor];
          sm.insert(sm.end(), ents.members[loser].begin(), ents.members[loser].end());
          ents.members.erase(loser);
          if (!ents.created.count(loser)) db_merges.emplace_back(survivor, loser);
          o.merged_entities.push_back(loser);
          contact = survivor;
        }
      } else if (res.decision == Decision::kReview && res.best_member) {
        o.decision = "review";
        long long member = std::stoll(res.best_member->id);
        reviews.push_back({i, res.entity, member,
                           ExplanationJson(mc->model->Explain(rec.prepared, *res.best_member), record_ids[i], member)});
      }
    }
    if (contact == 0) {
      contact = contact_pool[next_contact++];
      ents.created.insert(contact);
      o.created = true;
    }
    contact = ents.Find(contact);
    contact_of[i] = contact;
    ents.members[contact].push_back(base + i);
    for (uint32_t k : kidx[i]) batch_holders[k].push_back(contact);
  }

  // 6. Contacts in the store that the batch joins: lock them (id order) and follow merges a steward made since
  // the lookup, so a join racing a merge lands on the survivor.
  std::set<long long> joined;
  for (size_t i = 0; i < n; ++i)
    if (contact_of[i] && !ents.created.count(ents.Find(contact_of[i]))) joined.insert(ents.Find(contact_of[i]));
  for (const auto& [survivor, loser] : db_merges) joined.insert(survivor);
  if (!joined.empty()) {
    auto lock = c.Exec("SELECT id, merged_into FROM contact WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                       {IntArrayParam(std::vector<long long>(joined.begin(), joined.end()))});
    if (!lock.ok()) return lock.status();
    for (int r = 0; r < lock->rows(); ++r) {
      if (lock->IsNull(r, 1)) continue;
      long long id = lock->Int(r, 0);
      auto live = LockLive(c, id);
      if (!live.ok()) return live.status();
      ents.parent[id] = *live;
    }
  }

  // 7. Writes: new contacts (survivorship over their batch members, computed here), members, keys, merges of
  // entities in the store, recomputed joined contacts, review pairs.
  ContactRows created;
  for (long long e : ents.created) {
    if (ents.Find(e) != e) continue;
    std::vector<SurvivorMember> sm;
    bool test = false;
    for (size_t p : ents.members[e]) {
      SurvivorMember m;
      m.id = pool[p].record;
      m.source = pool[p].source;
      m.fields_ref = &items[p - base].normalized->fields;  // lent: the items outlive Recompute
      m.unvalidated = UnvalidatedFields(*items[p - base].normalized, rules.fields());
      test = pool[p].is_test;
      sm.push_back(std::move(m));
    }
    created.Add(e, Recompute(rules.survivorship(), sm, ContactColumns()), test);
  }
  // New contacts, members, keys, quarantined values and over-common keys: one round trip (in this order: members
  // and keys refer to the contacts).
  std::vector<Statement> batch_c;
  if (!created.ids.empty()) {
    std::vector<Param> params = {IntArrayParam(created.ids), TextArrayParam(created.original),
                                 TextArrayParam(created.latest), TextArrayParam(created.lineage),
                                 BoolArrayParam(created.is_test)};
    std::string unnests, names, cols;
    created.Bind(&params, &unnests, &names);
    for (const auto& col : ContactColumns()) cols += ", " + col;
    batch_c.push_back({"INSERT INTO contact (id, original_source, latest_source, lineage, is_test" + cols +
                           ") SELECT id, nullif(os, ''), nullif(ls, ''), lin::jsonb, t" + names +
                           " FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::text[]) AS os, "
                           "unnest($3::text[]) AS ls, unnest($4::text[]) AS lin, unnest($5::bool[]) AS t" + unnests +
                           ") AS u",
                       std::move(params)});
  }
  {
    std::vector<long long> m_record, m_contact;
    std::vector<std::optional<std::string>> m_weight, m_fingerprint;
    std::vector<std::string> m_source, m_received, m_fields, m_keys, m_flags;
    std::vector<bool> m_test;
    // Keys of contacts created by this batch cannot be in the store yet: a plain INSERT. Keys of joined contacts
    // may be (the contact held the key already): ON CONFLICT DO NOTHING, which costs the server a speculative
    // insertion per key.
    // By hash: two keys of one contact with one hash are one match_key row.
    std::vector<long long> k_hash, j_hash, k_contact, j_contact;
    std::set<std::pair<long long, long long>> seen_keys;
    for (size_t i = 0; i < n; ++i) {
      if (!contact_of[i]) continue;  // a test lead
      long long contact = ents.Find(contact_of[i]);
      out[i].contact_id = contact;
      m_record.push_back(record_ids[i]);
      m_contact.push_back(contact);
      m_weight.push_back(out[i].decision == "new" ? std::nullopt : std::optional<std::string>(Num(out[i].weight)));
      m_source.push_back(items[i].raw->source);
      const std::string& fp = out[i].fingerprint;
      m_fingerprint.push_back(fp.empty() ? std::nullopt : std::optional<std::string>(fp));
      m_test.push_back(items[i].raw->is_test);
      m_received.push_back(items[i].meta.received_at);
      m_fields.push_back(std::move(form_fields[i]));
      m_keys.push_back(std::move(form_keys[i]));
      m_flags.push_back(std::move(form_flags[i]));
      bool created_here = ents.created.count(contact) > 0;
      for (long long k : hashes[i])
        if (seen_keys.emplace(k, contact).second) {
          (created_here ? k_hash : j_hash).push_back(k);
          (created_here ? k_contact : j_contact).push_back(contact);
        }
    }
    // The member's copy of its record's match form from what the batch sent for the record (not read back from
    // source_record): the same source, fingerprint (the record's, returned by its INSERT), is_test, received_at
    // (the same text, or now(), which is the transaction's time in both statements) and the same JSON sections.
    batch_c.push_back({std::string("INSERT INTO entity_member (source_record_id, contact_id, match_weight, ") +
                           kMemberFormColumns +
                           ") SELECT r, c, w::float8, src, fp, t, coalesce(nullif(ra, '')::timestamptz, now()), f, k, "
                           "fl FROM (SELECT unnest($1::bigint[]) AS r, unnest($2::bigint[]) AS c, "
                           "unnest($3::text[]) AS w, unnest($4::text[]) AS src, unnest($5::text[]) AS fp, "
                           "unnest($6::bool[]) AS t, unnest($7::text[]) AS ra, unnest($8::text[]) AS f, "
                           "unnest($9::text[]) AS k, unnest($10::text[]) AS fl) AS u",
                       {IntArrayParam(m_record), IntArrayParam(m_contact), TextArrayParam(m_weight),
                        TextArrayParam(m_source), TextArrayParam(m_fingerprint), BoolArrayParam(m_test),
                        TextArrayParam(m_received), TextArrayParam(m_fields), TextArrayParam(m_keys),
                        TextArrayParam(m_flags)}});
    if (!k_hash.empty())
      batch_c.push_back({"INSERT INTO match_key (key_hash, contact_id) "
                         "SELECT unnest($1::bigint[]), unnest($2::bigint[])",
                         {IntArrayParam(k_hash), IntArrayParam(k_contact)}});
    if (!j_hash.empty())
      batch_c.push_back({"INSERT INTO match_key (key_hash, contact_id) "
                         "SELECT unnest($1::bigint[]), unnest($2::bigint[]) ON CONFLICT DO NOTHING",
                         {IntArrayParam(j_hash), IntArrayParam(j_contact)}});
    if (!q_item.empty()) {
      std::vector<long long> q_record;
      for (long long i : q_item) q_record.push_back(record_ids[static_cast<size_t>(i)]);
      batch_c.push_back(
          {"INSERT INTO quarantine (source_record_id, source, field, value, reason) "
           "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])",
           {IntArrayParam(q_record), TextArrayParam(q_source), TextArrayParam(q_field),
            TextArrayParam(q_value), TextArrayParam(q_reason)}});
    }
    // Over-common keys are remembered for the blocking-keys report: one entry per record that met a key (hits).
    std::vector<std::string> over_common;
    for (const auto& o : out)
      over_common.insert(over_common.end(), o.over_common_keys.begin(), o.over_common_keys.end());
    if (!over_common.empty()) batch_c.push_back(NoteOverCommonKeysStatement(over_common));
    auto done_c = c.ExecPipeline(batch_c);
    if (!done_c.ok()) return done_c.status();
  }
  std::vector<long long> recompute;
  for (const auto& [survivor, loser] : db_merges) {
    auto merged = MergeContacts(c, survivor, loser, "matcher", "{\"reason\":\"also_merge\"}", rules);
    if (!merged.ok()) return merged.status();
  }
  // The joined contacts are locked (6), and MergeContacts locked its survivors itself.
  for (long long e : joined)
    if (!ents.created.count(ents.Find(e))) recompute.push_back(ents.Find(e));
  std::sort(recompute.begin(), recompute.end());
  recompute.erase(std::unique(recompute.begin(), recompute.end()), recompute.end());
  if (!recompute.empty())
    if (Status s = RecomputeLockedContacts(c, recompute, rules); !s.ok()) return s;
  if (!reviews.empty()) {
    std::vector<long long> rc, ro, rr, rm;
    std::vector<std::string> rs, re;
    std::vector<size_t> at;
    for (const auto& r : reviews) {
      long long contact = ents.Find(contact_of[r.record]), other = ents.Find(r.proposed);
      if (contact == other) continue;  // a later record of the batch joined them
      rc.push_back(contact);
      ro.push_back(other);
      rr.push_back(record_ids[r.record]);
      rm.push_back(r.member);
      rs.push_back(Num(out[r.record].weight));
      re.push_back(r.explanation);
      at.push_back(r.record);
    }
    if (!rc.empty()) {
      auto ins = c.Exec(
          "INSERT INTO merge_candidate (contact_id, other_id, source_record_id, other_record_id, score, explanation) "
          "SELECT c, o, r, m, s::float8, e::jsonb "
          "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) "
          "     WITH ORDINALITY AS u(c, o, r, m, s, e, nth) ORDER BY nth RETURNING id, source_record_id",
          {IntArrayParam(rc), IntArrayParam(ro), IntArrayParam(rr), IntArrayParam(rm), TextArrayParam(rs),
           TextArrayParam(re)});
      if (!ins.ok()) return ins.status();
      std::map<long long, long long> by_record;
      for (int r = 0; r < ins->rows(); ++r) by_record[ins->Int(r, 1)] = ins->Int(r, 0);
      for (size_t j = 0; j < at.size(); ++j) {
        out[at[j]].proposed = ro[j];
        out[at[j]].candidate_id = by_record[rr[j]];
      }
    }
  }
  return out;
}

Result<WriteOutcome> WriteRecord(PgConn& c, const SourceMeta& meta, const Record& raw, const NormalizedRecord& n,
                                 const RuleSet& rules) {
  auto r = WriteBatch(c, {WriteItem{meta, &raw, &n}}, rules);
  if (!r.ok()) return r.status();
  return std::move((*r)[0]);
}

Result<std::string> FindContactJsonByEmail(PgConn& c, const std::string& email) {
  auto r = c.Exec(
      "SELECT jsonb_build_object('contact', to_jsonb(ct) - 'lineage', 'lineage', ct.lineage, "
      "  'source_records', coalesce((SELECT jsonb_agg(jsonb_build_object('id', sr.id, 'source', sr.source, "
      "     'received_at', sr.received_at, 'rules_version', sr.rules_version, 'raw', sr.raw, "
      "     'normalized', sr.normalized) ORDER BY sr.id) "
      "   FROM entity_member em JOIN source_record sr ON sr.id = em.source_record_id "
      "   WHERE em.contact_id = ct.id), '[]'::jsonb))::text "
      "FROM contact ct WHERE ct.id = (SELECT min(contact_id) FROM match_key WHERE key_hash = $1::bigint) "
      "   OR (lower(ct.email) = lower($2) AND ct.merged_into IS NULL) "
      "ORDER BY ct.id LIMIT 1",
      {std::to_string(KeyHash("email:" + email)), email});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::string();
  return r->Str(0, 0);
}

}  // namespace canon::store
